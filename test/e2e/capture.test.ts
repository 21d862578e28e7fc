/**
 * Capture round trip: capture a running emulated world over WS-Man (Basic, and NTLM with sealed
 * messages), serve the capture, and compare both by enumeration of the Hyper-V classes — every
 * instance, every property, but the ones that are times.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { captureWorld, worldYaml } from '../../src/capture/capture.js';
import { main } from '../../src/cli.js';
import { parseWorld } from '../../src/fabric/world-file.js';
import { enumerateAll, propsOf, V2, type Props } from '../helpers/hyperv.js';
import { startControlLab, type ControlLab } from '../unit/control/lab.js';

const CLASSES = [
  'Msvm_ComputerSystem', 'Msvm_VirtualSystemSettingData', 'Msvm_MemorySettingData', 'Msvm_ProcessorSettingData',
  'Msvm_ResourceAllocationSettingData', 'Msvm_StorageAllocationSettingData', 'Msvm_SyntheticEthernetPortSettingData',
  'Msvm_EthernetPortAllocationSettingData', 'Msvm_VirtualEthernetSwitch', 'Msvm_Keyboard', 'Msvm_VirtualSystemMigrationService',
  'Msvm_VirtualSystemMigrationServiceSettingData', 'Msvm_VirtualSystemMigrationNetworkSettingData',
  'Msvm_VirtualSystemManagementService', 'Msvm_VirtualSystemManagementServiceSettingData', 'Msvm_VirtualSystemMigrationCapabilities',
];
const CIMV2 = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/';
const WIN32 = ['Win32_ComputerSystem', 'Win32_OperatingSystem', 'Win32_Processor'];
/** times differ between two emulators started at different moments */
const VOLATILE = new Set(['InstallDate', 'CreationTime', 'TimeOfLastStateChange', 'TimeOfLastConfigurationChange', 'OnTimeInMilliseconds', 'LastBootUpTime', 'LocalDateTime', 'FreePhysicalMemory', 'FreeVirtualMemory']);

async function picture(lab: ControlLab, host: string): Promise<Record<string, Props[]>> {
  const out: Record<string, Props[]> = {};
  const url = lab.url(host);
  const take = async (uri: string, cls: string) => {
    let items;
    try {
      items = await enumerateAll(url, uri + cls);
    } catch {
      return;
    }
    out[cls] = items.map((i) => {
      const p = propsOf(i);
      for (const k of Object.keys(p)) if (VOLATILE.has(k)) delete p[k];
      return p;
    }).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  };
  for (const cls of CLASSES) await take(V2, cls);
  for (const cls of WIN32) await take(CIMV2, cls);
  return out;
}

let source: ControlLab;
beforeAll(async () => {
  source = await startControlLab();
});
afterAll(async () => {
  await source?.close();
});

describe('capture', () => {
  for (const auth of ['basic', 'ntlm'] as const) {
    test(`round trip over ${auth}: the capture, served, enumerates as the original`, async () => {
      const { world, notes } = await captureWorld(
        source.emu.hosts.map((h) => ({ endpoint: h.http.url, user: 'Administrator', password: 'Passw0rd!', auth })),
      );
      expect(world.hosts.map((h) => h.name)).toEqual(['HV1', 'HV2']);
      expect(notes.join('\n')).toContain('profile: not captured');
      // a valid world file
      const yaml = await worldYaml(world, notes);
      const reparsed = parseWorld(yaml, 'capture.yaml');
      const copy = await startControlLab({ world: reparsed });
      try {
        for (const host of ['HV1', 'HV2']) {
          const [a, b] = [await picture(source, host), await picture(copy, host)];
          expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
          for (const cls of Object.keys(a)) expect(b[cls], `${host} ${cls}`).toEqual(a[cls]);
        }
      } finally {
        await copy.close();
      }
    });
  }

  test('the command: writes the world file, exit 0; a wrong password exits 1; no password exits 2', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vmms-capture-')), 'captured.yaml');
    const run = async (args: string[]) => {
      const lines: string[] = [];
      const code = await main(args, (l) => lines.push(l));
      return { code, stdout: lines.join('\n') };
    };
    const ok = await run(['capture', '--endpoint', source.url('HV2'), '--user', 'Administrator', '--auth', 'ntlm', '--password', 'Passw0rd!', '--out', out]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('1 host(s), 1 VM(s) captured');
    const w = parseWorld(readFileSync(out, 'utf8'));
    expect(w.hosts[0].vms!.map((v) => v.name)).toEqual(['app02']);
    expect(w.users).toEqual([{ name: 'Administrator', password: 'Passw0rd!' }]);
    // to stdout, with the world's password chosen
    const printed = await run(['capture', '-e', source.url('HV1'), '-u', 'Administrator', '--password', 'Passw0rd!', '--world-password', 'Other1!']);
    expect(printed.code).toBe(0);
    expect(parseWorld(printed.stdout).users[0].password).toBe('Other1!');
    expect((await run(['capture', '-e', source.url('HV2'), '-u', 'Administrator', '--password', 'wrong'])).code).toBe(1);
    const saved = process.env.VMMS_PASSWORD;
    delete process.env.VMMS_PASSWORD;
    try {
      expect((await run(['capture', '-e', source.url('HV2'), '-u', 'Administrator'])).code).toBe(2);
    } finally {
      if (saved !== undefined) process.env.VMMS_PASSWORD = saved;
    }
    expect((await run(['capture', '-e', 'ftp://x/wsman', '-u', 'a', '--password', 'b'])).code).toBe(2);
    expect((await run(['capture', '-u', 'a'])).code).toBe(2);
  });
});
