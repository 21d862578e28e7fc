/**
 * PowerShell:
 *
 *   $vm = Get-CimInstance -CimSession $s -Namespace root/virtualization/v2 -ClassName Msvm_ComputerSystem -Filter "ElementName='web01'"
 *   Get-CimAssociatedInstance -InputObject $vm -Association Msvm_SettingsDefineState -ResultClassName Msvm_VirtualSystemSettingData
 *
 * On the wire (climbe capture): Enumerate on `wscim/1/*` + `__cimnamespace`, EnumerateObjectAndEPR,
 * association filter `b:AssociatedInstances` whose `b:Object` is the source's EPR in the DMTF form
 * (`__cimnamespace` first, then the keys), then AssociationClassName and ResultClassName.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { childElements } from '../../../src/xml/dom.js';
import { startLab, VM, type HypervLab } from '../../helpers/hyperv.js';
import {
  expectDmtfEpr, expectDmtfInstance, expectWindowsHeader, instanceValues, MiSession, objectAndEpr, powershellError, refFromEpr,
} from '../../helpers/mi-client.js';
import { findOne, NS } from '../../helpers/wsman-client.js';
import { capture, expectWindowsPropertyOrder, fillPlaceholders, sendRaw, V2, vmRef } from './lab.js';

let lab: HypervLab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});

describe('Get-CimAssociatedInstance from a VM to its Msvm_VirtualSystemSettingData', () => {
  test('the recorded request (association filter on wscim/1/*) answers the VM\'s active settings', async () => {
    const s = new MiSession(lab.url('HV1'));
    // placeholders: namespace, source class, the source's selectors (namespace, then its keys), association, result class
    const xml = fillPlaceholders(capture('climbe-powershell-get-cimassociatedinstance-enumerate.request.xml'), [
      V2, 'Msvm_ComputerSystem',
      `${V2}</w:Selector><w:Selector Name="CreationClassName">Msvm_ComputerSystem</w:Selector><w:Selector Name="Name">${VM.web01}`,
      'Msvm_SettingsDefineState', 'Msvm_VirtualSystemSettingData',
    ]);
    const ex = await sendRaw(s, xml);
    expect(ex.http.status, ex.http.text).toBe(200);
    expectWindowsHeader(ex, 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse');
    const items = childElements(findOne(ex.doc, NS.w, 'Items'));
    expect(items).toHaveLength(1);
    const { instance, epr } = objectAndEpr(items[0]);
    expectDmtfInstance(instance, 'Msvm_VirtualSystemSettingData');
    expectWindowsPropertyOrder(instance);
    expectDmtfEpr(epr, 'Msvm_VirtualSystemSettingData', V2);
    const v = instanceValues(instance);
    expect(v).toMatchObject({ ElementName: 'web01', VirtualSystemIdentifier: VM.web01, VirtualSystemType: 'Microsoft:Hyper-V:System:Realized' });
    expect(epr.selectors).toEqual([['__cimnamespace', V2], ['InstanceID', String(v.InstanceID)]]);
  });

  test('the returned EPR addresses the settings again (Get-CimInstance -InputObject on the result)', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.associated(vmRef(VM.web01), { association: 'Msvm_SettingsDefineState', resultClass: 'Msvm_VirtualSystemSettingData' });
    const { epr } = objectAndEpr(r.items[0]);
    const again = await s.get(refFromEpr(epr));
    expect(again.http.status).toBe(200);
    expectWindowsHeader(again, 'http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse');
  });

  test('without -Association every associated instance comes back, each in its own class', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.associated(vmRef(VM.web01));
    const classes = r.items.map((i) => objectAndEpr(i).instance.local);
    expect(classes).toEqual(expect.arrayContaining(['Msvm_VirtualSystemSettingData', 'Msvm_ComputerSystem', 'Msvm_Keyboard']));
    for (const item of r.items) {
      const { instance, epr } = objectAndEpr(item);
      expectDmtfInstance(instance, instance.local);
      expectDmtfEpr(epr, instance.local, V2);
    }
  });

  test('a source that does not exist: "Not found", ObjectNotFound (HRESULT 0x80041002)', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.associated(vmRef('00000000-0000-0000-0000-000000000000'), { resultClass: 'Msvm_VirtualSystemSettingData' });
    expect(powershellError(r.fault!, 'GetCimAssociatedInstance')).toEqual({
      message: 'Not found', category: 'ObjectNotFound', form: 'MSFT_WmiError',
      fullyQualifiedErrorId: 'HRESULT 0x80041002,Microsoft.Management.Infrastructure.CimCmdlets.GetCimAssociatedInstanceCommand',
    });
  });

  test('an association class that does not exist: "Invalid class", MetadataError (HRESULT 0x80041010)', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.associated(vmRef(VM.web01), { association: 'Msvm_NoSuchAssociation' });
    expect(powershellError(r.fault!, 'GetCimAssociatedInstance')).toMatchObject({
      message: 'Invalid class', category: 'MetadataError',
      fullyQualifiedErrorId: 'HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimAssociatedInstanceCommand',
    });
  });
});
