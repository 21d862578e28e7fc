/**
 * libvirt:  virsh define newvm.xml (the part before devices), virsh setvcpus, virsh undefine
 *
 * hypervDomainDefineXML → hypervInvokeMethod on Msvm_VirtualSystemManagementService addressed by
 * `CreationClassName=Msvm_VirtualSystemManagementService` alone (a partial key set Windows resolves
 * because it matches one instance), body `<p:DefineSystem_INPUT xmlns:p="…VSMS URI">` with
 * SystemSettings = a CIM-XML `<INSTANCE CLASSNAME="Msvm_VirtualSystemSettingData">` (ElementName
 * only) in a CDATA section (xmlDocDumpFormatMemory output, XML declaration included). libvirt reads
 * `/s:Envelope/s:Body/p:DefineSystem_OUTPUT/p:ReturnValue` with prefixes registered from the answer,
 * then looks the domain up by name. setvcpus: ModifyResourceSettings with the processor settings;
 * undefine: DestroySystem whose AffectedSystem EPR is copied out of an EnumerateEPR answer
 * (`SELECT * FROM Msvm_ComputerSystem WHERE Name = '<uuid>'`), then the job polled every 100 ms.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { startLab, type HypervLab } from '../../helpers/hyperv.js';
import { LIBVIRT_CLASSES as C, OpenwsmanClient } from '../../helpers/openwsman-client.js';
import { parse } from '../../helpers/wsman-client.js';
import { openwsmanNamespaces, xpathValue } from '../../helpers/xpath.js';
import { LibvirtHyperv, VSMS_SELECTOR } from './driver.js';

let lab: HypervLab;
afterEach(async () => {
  await lab?.close();
});

function driver(): LibvirtHyperv {
  return new LibvirtHyperv(lab.url('HV1'), undefined, undefined, () => {
    lab.clock.advance(100); // g_usleep(100 * 1000)
  });
}

describe('virDomainDefineXML → DefineSystem', () => {
  test('DefineSystem with a CDATA CIM-XML instance answers 0 and ResultingSystem; the new domain is found by name, off', async () => {
    lab = await startLab();
    const lv = driver();
    const params = OpenwsmanClient.embeddedParam('SystemSettings', 'Msvm_VirtualSystemSettingData', [['ElementName', 'string', 'newvm']]);
    const req = lv.wsman.invokeRequest(C.Msvm_VirtualSystemManagementService, VSMS_SELECTOR, 'DefineSystem', params);
    expect(req).toContain('<wsman:SelectorSet><wsman:Selector Name="CreationClassName">Msvm_VirtualSystemManagementService</wsman:Selector></wsman:SelectorSet>');
    expect(req).toContain('<p:SystemSettings><![CDATA[<?xml version="1.0"?>\n<INSTANCE CLASSNAME="Msvm_VirtualSystemSettingData">\n  <PROPERTY NAME="ElementName" TYPE="string">\n    <VALUE>newvm</VALUE>');
    const ex = await lv.wsman.send(req);
    expect(ex.http.status, ex.http.text).toBe(200);
    const doc = parse(ex.http.text);
    // openwsman's prefix registration: p is the OUTPUT element's binding, s/a/w come from the Envelope
    expect(openwsmanNamespaces(doc)).toMatchObject({ s: 'http://www.w3.org/2003/05/soap-envelope', p: C.Msvm_VirtualSystemManagementService.resourceUri });
    expect(xpathValue(doc, '/s:Envelope/s:Body/p:DefineSystem_OUTPUT/p:ReturnValue')).toBe('0');
    const name = xpathValue(doc, "/s:Envelope/s:Body/p:DefineSystem_OUTPUT/p:ResultingSystem/a:ReferenceParameters/w:SelectorSet/w:Selector[@Name='Name']")!;
    const d = await lv.lookupByName('newvm');
    expect(d).toMatchObject({ Name: name, ElementName: 'newvm', EnabledState: 3 });
  });

  test('the whole define path: DefineSystem, setvcpus on the off VM (ModifyResourceSettings), start, then undefine after destroy', async () => {
    lab = await startLab();
    const lv = driver();
    const d = await lv.defineXML('newvm');
    const uuid = String(d.Name);
    expect(await lv.setVcpus(uuid, 4)).toEqual({ returnCode: 0, ok: true });
    expect((await lv.domainGetInfo(uuid)).nrVirtCpu).toBe(4);
    const start = await lv.requestStateChange(uuid, 2);
    expect(start.returnCode).toBe(4096);
    expect(start.ok).toBe(true);
    await lv.requestStateChange(uuid, 3);
    const gone = await lv.undefine(uuid);
    expect(gone.ok).toBe(true);
    await expect(lv.lookupByName('newvm')).rejects.toThrow('No domain with name newvm');
    // the AffectedSystem parameter went out as libvirt builds it: a and w declared on the parameter
    const destroy = lv.wsman.exchanges.find((e) => e.request.includes('/DestroySystem</wsa:Action>'))!;
    expect(destroy.request).toMatch(/<p:AffectedSystem xmlns:a="http:\/\/schemas\.xmlsoap\.org\/ws\/2004\/08\/addressing" xmlns:w="http:\/\/schemas\.dmtf\.org\/wbem\/wsman\/1\/wsman\.xsd"><a:Address>/);
  });

  test('setvcpus on a running VM: the invocation returns 32775 (Invalid state), which libvirt reports as an error', async () => {
    lab = await startLab();
    const lv = driver();
    const web = await lv.lookupByName('web01');
    await expect(lv.setVcpus(String(web.Name), 4)).rejects.toThrow('Invocation of ModifyResourceSettings returned an error: 32775');
  });

  test('the VSMS by CreationClassName alone resolves to the one service; a CreationClassName that matches nothing is DestinationUnreachable', async () => {
    lab = await startLab();
    const lv = driver();
    const bad = await lv.wsman.send(lv.wsman.invokeRequest(C.Msvm_VirtualSystemManagementService, 'CreationClassName=Msvm_NoSuchService', 'DefineSystem',
      OpenwsmanClient.embeddedParam('SystemSettings', 'Msvm_VirtualSystemSettingData', [['ElementName', 'string', 'x']])));
    expect(bad.http.status).toBe(500);
    // hypervInvokeMethod falls back to the fault's reason text
    expect(xpathValue(parse(bad.http.text), '/s:Envelope/s:Body/p:DefineSystem_OUTPUT/p:ReturnValue')).toBeUndefined();
    expect(xpathValue(parse(bad.http.text), '/s:Envelope/s:Body/s:Fault/s:Reason/s:Text')).toMatch(/cannot find the resource/);
    await expect(lv.wsman.invokeAndWait('DefineSystem', bad, () => undefined)).rejects.toThrow(/WS-Management fault during DefineSystem invocation/);
  });
});
