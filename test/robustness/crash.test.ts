/**
 * kill -9 at random points, then a restart, 50 times over (`VMMS_CRASH_ITERATIONS` for more,
 * `VMMS_CRASH_SEED` for another sequence): the real CLI (`vmms-emu serve --state FILE`, a fast
 * clock so migrations and state changes are always in flight) is driven over WS-Man by bursts of
 * migrations, state changes and job polls, killed with SIGKILL at a seeded moment — sometimes
 * while it is still starting and recovering — and started again on the same file. After every
 * restart the fabric must be consistent (README, "Crash semantics"):
 *  - every VM of the world exists exactly once, on one host, in a stable state, not busy;
 *  - no job is left unfinished; the ones the crash interrupted are Exception with reason
 *    `interrupted`;
 *  - every job a client was told about (a Job EPR received) exists;
 *  - every job a client saw finished is still finished the same way;
 *  - no planned VM is left over from an interrupted migration;
 *  - and the fabric keeps working (a migration after the last restart completes).
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultWorld, esc, migrationSettings, MIGRATION_SERVICE, serviceSelectors, V2, VM, vmEpr } from '../helpers/hyperv.js';
import { privateBuild, seeded, spawnServe, type ServeLines } from '../helpers/robustness.js';
import { envelope, find, NS, parse, post, ACTION } from '../helpers/wsman-client.js';
import { textOf } from '../../src/xml/dom.js';

const ITERATIONS = Number(process.env.VMMS_CRASH_ITERATIONS ?? 50);
const SEED = Number(process.env.VMMS_CRASH_SEED ?? 20_241_123);
const FINISHED = new Set(['completed', 'terminated', 'killed', 'exception']);
const JOB_STATE_NAME: Record<string, string> = { 7: 'completed', 8: 'terminated', 9: 'killed', 10: 'exception' };

let build: string;
let dir: string;
let worldFile: string;
let child: ChildProcess | undefined;

beforeAll(() => {
  build = privateBuild('crash');
  dir = mkdtempSync(join(tmpdir(), 'vmms-crash-'));
  worldFile = join(dir, 'world.yaml');
  // jobs are kept for the whole run, so every acknowledged job can be looked for
  writeFileSync(worldFile, stringify(defaultWorld((w) => {
    w.fabric = { ...w.fabric, jobRetentionSeconds: 10_000_000 };
  })));
});
afterAll(() => {
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

interface Acked {
  id: string;
  host: string;
  cls: string;
  vm: string;
  kind: 'migration' | 'state';
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

async function control<T>(lines: ServeLines, path: string, init?: { method: string; body?: unknown }): Promise<T> {
  const r = await fetch(lines.control! + path, init ? { method: init.method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(init.body) } : undefined);
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

interface VmView { guid: string; name: string; host: string; state: string; migrating: boolean; busyWith: string | null }
interface JobView { id: string; host: string; state: string; percent: number; error: { reason: string } | null; migration: { vm: string; source: string; destination: string | null } | null }

/** The WS-Man side: invoke and read the Job EPR, if any. */
async function invokeJob(url: string, cls: string, selectors: Record<string, string>, method: string, params: string): Promise<{ id: string; cls: string } | undefined> {
  const uri = V2 + cls;
  const xml = envelope({ action: `${uri}/${method}`, resourceUri: uri, selectors, body: `<p:${method}_INPUT xmlns:p="${uri}">${params}</p:${method}_INPUT>` }).xml;
  const r = await post(url, xml, {}, { agent });
  if (r.status !== 200) return undefined;
  const doc = parse(r.text);
  const rv = find(doc, uri, 'ReturnValue')[0];
  if (!rv || textOf(rv).trim() !== '4096') return undefined;
  const job = find(doc, uri, 'Job')[0];
  const res = textOf(find(job, NS.w, 'ResourceURI')[0]).trim();
  const id = find(job, NS.w, 'Selector').find((s) => s.attrs.some((a) => a.value === 'InstanceID'))!;
  return { id: textOf(id).trim(), cls: res.slice(res.lastIndexOf('/') + 1) };
}

async function jobStateOverWsman(url: string, a: Acked): Promise<string | undefined> {
  const r = await post(url, envelope({ action: ACTION.get, resourceUri: V2 + a.cls, selectors: { InstanceID: a.id } }).xml, {}, { agent });
  if (r.status !== 200) return undefined;
  const js = find(parse(r.text), V2 + a.cls, 'JobState')[0];
  return js ? JOB_STATE_NAME[textOf(js).trim()] : undefined;
}

const allGuids = Object.values(VM).map((g) => g.toUpperCase()).sort();

async function checkInvariants(lines: ServeLines, acked: Map<string, Acked>, seenFinished: Map<string, string>, label: string): Promise<{ vms: VmView[]; jobs: JobView[] }> {
  const vms = await control<VmView[]>(lines, '/api/vms');
  expect(vms.map((v) => v.guid).sort(), `${label}: each VM exactly once`).toEqual(allGuids);
  for (const v of vms) {
    expect(['running', 'off', 'saved', 'paused'], `${label}: ${v.name} stable`).toContain(v.state);
    expect(v.migrating, `${label}: ${v.name} not migrating`).toBe(false);
    expect(v.busyWith, `${label}: ${v.name} not busy`).toBeNull();
  }
  // the WS-Man view agrees: each VM on exactly one host
  const seen = new Map<string, string[]>();
  for (const [host, url] of Object.entries(lines.hosts)) {
    const r = await post(url, envelope({
      action: ACTION.enumerate, resourceUri: V2 + 'Msvm_ComputerSystem',
      body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>',
    }).xml, {}, { agent });
    expect(r.status).toBe(200);
    const names = find(parse(r.text), V2 + 'Msvm_ComputerSystem', 'Name').map((e) => textOf(e).trim().toUpperCase()).filter((n) => n.includes('-'));
    for (const n of names) seen.set(n, [...(seen.get(n) ?? []), host]);
  }
  for (const g of allGuids) expect(seen.get(g), `${label}: ${g} on one host over WS-Man`).toHaveLength(1);
  const hosts = await control<Array<{ name: string; plannedVms: number }>>(lines, '/api/hosts');
  for (const h of hosts) expect(h.plannedVms, `${label}: no planned VM left on ${h.name}`).toBe(0);
  const jobs = await control<JobView[]>(lines, '/api/jobs');
  const byId = new Map(jobs.map((j) => [j.id, j]));
  for (const j of jobs) {
    expect(FINISHED.has(j.state), `${label}: job ${j.id} finished (${j.state})`).toBe(true);
    if (j.error?.reason === 'interrupted') {
      expect(j.state).toBe('exception');
      expect(j.percent).toBeLessThan(100);
    }
  }
  for (const a of acked.values()) expect(byId.has(a.id), `${label}: acknowledged job ${a.id} (${a.kind} of ${a.vm}) kept`).toBe(true);
  for (const [id, state] of seenFinished) expect(byId.get(id)?.state, `${label}: job ${id} seen ${state} stays ${state}`).toBe(state);
  return { vms, jobs };
}

function other(host: string): string {
  return host === 'HV1' ? 'HV2' : 'HV1';
}

describe('kill -9 and restart', () => {
  test(`${ITERATIONS} random kill points during migrations and state changes leave a consistent fabric`, { timeout: 600_000 }, async () => {
    const rnd = seeded(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const state = join(dir, 'state.db');
    const args = ['--world', worldFile, '--state', state, '--port-base', '0', '--no-https', '--log-level', 'silent', '--time-scale', '100'];
    const acked = new Map<string, Acked>();
    const seenFinished = new Map<string, string>();
    let interrupted = 0;
    let completedMigrations = 0;

    let started = await spawnServe(build, args);
    child = started.child;
    let lines = started.lines;
    await checkInvariants(lines, acked, seenFinished, 'first start');

    for (let it = 0; it < ITERATIONS; it++) {
      const label = `iteration ${it} (seed ${SEED})`;
      const vms = await control<VmView[]>(lines, '/api/vms');
      const inFlight: Array<Promise<void>> = [];
      const burst = 3 + Math.floor(rnd() * 6);
      for (let k = 0; k < burst; k++) {
        const v = pick(vms);
        const url = lines.hosts[v.host];
        const op = rnd();
        if (op < 0.5) {
          const params = `<p:ComputerSystem>${vmEpr(v.guid)}</p:ComputerSystem><p:DestinationHost>${other(v.host)}</p:DestinationHost>` +
            `<p:MigrationSettingData>${esc(migrationSettings(32768))}</p:MigrationSettingData>`;
          inFlight.push(invokeJob(url, MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, v.host), 'MigrateVirtualSystemToHost', params).then((j) => {
            if (j) acked.set(j.id, { ...j, host: v.host, vm: v.guid, kind: 'migration' });
          }, () => undefined));
        } else {
          const target = pick(['2', '3', '6', '9']);
          inFlight.push(invokeJob(url, 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: v.guid }, 'RequestStateChange', `<p:RequestedState>${target}</p:RequestedState>`).then((j) => {
            if (j) acked.set(j.id, { ...j, host: v.host, vm: v.guid, kind: 'state' });
          }, () => undefined));
        }
      }
      // polls of earlier jobs: what a client sees finished must stay so
      for (const a of [...acked.values()].slice(-6)) {
        const url = lines.hosts[a.host];
        if (!url) continue;
        inFlight.push(jobStateOverWsman(url, a).then((s) => {
          if (s && FINISHED.has(s)) seenFinished.set(a.id, s);
        }, () => undefined));
      }
      // the kill: a seeded moment while all that is in flight (sometimes after it all settled)
      const delay = Math.floor(rnd() * 250);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await new Promise<void>((r) => (child!.exitCode !== null || child!.signalCode !== null ? r() : child!.once('exit', () => r())));
      await Promise.all(inFlight);
      agent.destroy();

      // now and then, kill the restart itself while it recovers
      if (rnd() < 0.1) {
        const early = await import('node:child_process').then(({ spawn }) => spawn(process.execPath, [join(build, 'src', 'bin.js'), 'serve', ...args], { stdio: 'ignore' }));
        await new Promise((r) => setTimeout(r, 200 + Math.floor(rnd() * 500)));
        early.kill('SIGKILL');
        await new Promise<void>((r) => (early.exitCode !== null || early.signalCode !== null ? r() : early.once('exit', () => r())));
      }

      started = await spawnServe(build, args);
      child = started.child;
      lines = started.lines;
      const { jobs } = await checkInvariants(lines, acked, seenFinished, label);
      interrupted = jobs.filter((j) => j.error?.reason === 'interrupted').length;
      completedMigrations = jobs.filter((j) => j.migration && j.state === 'completed').length;
    }
    console.log(`crash test: ${acked.size} jobs acknowledged, ${seenFinished.size} seen finished, ${interrupted} interrupted, ${completedMigrations} migrations completed`);
    // the kill points did land in the middle of things, and things also got done
    expect(interrupted).toBeGreaterThan(0);
    expect(completedMigrations).toBeGreaterThan(0);

    // the fabric keeps working after all that: one more migration, to completion
    const vms = await control<VmView[]>(lines, '/api/vms');
    const v = vms.find((x) => x.name === 'web01')!;
    const job = await control<{ id: string }>(lines, '/api/migrations', { method: 'POST', body: { vm: v.guid, destination: other(v.host) } });
    for (let i = 0; i < 200; i++) {
      const j = await control<JobView>(lines, `/api/jobs/${job.id}`);
      if (FINISHED.has(j.state)) {
        expect(j.state).toBe('completed');
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const after = await control<VmView[]>(lines, '/api/vms');
    expect(after.find((x) => x.guid === v.guid)!.host).toBe(other(v.host));

    // a clean stop (SIGTERM) flushes and marks the file clean
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    child = undefined;
  });
});
