/**
 * PowerShell (a migration whose job failed — build01 uses the 'Internal' switch HV2 lacks):
 *
 *   $r = Invoke-CimMethod -InputObject $svc -MethodName MigrateVirtualSystemToHost -Arguments @{ ComputerSystem = $build01; DestinationHost = 'HV2' }
 *   # … poll $r.Job until JobState is 10 …
 *   (Invoke-CimMethod -InputObject $job -MethodName GetErrorEx).Errors
 *
 * On the wire: Invoke on the job's DMTF class URI (Msvm_MigrationJob/GetErrorEx) with
 * `__cimnamespace` + InstanceID and an empty `p0:GetErrorEx_INPUT` (the omi test3 capture is
 * exactly such a call: no arguments, values on their own lines, ActivityId). The answer lists
 * `p:Errors` (EmbeddedInstance("Msvm_Error") strings: CIM-XML text, as WMI's GetText(1)) then
 * ReturnValue 0; the Msvm_Error for the missing switch has MessageID 33012.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseEmbeddedInstance } from '../../../src/cim/cimxml/index.js';
import { loadSchemaRegistry } from '../../../src/cim/schema-loader.js';
import { childElements, textOf } from '../../../src/xml/dom.js';
import { runJob, startLab, VM, type HypervLab } from '../../helpers/hyperv.js';
import { expectWindowsHeader, MI_URI, miParam, MiSession, readEpr, refFromEpr, type MiInstanceRef } from '../../helpers/mi-client.js';
import { bodyChild, capture, migrationServiceRef, sendRaw, V2, vmRef } from './lab.js';

const schema = loadSchemaRegistry();
let lab: HypervLab;
let job: MiInstanceRef;

beforeAll(async () => {
  lab = await startLab();
  const s = new MiSession(lab.url('HV1'));
  const ex = await s.invoke(migrationServiceRef('HV1'), 'MigrateVirtualSystemToHost', miParam.ref(s, 'ComputerSystem', vmRef(VM.build01)) + miParam.string('DestinationHost', 'HV2'));
  job = refFromEpr(readEpr(childElements(bodyChild(ex)).find((c) => c.local === 'Job')!));
  const final = await runJob(lab, 'HV1', { cls: job.className, id: job.keys.InstanceID });
  expect(final.JobState).toBe('10');
});
afterAll(async () => {
  await lab.close();
});

const JOB_URI = MI_URI.dmtfClass + 'Msvm_MigrationJob';

describe('Invoke-CimMethod -InputObject $job -MethodName GetErrorEx', () => {
  test('the recorded no-argument MI invoke, aimed at the failed job, answers every Msvm_Error as CIM-XML text', async () => {
    const s = new MiSession(lab.url('HV1'));
    // the capture has CR LF line ends; Windows trims every header value either way
    const xml = capture('omi-mi-client-invoke-dmtf-uri.request.xml', { crlf: false })
      .replace('\nhttps://157.59.84.237:7779/wsman', '\n' + lab.url('HV1'))
      .replaceAll('http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/TestClass_AllDMTFTypes', JOB_URI)
      .replaceAll('GetBoolValue', 'GetErrorEx')
      .replace('\nroot/omi</w:Selector>', `\n${V2}</w:Selector>`)
      .replace('<w:Selector Name="v_Key">\n0</w:Selector>', `<w:Selector Name="InstanceID">\n${job.keys.InstanceID}</w:Selector>`);
    const ex = await sendRaw(s, xml);
    expect(ex.http.status, ex.http.text).toBe(200);
    expectWindowsHeader(ex, `${JOB_URI}/GetErrorExResponse`);
    const out = bodyChild(ex);
    expect([out.ns, out.local]).toEqual([JOB_URI, 'GetErrorEx_OUTPUT']);
    const kids = childElements(out);
    expect(kids[kids.length - 1].local).toBe('ReturnValue');
    expect(textOf(kids[kids.length - 1])).toBe('0');
    const errors = kids.filter((k) => k.local === 'Errors');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    const parsed = errors.map((e) => parseEmbeddedInstance(textOf(e), 'Msvm_Error', (n) => schema.getClass(V2, n)));
    expect(parsed.every((e) => e.className === 'Msvm_Error')).toBe(true);
    // the wrapper first (21502), then the switch that is missing on HV2
    expect(parsed[0].props.MessageID).toBe('21502');
    const sw = parsed.find((e) => e.props.MessageID === '33012')!;
    expect(String(sw.props.Message)).toMatch(/Could not find Ethernet switch 'Internal'\./);
    expect(sw.props.ErrorSourceFormat).toBe(2);
    expect(String(sw.props.ErrorSource)).toMatch(/^\\\\HV1\\root\\virtualization\\v2:Msvm_EthernetPortAllocationSettingData\.InstanceID=/);
  });

  test('the session helper sends the same call (empty INPUT typed GetErrorEx_INPUT_Type); GetError gives the wrapper alone', async () => {
    const s = new MiSession(lab.url('HV1'));
    const ex = await s.invoke(job, 'GetErrorEx', '');
    expect(ex.request).toContain(`<p0:GetErrorEx_INPUT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:p0="${JOB_URI}" xsi:type="GetErrorEx_INPUT_Type"></p0:GetErrorEx_INPUT>`);
    expect(ex.http.status).toBe(200);
    const one = await s.invoke(job, 'GetError', '');
    const kids = childElements(bodyChild(one));
    expect(kids.map((k) => k.local)).toEqual(['Error', 'ReturnValue']);
    expect(parseEmbeddedInstance(textOf(kids[0]), 'Msvm_Error', (n) => schema.getClass(V2, n)).props.MessageID).toBe('21502');
  });

  test('the job itself, read with Get-CimInstance -InputObject, shows the failure as PowerShell prints it', async () => {
    const s = new MiSession(lab.url('HV1'));
    const v = childElements(bodyChild(await s.get(job)));
    const prop = (n: string) => textOf(v.find((c) => c.local === n)!);
    expect(prop('JobState')).toBe('10');
    expect(prop('ErrorSummaryDescription')).toMatch(/^Virtual machine migration operation for 'build01' failed at migration destination 'HV2'\./);
    expect(prop('ErrorDescription')).toMatch(/Could not find Ethernet switch 'Internal'\./);
  });
});
