/**
 * PowerShell (after Invoke-CimMethod MigrateVirtualSystemToHost returned 4096):
 *
 *   $job = $r.Job
 *   do { Start-Sleep -Milliseconds 500; $job = Get-CimInstance -InputObject $job } while ($job.JobState -in 2, 3, 4)
 *
 * On the wire: a refresh of one instance is a Get on the DMTF URI of the job's class
 * (Msvm_MigrationJob, from the EPR the MI client kept) with `__cimnamespace` first and the key
 * (InstanceID). Each answer is the GetResponse with the job in the DMTF namespace, every property
 * present, JobState/PercentComplete moving as the migration runs.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { childElements } from '../../../src/xml/dom.js';
import { startLab, VM, type HypervLab } from '../../helpers/hyperv.js';
import {
  expectDmtfInstance, expectWindowsHeader, instanceValues, MI_URI, miParam, MiSession, powershellError, readEpr, refFromEpr, type MiInstanceRef,
} from '../../helpers/mi-client.js';
import { bodyChild, capture, expectWindowsPropertyOrder, migrationServiceRef, sendRaw, V2, vmRef } from './lab.js';

let lab: HypervLab;
afterEach(async () => {
  await lab?.close();
});

async function startMigration(s: MiSession, vm: string): Promise<MiInstanceRef> {
  const ex = await s.invoke(migrationServiceRef('HV1'), 'MigrateVirtualSystemToHost', miParam.ref(s, 'ComputerSystem', vmRef(vm)) + miParam.string('DestinationHost', 'HV2'));
  expect(ex.http.status, ex.http.text).toBe(200);
  const out = bodyChild(ex);
  return refFromEpr(readEpr(childElements(out).find((c) => c.local === 'Job')!));
}

describe('Get-CimInstance -InputObject $job (polling a migration job)', () => {
  test('Get on the DMTF URI of Msvm_MigrationJob with __cimnamespace + InstanceID, until JobState 7; the VM is then on HV2', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'));
    const job = await startMigration(s, VM.web01);
    expect(job).toEqual({ className: 'Msvm_MigrationJob', keys: { InstanceID: expect.stringMatching(/^[0-9A-F-]{36}$/) } });
    const seen: Array<[string, number]> = [];
    for (let i = 0; i < 2000; i++) {
      const ex = await s.get(job);
      expect(ex.request).toContain(`<w:ResourceURI s:mustUnderstand="true">${MI_URI.dmtfClass}Msvm_MigrationJob</w:ResourceURI>`);
      expect(ex.request).toMatch(new RegExp(`<w:SelectorSet><w:Selector Name="__cimnamespace">${V2}</w:Selector><w:Selector Name="InstanceID">`));
      expect(ex.http.status, ex.http.text).toBe(200);
      expectWindowsHeader(ex, 'http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse');
      const inst = bodyChild(ex);
      expectDmtfInstance(inst, 'Msvm_MigrationJob');
      expectWindowsPropertyOrder(inst);
      const v = instanceValues(inst);
      seen.push([String(v.JobState), Number(v.PercentComplete)]);
      if (!['2', '3', '4'].includes(String(v.JobState))) {
        expect(v).toMatchObject({ JobState: '7', PercentComplete: '100', ErrorCode: '0', VirtualSystemName: VM.web01 });
        break;
      }
      lab.clock.advance(500); // Start-Sleep -Milliseconds 500
    }
    expect(seen[seen.length - 1][0]).toBe('7');
    expect(seen.some(([st]) => st === '4')).toBe(true);
    const percents = seen.map(([, p]) => p);
    expect([...percents].sort((a, b) => a - b)).toEqual(percents); // progress never goes back
    // the VM answers on HV2 now (Get-CimInstance -InputObject $vm on the destination session)
    const hv2 = new MiSession(lab.url('HV2'));
    const moved = await hv2.get(vmRef(VM.web01));
    expect(moved.http.status).toBe(200);
    expect(instanceValues(bodyChild(moved))).toMatchObject({ ElementName: 'web01', EnabledState: '2' });
  });

  test('the MI client\'s Get on the WMI URI form (MS-WSMV 4.11.1 request shape) reads the same job, answered in the WMI form', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'));
    const job = await startMigration(s, VM.web01);
    const wmi = `http://schemas.microsoft.com/wbem/wsman/1/wmi/${V2}/Msvm_MigrationJob`;
    const xml = capture('mswsmv-4.11.1-enumerate-prompt-operationid.request.xml', { crlf: false })
      .replace('http://localhost:5985/wsman', lab.url('HV1'))
      .replace('http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/MyTest4/UTFPSSemantics_TestBase', wmi)
      .replace('<w:Selector Name="uint32key">10</w:Selector>', `<w:Selector Name="InstanceID">${job.keys.InstanceID}</w:Selector>`);
    const ex = await sendRaw(s, xml);
    expect(ex.http.status, ex.http.text).toBe(200);
    const inst = bodyChild(ex);
    expect([inst.ns, inst.local]).toEqual([wmi, 'Msvm_MigrationJob']);
  });

  test('a job that is gone (removed after its retention): "Not found", ObjectNotFound (HRESULT 0x80041002)', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'));
    const gone: MiInstanceRef = { className: 'Msvm_MigrationJob', keys: { InstanceID: '00000000-0000-0000-0000-00000000DEAD' } };
    expect(powershellError(await s.get(gone), 'GetCimInstance')).toEqual({
      message: 'Not found', category: 'ObjectNotFound', form: 'MSFT_WmiError',
      fullyQualifiedErrorId: 'HRESULT 0x80041002,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand',
    });
  });
});
