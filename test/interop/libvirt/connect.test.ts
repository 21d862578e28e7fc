/**
 * libvirt:  virsh -c 'hyperv://Administrator@hv1/?transport=http' version
 *
 * hypervConnectOpen → wsmc_create + Basic, then hypervCapsInit (Win32_ComputerSystemProduct.UUID
 * as the host UUID) and hypervGetOperatingSystem (Win32_OperatingSystem.Version, packed by
 * hypervConnectGetVersion). Each is a WQL Enumerate on `…/wmi/root/cimv2/*` and Pulls on the
 * class URI, openwsman style: the first request without credentials (401 with `Basic
 * realm="WSMAN"`), then Basic; answers deserialized by openwsman's serializer with libvirt's
 * generated type info (every scalar present exactly once, numbers parseable or xsi:nil).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLab, type HypervLab } from '../../helpers/hyperv.js';
import { LIBVIRT_CLASSES as C } from '../../helpers/openwsman-client.js';
import { LibvirtHyperv } from './driver.js';

const CAPTURES = join(dirname(fileURLToPath(import.meta.url)), 'captures');

let lab: HypervLab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});

/** The envelope with its per-request parts (MessageID, To) blanked, for structural comparison. */
function shape(xml: string): string {
  return xml.replace(/uuid:[0-9a-fA-F-]{36}/g, 'uuid:X').replace(/http:\/\/127\.0\.0\.1:\d+\/wsman/g, 'http://HOST/wsman');
}

describe('virConnectOpen / virConnectGetVersion', () => {
  test('the helper writes what the recorded openwsman client wrote (Enumerate with a WQL filter, then Pull)', () => {
    const lv = new LibvirtHyperv('http://127.0.0.1:37003/wsman');
    const uri = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_VirtualSystemMigrationService';
    const q = "SELECT * FROM Msvm_VirtualSystemMigrationService WHERE Name='vmms'";
    expect(shape(lv.wsman.enumerateRequest(uri, q))).toBe(shape(readFileSync(join(CAPTURES, 'openwsman-enumerate-wql.enumerate.request.xml'), 'utf8')));
    expect(shape(lv.wsman.pullRequest(uri, 'uuid:B7B9B899-553D-4908-874F-09652C9BF814'))).toBe(shape(readFileSync(join(CAPTURES, 'openwsman-enumerate-wql.pull.request.xml'), 'utf8')));
    // EnumerateEPR mode: the mode element precedes the filter (wsman_set_enumeration_options);
    // the recorded EnumerateEPR request had no filter, the rest of its envelope is the same
    const epr = lv.wsman.enumerateRequest(uri, q, true);
    expect(epr).toContain('<wsen:Enumerate><wsman:EnumerationMode>EnumerateEPR</wsman:EnumerationMode><wsman:Filter');
    const recordedEpr = readFileSync(join(CAPTURES, 'openwsman-enumerate-epr.enumerate.request.xml'), 'utf8');
    expect(shape(epr).replace(/<wsman:Filter[^]*<\/wsman:Filter>/, '')).toBe(shape(recordedEpr));
    // an invoke whose body openwsman builds from properties (-k / wsmc_add_prop_from_str): n1 on the Envelope
    const recordedInvoke = readFileSync(join(CAPTURES, 'openwsman-invoke-properties.invoke.request.xml'), 'utf8');
    const props = lv.wsman.invokeWithPropertiesRequest(uri, 'Name=vmms&SystemName=HOST1&SystemCreationClassName=Msvm_ComputerSystem&CreationClassName=Msvm_VirtualSystemMigrationService',
      'MigrateVirtualSystemToHost', 'DestinationHost=HOST2&MigrationSettingData=<INSTANCE CLASSNAME');
    expect(shape(props)).toBe(shape(recordedInvoke));
  });

  test('the host UUID and the OS version come out of root/cimv2 as libvirt deserializes them; version 10.0.20348 packs to 1000020348', async () => {
    const lv = new LibvirtHyperv(lab.url('HV1'));
    await lv.connectOpen();
    expect(lv.hostUuid).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(lv.version).toBe('10.0.20348');
    expect(lv.connectGetVersion()).toBe(1000020348);
    // openwsman's dance: one 401 (Basic offered), then every request with Basic
    expect(lv.wsman.exchanges.every((e) => e.http.status === 200)).toBe(true);
    // instances come in the WMI namespace of their class, exactly as libvirt's resourceUri spells it;
    // a Pull without MaxElements carries one item, and the Pull with the last item also ends the
    // sequence (no context, EndOfSequence), as Windows' final batch does
    const pulls = lv.wsman.exchanges.filter((e) => e.request.includes('/Pull<'));
    expect(pulls.map((p) => [
      /<n:Items><p:\w+ [^>]*xmlns:p="([^"]+)"/.exec(p.http.text)?.[1],
      p.http.text.includes('<n:EndOfSequence/>') && !p.http.text.includes('<n:EnumerationContext>'),
    ])).toEqual([
      [C.Win32_ComputerSystemProduct.resourceUri, true], [C.Win32_OperatingSystem.resourceUri, true],
    ]);
  });

  test('the UUID is stable per host and differs between hosts', async () => {
    const a = new LibvirtHyperv(lab.url('HV1'));
    const b = new LibvirtHyperv(lab.url('HV1'));
    const c = new LibvirtHyperv(lab.url('HV2'));
    await Promise.all([a.connectOpen(), b.connectOpen(), c.connectOpen()]);
    expect(a.hostUuid).toBe(b.hostUuid);
    expect(a.hostUuid).not.toBe(c.hostUuid);
  });

  test('wrong password: the Basic retry gets 401 again, which libvirt reports as an unexpected HTTP status', async () => {
    const lv = new LibvirtHyperv(lab.url('HV1'), 'Administrator', 'wrong');
    await expect(lv.connectOpen()).rejects.toThrow(/Unexpected HTTP response: 401/);
  });
});
