/**
 * PowerShell:
 *
 *   $job = Get-CimInstance -CimSession $s -Namespace root/virtualization/v2 -ClassName Msvm_ConcreteJob | Select -First 1
 *   Set-CimInstance -InputObject $job -Property @{ DeleteOnCompletion = $true }
 *
 * On the wire (omi Put1 sample of the Windows MI client): Put on the DMTF class URI with
 * `__cimnamespace` + keys, no OperationTimeout, the option `wmiarray:__MIInstanceModifiedPropertiesList`
 * once per changed property before the MI options, and the whole instance as the body
 * (`p0:` + `xsi:type="p0:Class_Type"`, every property typed `cim:…` with `cim` undeclared). Only
 * the listed properties are changes. The answer: PutResponse with the instance as it now is.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { childElements, textOf } from '../../../src/xml/dom.js';
import { startLab, VM, type HypervLab } from '../../helpers/hyperv.js';
import {
  expectDmtfInstance, expectWindowsHeader, instanceValues, MiSession, powershellError, type MiInstanceRef,
} from '../../helpers/mi-client.js';
import { bodyChild, capture, sendRaw, V2 } from './lab.js';

let lab: HypervLab;
afterEach(async () => {
  await lab?.close();
});

/** A state-change job (Msvm_ConcreteJob) to work on: start the VM that is off. */
async function aJob(s: MiSession): Promise<MiInstanceRef> {
  const ex = await s.invoke({ className: 'Msvm_ComputerSystem', keys: { CreationClassName: 'Msvm_ComputerSystem', Name: VM.build01 } }, 'RequestStateChange',
    '<p0:RequestedState xsi:type="cim:cimUnsignedShort">2</p0:RequestedState>');
  const id = /<w:Selector Name="InstanceID">([^<]+)</.exec(ex.http.text)![1];
  return { className: 'Msvm_ConcreteJob', keys: { InstanceID: id } };
}

/** The job's properties as the MI client re-sends them (the ones it can write as plain typed text). */
function putBody(v: Record<string, unknown>, deleteOnCompletion: boolean): string {
  const t = (n: string, type: string, x: unknown) => `<p0:${n} xsi:type="cim:${type}">${String(x)}</p0:${n}>`;
  return t('Caption', 'cimString', v.Caption) + t('Cancellable', 'cimBoolean', v.Cancellable) + t('DeleteOnCompletion', 'cimBoolean', deleteOnCompletion) +
    t('Description', 'cimString', v.Description) + t('ElementName', 'cimString', v.ElementName) + t('InstanceID', 'cimString', v.InstanceID) +
    t('JobState', 'cimUnsignedShort', v.JobState) + t('JobType', 'cimUnsignedShort', v.JobType) + t('PercentComplete', 'cimUnsignedShort', v.PercentComplete);
}

describe('Set-CimInstance -InputObject $job -Property @{ DeleteOnCompletion = $true }', () => {
  test('Put with __MIInstanceModifiedPropertiesList changes only DeleteOnCompletion and answers the updated instance', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'));
    const job = await aJob(s);
    const before = instanceValues(bodyChild(await s.get(job)));
    expect(before.DeleteOnCompletion).toBe('false');
    const ex = await s.put(job, putBody(before, true), ['DeleteOnCompletion']);
    expect(ex.request).toContain('<w:Option Name="wmiarray:__MIInstanceModifiedPropertiesList" Type="xs:string">DeleteOnCompletion</w:Option>');
    expect(ex.request).not.toContain('OperationTimeout');
    expect(ex.http.status, ex.http.text).toBe(200);
    expectWindowsHeader(ex, 'http://schemas.xmlsoap.org/ws/2004/09/transfer/PutResponse');
    const after = bodyChild(ex);
    expectDmtfInstance(after, 'Msvm_ConcreteJob');
    expect(instanceValues(after)).toMatchObject({ DeleteOnCompletion: 'true', InstanceID: job.keys.InstanceID, JobType: before.JobType });
    // the unchanged properties the client re-sent (JobState, PercentComplete …) were not applied as changes
    expect(instanceValues(bodyChild(await s.get(job))).DeleteOnCompletion).toBe('true');
  });

  test('the recorded Set-CimInstance request shape (omi Put1: options first, typed properties) is read the same way', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'));
    const job = await aJob(s);
    const v = instanceValues(bodyChild(await s.get(job)));
    const recorded = capture('omi-sample-put.request.xml');
    // keep the recorded header (To, Action, MaxEnvelopeSize, ids, OptionSet order) and swap in this job
    const header = recorded.slice(0, recorded.indexOf('<s:Body>'))
      .replace('https://157.59.85.220:7779/wsman', lab.url('HV1'))
      .replace('http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/OMI_Identify', 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/Msvm_ConcreteJob')
      .replace('<w:Selector Name="__cimnamespace">root/omi</w:Selector><w:Selector Name="InstanceID">2FDB5542-5896-45D5-9BE9-DC04430AAABE</w:Selector>',
        `<w:Selector Name="__cimnamespace">${V2}</w:Selector><w:Selector Name="InstanceID">${job.keys.InstanceID}</w:Selector>`)
      .replace('xs:string">ProductVendor</w:Option>', 'xs:string">DeleteOnCompletion</w:Option>');
    const body = `<s:Body><p0:Msvm_ConcreteJob xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:p0="http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/Msvm_ConcreteJob" xsi:type="p0:Msvm_ConcreteJob_Type">${putBody(v, true)}</p0:Msvm_ConcreteJob></s:Body></s:Envelope>`;
    const ex = await sendRaw(s, header + body);
    expect(ex.http.status, ex.http.text).toBe(200);
    expect(instanceValues(bodyChild(ex)).DeleteOnCompletion).toBe('true');
  });

  test('a property Hyper-V jobs cannot change (Priority): "Not supported", NotImplemented (HRESULT 0x8004100c)', async () => {
    lab = await startLab();
    const s = new MiSession(lab.url('HV1'));
    const job = await aJob(s);
    const v = instanceValues(bodyChild(await s.get(job)));
    const ex = await s.put(job, putBody(v, true) + '<p0:Priority xsi:type="cim:cimUnsignedInt">7</p0:Priority>', ['Priority']);
    expect(powershellError(ex, 'SetCimInstance')).toEqual({
      message: 'Not supported', category: 'NotImplemented', form: 'MSFT_WmiError',
      fullyQualifiedErrorId: 'HRESULT 0x8004100c,Microsoft.Management.Infrastructure.CimCmdlets.SetCimInstanceCommand',
    });
    const code = childElements(childElements(bodyChild(ex))[0]);
    expect(textOf(code[0])).toBe('s:Receiver');
  });
});
