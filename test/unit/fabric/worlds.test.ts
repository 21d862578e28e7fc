/** The shipped world files load and build a fabric; world-file errors name the line. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { projectRoot } from '../../../src/cim/schema-loader.js';
import { FabricClock } from '../../../src/fabric/clock.js';
import { Fabric } from '../../../src/fabric/fabric.js';
import { parseWorld } from '../../../src/fabric/world-file.js';
import { worldFile } from '../../helpers/hyperv.js';

describe('shipped worlds', () => {
  const files = readdirSync(join(projectRoot(), 'worlds')).filter((f) => f.endsWith('.yaml'));
  test('there are the default world and at least three examples', () => {
    expect(files).toEqual(expect.arrayContaining(['default.yaml', 'mismatched-cpu.yaml', 'fabric-20.yaml', 'mixed-fleet.yaml']));
  });
  test.each(files)('%s loads into a fabric', (file) => {
    const w = worldFile(file);
    const f = new Fabric(w, new FabricClock({ mode: 'manual' }));
    expect(f.hostNames()).toEqual(w.hosts.map((h) => h.name));
    for (const h of w.hosts) expect([...f.vms(h.name)].length).toBe(h.vms?.length ?? 0);
  });
  test('the default lab: HV1 with VMs in several states, HV2 with one, migration on both', () => {
    const w = worldFile('default.yaml');
    const f = new Fabric(w, new FabricClock({ mode: 'manual' }));
    expect(new Set([...f.vms('HV1')].map((v) => v.state))).toEqual(new Set(['running', 'off', 'saved', 'paused']));
    expect([...f.vms('HV2')]).toHaveLength(1);
    expect(f.requireHost('HV1').migration.enabled && f.requireHost('HV2').migration.enabled).toBe(true);
    expect(f.listenerAddresses(f.requireHost('HV1'))).toEqual(['10.0.0.11']);
  });
  test('fabric-20: 20 hosts, 80 VMs', () => {
    const f = new Fabric(worldFile('fabric-20.yaml'), new FabricClock({ mode: 'manual' }));
    expect(f.hostNames()).toHaveLength(20);
    expect(f.hostNames().reduce((n, h) => n + f.vmCount(h), 0)).toBe(80);
  });
});

describe('world-file errors', () => {
  const base = (vm: string, host = '') => `users: [{ name: a, password: b }]
hosts:
  - name: H1${host}
    osVersion: 10.0.17763
    switches: [{ name: S }]
    vms:
${vm}`;
  test('a configuration version the host cannot run names its line', () => {
    expect(() => parseWorld(base('      - { guid: 2A000000-0000-4000-8000-000000000001, name: v, state: off, memoryMiB: 1, cpus: 1, configurationVersion: "10.0" }'))).toThrow(
      /line 7, column \d+: hosts\.0\.vms\.0\.configurationVersion: host H1 \(10\.0\.17763\) does not support configuration version 10\.0/,
    );
  });
  test('unknown fields, bad subnets, unknown switches', () => {
    expect(() => parseWorld(base('      - { guid: 2A000000-0000-4000-8000-000000000001, name: v, state: off, memoryMiB: 1, cpus: 1, adapters: [{ switch: T }] }'))).toThrow(/no virtual switch 'T'/);
    expect(() => parseWorld(base('      []', '\n    migration: { enabled: true, networks: [{ subnet: "10.0.0.0/24x" }] }'))).toThrow(/subnet/);
    expect(() => parseWorld(base('      []', '\n    unreachable: maybe'))).toThrow(/unreachable/);
    expect(() => parseWorld(`users: [{ name: a, password: b }]\nfabric: { timings: { bogusMs: 1 } }\nhosts: [{ name: H }]`)).toThrow(/unknown field 'bogusMs'/);
  });
});
