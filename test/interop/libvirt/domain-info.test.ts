/**
 * libvirt:  virsh dominfo web01 / virsh vcpucount / virsh autostart
 *
 * hypervDomainGetInfo: the domain by UUID, then its settings with
 * `ASSOCIATORS OF {Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem',Name='<uuid>'} WHERE
 * AssocClass = Msvm_SettingsDefineState ResultClass = Msvm_VirtualSystemSettingData` and, from the
 * VSSD's InstanceID (backslashes escaped by virBufferEscapeSQL), `ASSOCIATORS OF
 * {Msvm_VirtualSystemSettingData.InstanceID='…'} WHERE AssocClass =
 * Msvm_VirtualSystemSettingDataComponent ResultClass = Msvm_ProcessorSettingData` (and
 * Msvm_MemorySettingData): memory = Limit / VirtualQuantity MiB × 1024, vCPUs = VirtualQuantity.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, VM, type HypervLab } from '../../helpers/hyperv.js';
import { LibvirtHyperv } from './driver.js';

let lab: HypervLab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});

describe('virDomainGetInfo', () => {
  test('web01: running, 4096 MiB, 2 vCPUs, read through the VSSD and its component settings', async () => {
    const lv = new LibvirtHyperv(lab.url('HV1'));
    expect(await lv.domainGetInfo(VM.web01)).toEqual({ state: 'running', maxMem: 4096 * 1024, memory: 4096 * 1024, nrVirtCpu: 2 });
    const vssd = await lv.vssd(VM.web01);
    expect(String(vssd.InstanceID)).toBe(`Microsoft:${VM.web01}`);
    // the processor settings' InstanceID carries backslashes; libvirt escapes them in the WQL literal
    const [proc] = await lv.settingData('Msvm_ProcessorSettingData', String(vssd.InstanceID));
    expect(String(proc.InstanceID)).toContain('\\');
    expect(proc.ResourceType).toBe(3);
  });

  test('db01: 16384 MiB, 8 vCPUs; build01 (off): shutoff', async () => {
    const lv = new LibvirtHyperv(lab.url('HV1'));
    expect(await lv.domainGetInfo(VM.db01)).toMatchObject({ state: 'running', memory: 16384 * 1024, nrVirtCpu: 8 });
    expect((await lv.domainGetInfo(VM.build01)).state).toBe('shutoff');
  });

  test('virDomainGetAutostart reads AutomaticStartupAction; virDomainSetAutostart goes through ModifySystemSettings (0, synchronous)', async () => {
    const lv = new LibvirtHyperv(lab.url('HV1'));
    const out = await lv.setAutostart(VM.build01, true);
    expect(out).toEqual({ returnCode: 0, ok: true });
    expect((await lv.vssd(VM.build01)).AutomaticStartupAction).toBe(4);
    await lv.setAutostart(VM.build01, false);
    expect((await lv.vssd(VM.build01)).AutomaticStartupAction).toBe(2);
  });
});
