/**
 * PowerShell:
 *
 *   $vm  = Get-CimInstance -CimSession $s -Namespace root/virtualization/v2 -ClassName Msvm_ComputerSystem -Filter "ElementName='web01'"
 *   $svc = Get-CimInstance -CimSession $s -Namespace root/virtualization/v2 -ClassName Msvm_VirtualSystemMigrationService
 *   $msd = Get-CimInstance -CimSession $s -Namespace root/virtualization/v2 -ClassName Msvm_VirtualSystemMigrationSettingData -Filter 'MigrationType=32768'
 *   $msd.DestinationIPAddressList = @('10.0.0.12')
 *   $r = Invoke-CimMethod -InputObject $svc -MethodName MigrateVirtualSystemToHost -Arguments @{
 *          ComputerSystem = $vm; DestinationHost = 'HV2'; MigrationSettingData = $msd }
 *
 * On the wire: the MI client fetches the class first (Get on the cim-xml URI with ClassName) to
 * type the arguments, then invokes: Action = DMTF class URI + "/MigrateVirtualSystemToHost",
 * selectors `__cimnamespace` + the service's keys, body `<p0:…_INPUT xsi:type="…_INPUT_Type">` with
 * ComputerSystem as an EPR (DMTF URI, `__cimnamespace` first) and MigrationSettingData as a nested
 * typed instance (MI serialisation of a CimInstance; wire notes §3.2). The answer: the request
 * Action + "Response", `p:…_OUTPUT` in the DMTF namespace, Job (an EPR to the Msvm_MigrationJob in
 * the DMTF form) then ReturnValue 4096.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { childElements, textOf } from '../../../src/xml/dom.js';
import { migrationSettings, startLab, VM, type HypervLab } from '../../helpers/hyperv.js';
import {
  expectDmtfEpr, expectWindowsHeader, instanceValues, MI_URI, miParam, MiSession, objectAndEpr, powershellError, readEpr, type MiExchange,
} from '../../helpers/mi-client.js';
import { NS } from '../../helpers/wsman-client.js';
import { bodyChild, migrationServiceRef, V2, vmRef } from './lab.js';

let lab: HypervLab;
afterEach(async () => {
  await lab?.close();
});

const SERVICE = MI_URI.dmtfClass + 'Msvm_VirtualSystemMigrationService';

/** The template PowerShell read ($msd), as the CimInstance it passes. */
async function template(s: MiSession, type: number) {
  const r = await s.query(`SELECT * FROM Msvm_VirtualSystemMigrationSettingData WHERE MigrationType = ${type}`);
  return instanceValues(objectAndEpr(r.items[0]).instance);
}

function expectJobAnswer(ex: MiExchange): { jobClass: string; jobId: string } {
  expect(ex.http.status, ex.http.text).toBe(200);
  expectWindowsHeader(ex, `${SERVICE}/MigrateVirtualSystemToHostResponse`);
  const out = bodyChild(ex);
  expect([out.ns, out.local]).toEqual([SERVICE, 'MigrateVirtualSystemToHost_OUTPUT']);
  expect(out.scope.p).toBe(SERVICE);
  expect(out.scope.xsi).toBe(NS.xsi);
  expect(out.scope.cim).toBe(NS.cim);
  expect(childElements(out).map((c) => c.local)).toEqual(['Job', 'ReturnValue']);
  expect(textOf(childElements(out)[1])).toBe('4096');
  const job = readEpr(childElements(out)[0]);
  expectDmtfEpr(job, 'Msvm_MigrationJob', V2);
  expect(job.selectors.map(([k]) => k)).toEqual(['__cimnamespace', 'InstanceID']);
  return { jobClass: 'Msvm_MigrationJob', jobId: job.selectors[1][1] };
}

describe('Invoke-CimMethod MigrateVirtualSystemToHost', () => {
  test('CimInstance for ComputerSystem, embedded instance for MigrationSettingData: 4096 and the job in the DMTF form', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'));
    const t = await template(s, 32768);
    // the class fetch that types the arguments
    const cls = await s.getClass('Msvm_VirtualSystemMigrationService');
    expect(cls.http.status).toBe(200);
    const ex = await s.invoke(migrationServiceRef('HV1'), 'MigrateVirtualSystemToHost',
      miParam.ref(s, 'ComputerSystem', vmRef(VM.web01)) +
      miParam.string('DestinationHost', 'HV2') +
      miParam.instance('MigrationSettingData', 'Msvm_VirtualSystemMigrationSettingData', [
        ['InstanceID', 'cimString', String(t.InstanceID)],
        ['MigrationType', 'cimUnsignedShort', '32768'],
        ['TransportType', 'cimUnsignedShort', String(t.TransportType)],
        ['DestinationIPAddressList', 'cimString', ['10.0.0.12']],
        ['EnableCompression', 'cimBoolean', 'true'],
      ]));
    // the request is the MI client's: p0 prefix, xsi:type on the INPUT element, cim undeclared
    expect(ex.request).toContain('xsi:type="MigrateVirtualSystemToHost_INPUT_Type"');
    expect(ex.request).not.toContain('xmlns:cim');
    const { jobId } = expectJobAnswer(ex);
    expect(lab.fabric.job('HV1', jobId)).toBeDefined();
  });

  test('MigrationSettingData as CIM-XML text (CimSerializer output, as the repo\'s PowerShell example passes it) works the same', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'));
    const ex = await s.invoke(migrationServiceRef('HV1'), 'MigrateVirtualSystemToHost',
      miParam.ref(s, 'ComputerSystem', vmRef(VM.web01)) +
      miParam.string('DestinationHost', 'HV2') +
      miParam.string('MigrationSettingData', migrationSettings(32768)));
    expectJobAnswer(ex);
  });

  test('the recorded MI-client invoke shape (omi test3: values on their own lines, ActivityId) is accepted', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'), { newlines: true, activityId: true });
    const ex = await s.invoke(migrationServiceRef('HV1'), 'MigrateVirtualSystemToHost',
      miParam.ref(s, 'ComputerSystem', vmRef(VM.web01)) + miParam.string('DestinationHost', 'hv2.lab.local'));
    expectJobAnswer(ex);
  });

  test('URI, method, namespace and selector names in another case resolve; the answer uses the repository spelling', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'), { namespace: 'Root/Virtualization/V2' });
    const uri = MI_URI.dmtfClass + 'msvm_virtualsystemmigrationservice';
    const ex = await s.send({
      action: `${uri}/migratevirtualsystemtohost`, resourceUri: uri,
      selectors: [['__cimnamespace', 'Root/Virtualization/V2'], ['creationclassname', 'Msvm_VirtualSystemMigrationService'], ['NAME', 'migrationwmi'],
        ['systemcreationclassname', 'Msvm_ComputerSystem'], ['systemname', 'hv1']],
      body: `<p0:migratevirtualsystemtohost_INPUT xmlns:xsi="${NS.xsi}" xmlns:p0="${uri}" xsi:type="migratevirtualsystemtohost_INPUT_Type">` +
        miParam.ref(s, 'computersystem', vmRef(VM.web01)) + miParam.string('destinationhost', 'HV2') + '</p0:migratevirtualsystemtohost_INPUT>',
    });
    expect(ex.http.status, ex.http.text).toBe(200);
    const out = bodyChild(ex);
    expect([out.ns, out.local]).toEqual([SERVICE, 'MigrateVirtualSystemToHost_OUTPUT']);
    expectDmtfEpr(readEpr(childElements(out)[0]), 'Msvm_MigrationJob', V2);
  });

  test('a refusal is a ReturnValue, not a fault: the source host as destination answers 32773 without a job', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'));
    const ex = await s.invoke(migrationServiceRef('HV1'), 'MigrateVirtualSystemToHost',
      miParam.ref(s, 'ComputerSystem', vmRef(VM.web01)) + miParam.string('DestinationHost', 'HV1'));
    expect(ex.http.status).toBe(200);
    const out = bodyChild(ex);
    expect(childElements(out).map((c) => [c.local, textOf(c)])).toEqual([['ReturnValue', '32773']]);
  });

  test('a value of the wrong type: WS-Man SchemaValidationError, which PowerShell shows as ProtocolError HRESULT 0x80338041', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'));
    const ex = await s.invoke(migrationServiceRef('HV1'), 'MigrateVirtualSystemToHost',
      miParam.ref(s, 'ComputerSystem', vmRef(VM.web01)) + miParam.string('DestinationHost', 'HV2') +
      miParam.instance('MigrationSettingData', 'Msvm_VirtualSystemMigrationSettingData', [['MigrationType', 'cimUnsignedShort', 'true']]));
    expect(powershellError(ex, 'InvokeCimMethod')).toMatchObject({
      category: 'ProtocolError', form: 'WSManFault',
      fullyQualifiedErrorId: 'HRESULT 0x80338041,Microsoft.Management.Infrastructure.CimCmdlets.InvokeCimMethodCommand',
    });
  });

  test('the operator account (read-only on the host): "Access denied", PermissionDenied, HRESULT 0x80041003', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'), { user: 'operator', password: 'Operat0r!' });
    const ex = await s.invoke(migrationServiceRef('HV1'), 'MigrateVirtualSystemToHost',
      miParam.ref(s, 'ComputerSystem', vmRef(VM.web01)) + miParam.string('DestinationHost', 'HV2'));
    expect(powershellError(ex, 'InvokeCimMethod')).toEqual({
      message: 'Access denied', category: 'PermissionDenied', form: 'MSFT_WmiError',
      fullyQualifiedErrorId: 'HRESULT 0x80041003,Microsoft.Management.Infrastructure.CimCmdlets.InvokeCimMethodCommand',
    });
    // the WS-Man subcode stays w:AccessDenied; the detail carries WMI's denial
    expect(ex.http.text).toContain('<s:Subcode><s:Value>w:AccessDenied</s:Value></s:Subcode>');
  });
});
