/**
 * libvirt:  virsh start / destroy / suspend / resume / reboot / managedsave
 *
 * hypervInvokeMsvmComputerSystemRequestStateChange: wsmc_action_invoke on the Msvm_ComputerSystem
 * URI with the selector string `Name=<lower-case uuid>&CreationClassName=Msvm_ComputerSystem` and
 * the property string `RequestedState=<n>`, which openwsman turns into its own body
 * (`<n1:RequestStateChange_INPUT><n1:RequestedState>n</n1:RequestedState>`, n1 declared on the
 * Envelope). ReturnValue by XPath; 4096 → the job's InstanceID from
 * `…/p:Job/a:ReferenceParameters/w:SelectorSet/w:Selector[@Name='InstanceID']`, then
 * `SELECT * FROM Msvm_ConcreteJob WHERE InstanceID = '<id>'` every 100 ms until JobState leaves
 * 2/3/4/6 (7 = done; 8/9/10/11 = error).
 *
 * libvirt sends v2 RequestedState values (2, 3, 9 quiesce for suspend, 10, 6 offline for managed
 * save) but still tests "has a managed save image" with the v1 EnabledState 32769; the emulator
 * reports a saved VM as Windows v2 does (6), so libvirt never sees a managed save image here, as
 * against a real Windows Server 2012+ host.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { startLab, VM, type HypervLab } from '../../helpers/hyperv.js';
import { LIBVIRT_CLASSES as C } from '../../helpers/openwsman-client.js';
import { parse } from '../../helpers/wsman-client.js';
import { xpathValue } from '../../helpers/xpath.js';
import { LibvirtHyperv, REQUESTEDSTATE } from './driver.js';

let lab: HypervLab;
let advanced = 0;
afterEach(async () => {
  await lab?.close();
});

async function driver(): Promise<LibvirtHyperv> {
  lab = await startLab();
  advanced = 0;
  return new LibvirtHyperv(lab.url('HV1'), undefined, undefined, () => {
    lab.clock.advance(100);
    advanced += 100;
  });
}

describe('Msvm_ComputerSystem.RequestStateChange as libvirt drives it', () => {
  test('virsh start build01: openwsman\'s n1 body, 4096 + job, polled every 100 ms by WQL until JobState 7; the VM runs', async () => {
    const lv = await driver();
    const uuid = VM.build01.toLowerCase();
    const req = lv.wsman.invokeWithPropertiesRequest(C.Msvm_ComputerSystem.resourceUri, `Name=${uuid}&CreationClassName=Msvm_ComputerSystem`, 'RequestStateChange', 'RequestedState=2');
    expect(req).toContain(`xmlns:n1="${C.Msvm_ComputerSystem.resourceUri}"`);
    expect(req).toContain('<s:Body><n1:RequestStateChange_INPUT><n1:RequestedState>2</n1:RequestedState></n1:RequestStateChange_INPUT></s:Body>');
    const ex = await lv.wsman.send(req);
    const doc = parse(ex.http.text);
    expect(xpathValue(doc, '/s:Envelope/s:Body/p:RequestStateChange_OUTPUT/p:ReturnValue')).toBe('4096');
    const id = xpathValue(doc, "/s:Envelope/s:Body/p:RequestStateChange_OUTPUT/p:Job/a:ReferenceParameters/w:SelectorSet/w:Selector[@Name='InstanceID']");
    expect(id).toMatch(/^[0-9A-F-]{36}$/);
    // the job EPR names Msvm_ConcreteJob in the WMI form (the request's form), InstanceID its only key
    expect(ex.http.text).toContain('<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ConcreteJob</w:ResourceURI>');
    const out = await lv.wsman.invokeAndWait('RequestStateChange', ex, () => {
      lab.clock.advance(100);
      advanced += 100;
    });
    expect(out.ok).toBe(true);
    expect(out.jobStates![out.jobStates!.length - 1]).toBe(7);
    expect(out.jobStates!.slice(0, -1).every((s) => [2, 3, 4, 6].includes(s))).toBe(true);
    expect(advanced).toBe((out.jobStates!.length - 1) * 100);
    const d = await lv.lookupByUUID(VM.build01);
    expect(d.EnabledState).toBe(2);
    expect(Number(d.ProcessID)).toBeGreaterThan(0);
  });

  test('suspend (9) from running, resume (2) only from 9, reboot (10), destroy (3): each a job that completes', async () => {
    const lv = await driver();
    const state = async () => Number((await lv.lookupByUUID(VM.web01)).EnabledState);
    expect((await lv.checkedStateChange(VM.web01, REQUESTEDSTATE.QUIESCE)).ok).toBe(true);
    expect(await state()).toBe(9);
    expect((await lv.resume(VM.web01)).ok).toBe(true);
    expect(await state()).toBe(2);
    await expect(lv.resume(VM.web01)).rejects.toThrow('Domain is not paused');
    expect((await lv.checkedStateChange(VM.web01, REQUESTEDSTATE.REBOOT)).ok).toBe(true);
    expect(await state()).toBe(2);
    expect((await lv.requestStateChange(VM.web01, REQUESTEDSTATE.DISABLED)).ok).toBe(true);
    expect(await state()).toBe(3);
    await expect(lv.checkedStateChange(VM.web01, REQUESTEDSTATE.QUIESCE)).rejects.toThrow('Domain is not active');
  });

  test('managedsave: RequestedState 6 saves the VM (EnabledState 6); libvirt\'s v1 check (32769) finds no managed save image', async () => {
    const lv = await driver();
    expect((await lv.checkedStateChange(VM.db01, REQUESTEDSTATE.OFFLINE)).ok).toBe(true);
    expect((await lv.lookupByUUID(VM.db01)).EnabledState).toBe(6);
    expect(await lv.hasManagedSaveImage(VM.db01)).toBe(false);
    // start restores it
    expect((await lv.requestStateChange(VM.db01, REQUESTEDSTATE.ENABLED)).ok).toBe(true);
    expect((await lv.lookupByUUID(VM.db01)).EnabledState).toBe(2);
  });

  test('a state the VM cannot reach now is a ReturnValue, not a job: libvirt reports "Invocation … returned an error"', async () => {
    const lv = await driver();
    // pausing a VM that is off
    const out = await lv.requestStateChange(VM.build01, REQUESTEDSTATE.QUIESCE);
    expect(out.ok).toBe(false);
    expect(out.jobId).toBeUndefined();
    expect(out.returnCode).not.toBe(0);
  });
});
