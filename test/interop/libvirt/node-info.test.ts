/**
 * libvirt:  virsh nodeinfo / virsh hostname / virsh freecell
 *
 * hypervNodeGetInfo: `SELECT * FROM Win32_ComputerSystem ` then
 * `ASSOCIATORS OF {Win32_ComputerSystem.Name='<Name>'} WHERE AssocClass = Win32_ComputerSystemProcessor
 * ResultClass = Win32_Processor` on `…/wmi/root/cimv2/*`; model from the first processor's Name
 * (stripped of "(R)", "(TM)" and " @ …GHz"), memory = TotalPhysicalMemory / 1024, sockets =
 * number of processors, cores = NumberOfCores, threads = NumberOfLogicalProcessors / cores.
 * hypervConnectGetHostname: DNSHostName. hypervNodeGetFreeMemory: FreePhysicalMemory × 1024.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type HypervLab } from '../../helpers/hyperv.js';
import { LibvirtHyperv } from './driver.js';

let lab: HypervLab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});

describe('virNodeGetInfo, virConnectGetHostname, virNodeGetFreeMemory', () => {
  test('HV1 (40 logical processors, Xeon Gold 6230 @ 2.10GHz, 256 GiB for VMs): two sockets of 10 cores × 2 threads', async () => {
    const lv = new LibvirtHyperv(lab.url('HV1'));
    const info = await lv.nodeGetInfo();
    expect(info).toEqual({
      model: 'Intel Xeon Gold 6230 CPU',
      memory: (262144 + 4096) * 1024, // KiB: the VMs' memory plus the root partition's 4 GiB
      mhz: 2100,
      nodes: 1,
      sockets: 2,
      cores: 10,
      threads: 2,
      cpus: 20,
    });
    // the processor lookup is an association traversal on the all-classes WMI URI
    const assoc = lv.wsman.exchanges.find((e) => e.request.includes('ASSOCIATORS OF {Win32_ComputerSystem'))!;
    expect(assoc.request).toContain('<wsman:ResourceURI s:mustUnderstand="true">http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*</wsman:ResourceURI>');
    expect(assoc.http.status).toBe(200);
  });

  test('the host name is the DNS host name; free memory follows the VMs that run', async () => {
    const lv = new LibvirtHyperv(lab.url('HV1'));
    expect(await lv.connectGetHostname()).toBe('hv1');
    const free = await lv.nodeGetFreeMemory();
    expect(free).toBe(BigInt(Math.max(0, lab.fabric.freeMemoryMiB('HV1'))) * 1024n * 1024n);
    expect(free).toBeLessThan(262144n * 1024n * 1024n);
  });
});
