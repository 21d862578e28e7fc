/**
 * Resource bounds: a world file's `limits:` section (src/fabric/limits.ts) — validated, reported by
 * the WinRM config resource, and enforced by the listeners, the WS-Man layer and the fabric — and
 * the README's table that documents them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_LIMITS, LIMIT_NAMES } from '../../src/fabric/limits.js';
import { parseWorld, WorldFileError } from '../../src/fabric/world-file.js';
import { defaultWorld, startLab, V2, VM, type HypervLab } from '../helpers/hyperv.js';
import { ROOT } from '../helpers/robustness.js';
import { ACTION, envelope, faultOf, find, NS, parse, post } from '../helpers/wsman-client.js';
import { stringify } from 'yaml';
import { textOf } from '../../src/xml/dom.js';

const CS = V2 + 'Msvm_ComputerSystem';

describe('the limits: section of a world file', () => {
  test('accepted with every limit; unknown names, values below the minimum and inconsistent timeouts refused with their line', () => {
    const w = defaultWorld((x) => {
      x.limits = Object.fromEntries(LIMIT_NAMES.map((n) => [n, DEFAULT_LIMITS[n]]));
    });
    expect(parseWorld(stringify(w)).limits).toEqual(DEFAULT_LIMITS);
    const bad = (limits: Record<string, unknown>) => {
      try {
        parseWorld(stringify({ ...defaultWorld(), limits }));
        return [];
      } catch (e) {
        return (e as WorldFileError).problems;
      }
    };
    expect(bad({ maxEnvelopeSizekb: 500 })[0]).toMatch(/line \d+, column \d+: limits: unknown field 'maxEnvelopeSizekb'/);
    expect(bad({ maxEnvelopeSizeKb: 4 })[0]).toMatch(/limits.maxEnvelopeSizeKb: must be >= 8/);
    expect(bad({ maxConnections: 1.5 })[0]).toMatch(/must be integer/);
    expect(bad({ headersTimeoutMs: 5000, requestTimeoutMs: 1000 })[0]).toMatch(/headersTimeoutMs must not exceed requestTimeoutMs/);
  });
  test('the README lists every limit with its default', () => {
    const doc = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const n of LIMIT_NAMES) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${n}\` |`));
      expect(row, n).toBeDefined();
      expect(row!.split('|')[2].trim().replace(/[ _,]/g, ''), n).toBe(String(DEFAULT_LIMITS[n]));
    }
  });
});

describe('enforced', () => {
  let lab: HypervLab;
  let url: string;
  beforeAll(async () => {
    lab = await startLab(defaultWorld((w) => {
      w.limits = { maxEnvelopeSizeKb: 16, maxTimeoutMs: 5000, maxBatchItems: 2, maxConcurrentOperationsPerUser: 3, maxConnections: 6, enumerationTimeoutMs: 10_000, maxJobsKept: 2 };
    }));
    url = lab.url('HV1');
  });
  afterAll(async () => {
    await lab.close();
  });

  test('the WinRM config resource reports them (pypsrp sizes its messages from it)', async () => {
    const r = await post(url, envelope({ action: ACTION.get, resourceUri: 'http://schemas.microsoft.com/wbem/wsman/1/config' }).xml);
    expect(r.status).toBe(200);
    const cfg = 'http://schemas.microsoft.com/wbem/wsman/1/config';
    const v = (n: string) => textOf(find(parse(r.text), cfg, n)[0]);
    expect(v('MaxEnvelopeSizekb')).toBe('16');
    expect(v('MaxTimeoutms')).toBe('5000');
    expect(v('MaxBatchItems')).toBe('2');
    expect(v('MaxConcurrentOperationsPerUser')).toBe('3');
    expect(v('EnumerationTimeoutms')).toBe('10000');
    expect(v('MaxConnections')).toBe('6');
  });
  test('maxEnvelopeSizeKb: a larger body → 413; a larger answer → w:EncodingLimit', async () => {
    expect((await post(url, Buffer.alloc(17 * 1024, 0x20), {}, { agent: false })).status).toBe(413);
    const big = await post(url, envelope({ action: ACTION.enumerate, resourceUri: CS, body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>2</w:MaxElements><w:EnumerationMode>EnumerateObjectAndEPR</w:EnumerationMode></n:Enumerate>' }).xml);
    expect(big.status).toBe(200);
    expect(Buffer.byteLength(big.text)).toBeLessThanOrEqual(16 * 1024);
  });
  test('maxBatchItems caps MaxElements; maxConcurrentOperationsPerUser caps live contexts', async () => {
    // contexts left by earlier tests expire first
    lab.clock.advance(10_001);
    const r = await post(url, envelope({ action: ACTION.enumerate, resourceUri: CS, body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements><w:EnumerationMode>EnumerateEPR</w:EnumerationMode></n:Enumerate>' }).xml);
    expect(find(parse(r.text), NS.a, 'EndpointReference')).toHaveLength(2);
    const open = () => post(url, envelope({ action: ACTION.enumerate, resourceUri: CS, body: '<n:Enumerate/>' }).xml);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await open()).status);
    // the optimized one above holds a context too: 1 + 2 = 3
    expect(statuses).toEqual([200, 200, 500]);
    const f = faultOf(await open());
    expect(f.wsmanCode).toBe('2150859174');
    lab.clock.advance(10_001);
    expect((await open()).status).toBe(200);
  });
  test('maxTimeoutMs caps OperationTimeout (a longer one is accepted, not refused)', async () => {
    const r = await post(url, envelope({ action: ACTION.get, resourceUri: CS, selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 }, operationTimeout: 'PT600S' }).xml);
    expect(r.status).toBe(200);
  });
  test('maxConnections: connections beyond it are closed at once', async () => {
    const port = Number(new URL(url).port);
    const sockets: net.Socket[] = [];
    const closed: boolean[] = [];
    for (let i = 0; i < 9; i++) {
      const s = net.connect(port, '127.0.0.1');
      const n = i;
      closed[n] = false;
      s.on('close', () => (closed[n] = true));
      s.on('error', () => undefined);
      await new Promise((r) => s.once('connect', r));
      sockets.push(s);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(closed.filter(Boolean).length).toBeGreaterThanOrEqual(3);
    for (const s of sockets) s.destroy();
  });
  test('maxJobsKept: the oldest finished jobs go first', async () => {
    const f = lab.fabric;
    for (const target of ['paused', 'running', 'paused', 'running'] as const) {
      f.requestState('HV1', VM.db01, target);
      lab.clock.advance(1000);
    }
    expect([...f.jobs('HV1')].length).toBe(2);
  });
  test('a snapshot carries the limits; a restore applies new ones', async () => {
    expect(lab.emu.control.snapshot().limits?.maxEnvelopeSizeKb).toBe(16);
    await lab.emu.control.restore({ ...lab.emu.control.snapshot(), limits: { maxEnvelopeSizeKb: 32 } });
    expect((await post(lab.url('HV1'), Buffer.alloc(20 * 1024, 0x20), {}, { agent: false })).status).not.toBe(413);
    expect((await post(lab.url('HV1'), Buffer.alloc(33 * 1024, 0x20), {}, { agent: false })).status).toBe(413);
  });
});
