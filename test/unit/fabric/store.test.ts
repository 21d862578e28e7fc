/**
 * Durable fabric state (src/fabric/store): write-through after every fabric step, the file read
 * back equal to the live fabric, one emulator per file, and the crash semantics of
 * Fabric.recoverInterrupted — migrations before cut-over stay on the source and lose their planned
 * VM, state changes roll back, unfinished jobs end in Exception with reason `interrupted`,
 * finished jobs stay as they were — plus the maxJobsKept bound and iteration that never returns a
 * VM twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { FabricClock } from '../../../src/fabric/clock.js';
import { DEFAULT_TIMINGS, Fabric } from '../../../src/fabric/fabric.js';
import type { JobRecord } from '../../../src/fabric/model.js';
import { FabricStore, StateFileError } from '../../../src/fabric/store/sqlite-store.js';
import type { WorldSpec } from '../../../src/fabric/world.js';
import { codeFor } from '../../../src/providers/hyperv/profiles.js';
import { defaultWorld, VM } from '../../helpers/hyperv.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempFile(): string {
  const d = mkdtempSync(join(tmpdir(), 'vmms-store-'));
  dirs.push(d);
  return join(d, 'state.db');
}

const START = Date.UTC(2025, 0, 6, 9);

function make(world: WorldSpec = defaultWorld(), file = tempFile()) {
  const clock = new FabricClock({ mode: 'manual', start: START });
  const f = new Fabric(world, clock);
  const store = FabricStore.open(file);
  store.replaceAll(f, world, world);
  store.attach(f, () => world);
  return { f, clock, store, file, world };
}

/** The fabric's records as JSON, the way the file keeps them. */
function live(f: Fabric) {
  const out = { hosts: [] as unknown[], vms: [] as unknown[], jobs: [] as unknown[] };
  for (const r of f.records()) (r.kind === 'host' ? out.hosts : r.kind === 'vm' ? out.vms : out.jobs).push(JSON.parse(JSON.stringify(r.rec)));
  const key = (x: unknown) => JSON.stringify(x);
  return { hosts: out.hosts.map(key).sort(), vms: out.vms.map(key).sort(), jobs: out.jobs.map(key).sort() };
}

function saved(store: FabricStore) {
  const s = store.load()!;
  const key = (x: unknown) => JSON.stringify(x);
  return { hosts: s.hosts.map(key).sort(), vms: s.vms.map(key).sort(), jobs: s.jobs.map(key).sort() };
}

const tick = () => new Promise<void>((r) => queueMicrotask(r));

/** Reopen the file as a restart would (the old store must have released it). */
function restart(file: string, world: WorldSpec, lastClose: 'clean' | 'crash', clockStart = START) {
  const store = FabricStore.open(file);
  const s = store.load()!;
  expect(s.clean).toBe(lastClose === 'clean');
  const clock = new FabricClock({ mode: 'manual', start: Math.max(clockStart, s.time) });
  const f = new Fabric(s.world ?? world, clock);
  f.importRecords(s.hosts, s.vms, s.jobs);
  store.attach(f, () => s.world);
  const ended = f.recoverInterrupted(s.time);
  store.flush();
  return { f, clock, store, ended, saved: s };
}

/** Simulate `kill -9`: the connection goes without the clean-close marker or a final flush. */
function crash(store: FabricStore): void {
  (store as unknown as { db: { close(): void } }).db.close();
  (store as unknown as { closed: boolean }).closed = true;
}

const where = (f: Fabric, guid: string) => f.hostNames().filter((h) => f.vm(h, guid));

describe('write-through', () => {
  test('a new file holds the world; every step is in the file before anyone can see it', async () => {
    const { f, clock, store } = make();
    expect(saved(store)).toEqual(live(f));
    const r = f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    expect(r.ok).toBe(true);
    await tick();
    expect(saved(store)).toEqual(live(f));
    for (let i = 0; i < 20; i++) {
      clock.advance(400);
      await tick();
      expect(saved(store)).toEqual(live(f));
    }
    expect(where(f, VM.web01)).toEqual(['HV2']);
    const s = f.requestState('HV1', VM.db01, 'saved');
    expect(s.ok).toBe(true);
    clock.advance(DEFAULT_TIMINGS.saveMs);
    await tick();
    expect(saved(store)).toEqual(live(f));
    store.close();
  });
  test('Gets and Enumerates write nothing; a step is one transaction', async () => {
    const { f, clock, store } = make();
    const before = store.stats.flushes;
    for (let i = 0; i < 100; i++) {
      void [...f.vms('HV1')];
      void f.snapshot();
    }
    await tick();
    expect(store.stats.flushes).toBe(before);
    f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    await tick();
    expect(store.stats.flushes).toBe(before + 1);
    clock.advance(10_000); // validation, progress, cut-over, completion: steps, each at most one write
    await tick();
    expect(store.stats.flushes).toBe(before + 2);
    store.close();
  });
  test('a clean restart gives back exactly what was closed, jobs and settings included', () => {
    const { f, clock, store, file, world } = make();
    f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    f.modifyMigrationSettings('HV2', { maxVirtualSystemMigrations: 7 });
    clock.advance(20_000);
    const before = live(f);
    store.close();
    const r = restart(file, world, 'clean');
    expect(r.ended).toEqual([]);
    expect(live(r.f)).toEqual(before);
    expect(r.f.host('HV2')!.migration.maxVirtualSystemMigrations).toBe(7);
    r.store.close();
  });
  test('one emulator per file; a file of another format is refused', () => {
    const { store, file } = make();
    expect(() => FabricStore.open(file)).toThrow(/in use by another emulator/);
    store.close();
    const other = tempFile();
    writeFileSync(other, 'not a database at all, definitely not SQLite');
    expect(() => FabricStore.open(other)).toThrow(StateFileError);
  });
});

describe('crash semantics', () => {
  test('a migration killed before its cut-over: the VM stays on the source, the planned VM goes, the job ends in Exception (interrupted)', async () => {
    const { f, clock, store, file, world } = make();
    const j = (f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' }) as { job: JobRecord }).job;
    clock.advance(DEFAULT_TIMINGS.migrationSetupMs + 1000); // validated, transferring
    expect(f.planned('HV2', VM.web01)).toBeDefined();
    const pct = f.percentOf(j);
    expect(pct).toBeGreaterThan(10);
    await tick();
    crash(store);
    const r = restart(file, world, 'crash', START + 3_600_000);
    expect(r.ended).toEqual([j.id]);
    expect(where(r.f, VM.web01)).toEqual(['HV1']);
    expect(r.f.planned('HV2', VM.web01)).toBeUndefined();
    const v = r.f.vm('HV1', VM.web01)!;
    expect(v.state).toBe('running');
    expect(v.migrating).toBe(false);
    expect(v.busyWith).toBeUndefined();
    const job = r.f.job('HV1', j.id)!;
    expect(job.state).toBe('exception');
    expect(job.failure!.reason).toBe('interrupted');
    expect(job.percent).toBe(pct);
    expect(job.failure!.summary).toBe(`Virtual machine migration operation for 'web01' failed at migration source 'HV1'. (Virtual machine ID ${VM.web01})`);
    expect(job.failure!.errors[1].message).toMatch(/stopped unexpectedly.*0x800706BE/);
    expect(job.failure!.errors[1].messageId).toBe('21028');
    expect(codeFor('hyperv', 'migration', 'interrupted')).toBe(32768);
    expect(codeFor('dmtf', 'migration', 'interrupted')).toBe(2);
    expect(codeFor('dmtf', 'state-change', 'interrupted')).toBe(4);
    // the fabric works on: the same migration again
    const again = r.f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    expect(again.ok).toBe(true);
    r.clock.advance(20_000);
    expect(where(r.f, VM.web01)).toEqual(['HV2']);
    r.store.close();
  });
  test('a migration that cut over is complete after a crash: VM on the destination, job completed', async () => {
    const { f, clock, store, file, world } = make();
    const j = (f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' }) as { job: JobRecord }).job;
    clock.advance(20_000);
    await tick();
    crash(store);
    const r = restart(file, world, 'crash');
    expect(r.ended).toEqual([]);
    expect(where(r.f, VM.web01)).toEqual(['HV2']);
    expect(r.f.job('HV1', j.id)!.state).toBe('completed');
    r.store.close();
  });
  test('queued migrations and state changes caught half-way: queued jobs end, VMs roll back to where they started', async () => {
    const { f, clock, store, file, world } = make(defaultWorld((w) => {
      w.hosts[0].migration!.maxActiveVirtualSystemMigrations = 1;
    }));
    const first = (f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' }) as { job: JobRecord }).job;
    const queued = (f.migrate({ source: 'HV1', vm: VM.db01, type: 'VirtualSystem', destination: 'HV2' }) as { job: JobRecord }).job;
    expect(queued.state).toBe('new');
    const start = (f.requestState('HV1', VM.build01, 'running') as { job: JobRecord }).job; // off → starting
    const save = (f.requestState('HV2', VM.app02, 'saved') as { job: JobRecord }).job; // running → saving
    clock.advance(100);
    expect(f.vm('HV1', VM.build01)!.state).toBe('starting');
    expect(f.vm('HV2', VM.app02)!.state).toBe('saving');
    await tick();
    crash(store);
    const r = restart(file, world, 'crash');
    expect(new Set(r.ended)).toEqual(new Set([first.id, queued.id, start.id, save.id]));
    for (const id of r.ended) {
      const j = r.f.findJob(id)!;
      expect(j.state).toBe('exception');
      expect(j.failure!.reason).toBe('interrupted');
      expect(j.percent).toBeLessThan(100);
    }
    expect(r.f.vm('HV1', VM.build01)!.state).toBe('off');
    expect(r.f.vm('HV1', VM.build01)!.processId).toBeUndefined();
    expect(r.f.vm('HV2', VM.app02)!.state).toBe('running');
    expect(where(r.f, VM.db01)).toEqual(['HV1']);
    for (const h of r.f.hostNames()) {
      for (const v of [...r.f.vms(h), ...r.f.plannedVms(h)]) {
        expect(v.busyWith).toBeUndefined();
        expect(v.migrating).toBe(false);
        expect(['running', 'off', 'saved', 'paused']).toContain(v.state);
      }
    }
    expect(r.f.activeMigrations()).toEqual([]);
    // migration slots are free again
    expect(r.f.migrate({ source: 'HV1', vm: VM.db01, type: 'VirtualSystem', destination: 'HV2' }).ok).toBe(true);
    r.store.close();
  });
  test('finished jobs survive a crash unchanged, with their TimeBeforeRemoval still counting', async () => {
    const { f, clock, store, file, world } = make();
    const j = (f.requestState('HV1', VM.db01, 'paused') as { job: JobRecord }).job;
    clock.advance(1000);
    expect(j.state).toBe('completed');
    await tick();
    const before = JSON.stringify(j);
    crash(store);
    const r = restart(file, world, 'crash');
    expect(JSON.stringify(r.f.job('HV1', j.id))).toBe(before);
    r.clock.advance(world.fabric!.jobRetentionSeconds! * 1000);
    expect(r.f.job('HV1', j.id)).toBeUndefined();
    r.store.close();
  });
});

describe('bounds and iteration', () => {
  test('maxJobsKept: the oldest finished jobs of a host go first', () => {
    const clock = new FabricClock({ mode: 'manual', start: START });
    const f = new Fabric(defaultWorld((w) => {
      w.limits = { maxJobsKept: 3 };
    }), clock);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const j = (f.requestState('HV1', VM.db01, i % 2 === 0 ? 'paused' : 'running') as { job: JobRecord }).job;
      ids.push(j.id);
      clock.advance(1000);
    }
    expect([...f.jobs('HV1')].map((j) => j.id)).toEqual(ids.slice(3));
  });
  test('iterating a host\'s VMs while a VM leaves and comes back returns it once', () => {
    const { f, clock, store } = make();
    const it = f.vms('HV1');
    const first = it.next().value!;
    expect(first.guid).toBe(VM.web01);
    f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    clock.advance(20_000);
    f.migrate({ source: 'HV2', vm: VM.web01, type: 'VirtualSystem', destination: 'HV1' });
    clock.advance(20_000);
    expect(where(f, VM.web01)).toEqual(['HV1']);
    const rest = [...it].map((v) => v.guid);
    expect(rest).not.toContain(VM.web01);
    expect(rest).toContain(VM.db01);
    store.close();
  });
});
