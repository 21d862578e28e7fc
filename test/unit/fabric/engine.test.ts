/**
 * The fabric engine without WS-Man: migrations on the manual clock (phases, progress, the move,
 * planned VMs, memory reservations), queueing, cancellation, job retention, fault injection, VM
 * lifecycle, and the invariant that a VM is on exactly one host at every instant.
 */
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { FabricClock } from '../../../src/fabric/clock.js';
import { Fabric, DEFAULT_TIMINGS } from '../../../src/fabric/fabric.js';
import type { FabricEvents } from '../../../src/fabric/events.js';
import { parseWorld } from '../../../src/fabric/world-file.js';
import type { WorldSpec } from '../../../src/fabric/world.js';
import { defaultWorld, VM, worldFile } from '../../helpers/hyperv.js';

const T = DEFAULT_TIMINGS;

function make(world: WorldSpec = defaultWorld()) {
  const clock = new FabricClock({ mode: 'manual', start: Date.UTC(2025, 0, 6) });
  return { f: new Fabric(world, clock), clock };
}

function where(f: Fabric, guid: string): string[] {
  return f.hostNames().filter((h) => f.vm(h, guid));
}

describe('live migration', () => {
  test('phases: Running with rising PercentComplete, Migrating on the source, planned VM on the destination, then the move', () => {
    const { f, clock } = make();
    const events: string[] = [];
    f.events.onAny((name) => events.push(name));
    const r = f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    expect(r.ok).toBe(true);
    const j = r.ok ? r.job! : undefined!;
    expect(j.state).toBe('running');
    expect(j.migrationJob).toBe(true);
    expect(f.vm('HV1', VM.web01)!.migrating).toBe(true);
    expect(f.percentOf(j)).toBe(0);
    // web01: 4096 MiB at 10 Gbit/s = 3277 ms of transfer
    const transfer = (4096 * 8 * 1000) / 10_000;
    const total = T.migrationSetupMs + transfer + T.migrationCutoverMs;
    clock.advance(T.migrationSetupMs / 2 - 1);
    expect(f.planned('HV2', VM.web01)).toBeUndefined();
    clock.advance(1);
    expect(f.planned('HV2', VM.web01)).toBeDefined(); // validation passed: the skeleton exists
    expect(f.freeMemoryMiB('HV2')).toBe(262144 - 4096 - 4096); // app02 + the reservation
    clock.advance(T.migrationSetupMs / 2);
    expect(f.percentOf(j)).toBe(10);
    const seen: number[] = [];
    for (let t = 0; t < transfer; t += 500) {
      clock.advance(500);
      seen.push(f.percentOf(j));
      expect(where(f, VM.web01)).toEqual(['HV1']);
    }
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(seen.at(-1)).toBeGreaterThanOrEqual(90);
    expect(f.vm('HV1', VM.web01)!.state).toBe('running');
    clock.advance(total); // well past the end
    expect(j.state).toBe('completed');
    expect(j.percent).toBe(100);
    expect(where(f, VM.web01)).toEqual(['HV2']);
    const moved = f.vm('HV2', VM.web01)!;
    expect(moved.state).toBe('running');
    expect(moved.migrating).toBe(false);
    expect(moved.busyWith).toBeUndefined();
    expect(moved.host).toBe('HV2');
    expect(f.planned('HV2', VM.web01)).toBeUndefined();
    expect(f.freeMemoryMiB('HV2')).toBe(262144 - 4096 - 4096);
    expect(j.finishedAt! - j.startedAt!).toBeCloseTo(total, 0);
    expect(events).toEqual(expect.arrayContaining(['job-created', 'job-started', 'migration-started', 'vm-added', 'job-progress', 'vm-removed', 'vm-moved', 'job-finished', 'migration-finished']));
    expect(events.indexOf('vm-moved')).toBeLessThan(events.indexOf('job-finished'));
  });

  test('progress timers run only while something listens for job-progress; PercentComplete is the same either way', () => {
    const quiet = make();
    const loud = make();
    const progress: number[] = [];
    loud.f.events.on('job-progress', (e) => progress.push(e.percent));
    const a = quiet.f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    const b = loud.f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    expect(quiet.clock.pendingTimers).toBeLessThan(loud.clock.pendingTimers);
    const ja = a.ok ? a.job! : undefined!;
    const jb = b.ok ? b.job! : undefined!;
    for (let k = 0; k < 12; k++) {
      quiet.clock.advance(400);
      loud.clock.advance(400);
      expect(quiet.f.percentOf(ja)).toBe(loud.f.percentOf(jb));
      expect(ja.state).toBe(jb.state);
    }
    expect(progress.length).toBeGreaterThan(5);
    expect(progress).toEqual([...progress].sort((x, y) => x - y));
  });

  test('duration follows memory over bandwidth; an off VM only copies its configuration', () => {
    const { f, clock } = make();
    const db = f.migrate({ source: 'HV1', vm: VM.db01, type: 'VirtualSystem', destination: 'HV2' });
    const off = f.migrate({ source: 'HV1', vm: VM.build01, type: 'VirtualSystem', destination: 'HV2' });
    expect(db.ok && off.ok).toBe(true);
    clock.advance(60_000);
    const dj = db.ok ? db.job! : undefined!;
    expect(dj.finishedAt! - dj.startedAt!).toBeCloseTo(T.migrationSetupMs + (16384 * 8 * 1000) / 10_000 + T.migrationCutoverMs, 0);
    f.bandwidthMbps = 1000;
    const back = f.migrate({ source: 'HV2', vm: VM.db01, type: 'VirtualSystem', destination: 'HV1' });
    clock.advance(10 * 60_000);
    const bj = back.ok ? back.job! : undefined!;
    expect(bj.state).toBe('completed');
    expect(bj.finishedAt! - bj.startedAt!).toBeCloseTo(T.migrationSetupMs + 16384 * 8 + T.migrationCutoverMs, 0);
  });

  test('storage move rewrites the paths, keeps the host, counts against MaximumActiveStorageMigration', () => {
    const { f, clock } = make();
    const r = f.migrate({ source: 'HV1', vm: VM.db01, type: 'Storage', newPaths: { 1: 'E:\\Fast\\data.vhdx' }, newDataRoot: 'E:\\Fast' });
    expect(r.ok).toBe(true);
    expect(f.activeCount('HV1', 'storage')).toBe(1);
    expect(f.activeCount('HV1', 'virtual-system')).toBe(0);
    clock.advance(10 * 60_000);
    const v = f.vm('HV1', VM.db01)!;
    expect(v.vhds.map((d) => d.path)).toEqual(['C:\\ClusterStorage\\Volume1\\Hyper-V\\db01\\os.vhdx', 'E:\\Fast\\data.vhdx']);
    expect(v.dataRoot).toBe('E:\\Fast');
    // 500 GiB at 10 Gbit/s
    const j = r.ok ? r.job! : undefined!;
    expect(j.finishedAt! - j.startedAt!).toBeCloseTo(T.migrationSetupMs + (500 * 1024 * 8 * 1000) / 10_000 + T.migrationCutoverMs, 0);
    // storage migration is allowed with EnableVirtualSystemMigration off
    f.modifyMigrationSettings('HV1', { enabled: false });
    expect(f.migrate({ source: 'HV1', vm: VM.web01, type: 'Storage', newPaths: { 0: 'E:\\w.vhdx' } }).ok).toBe(true);
    expect(f.migrate({ source: 'HV1', vm: VM.web01, type: 'Storage' })).toMatchObject({ ok: false, reason: 'vm-busy' });
    expect(f.migrate({ source: 'HV1', vm: VM.test01, type: 'Storage' })).toMatchObject({ ok: false, reason: 'storage-paths-invalid' });
    expect(f.migrate({ source: 'HV1', vm: VM.test01, type: 'Storage', newPaths: { 7: 'x' } })).toMatchObject({ ok: false, reason: 'storage-paths-invalid' });
  });

  test('VirtualSystemAndStorage moves the VM with new paths', () => {
    const { f, clock } = make();
    const r = f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystemAndStorage', destination: 'hv2.lab.local', newPaths: { 0: 'D:\\Hyper-V\\web01\\web01.vhdx' } });
    expect(r.ok).toBe(true);
    expect(f.activeCount('HV1', 'storage')).toBe(1);
    expect(f.activeCount('HV2', 'virtual-system')).toBe(1);
    clock.advance(10 * 60_000);
    expect(f.vm('HV2', VM.web01)!.vhds[0].path).toBe('D:\\Hyper-V\\web01\\web01.vhdx');
  });

  test('Staged creates a planned VM with the same GUID on the destination; the VM stays', () => {
    const { f, clock } = make();
    const r = f.migrate({ source: 'HV1', vm: VM.build01, type: 'Staged', destination: 'HV2' });
    expect(r.ok).toBe(true);
    clock.advance(T.stagedMs);
    expect(r.ok && r.job!.state).toBe('completed');
    expect(f.planned('HV2', VM.build01)!.name).toBe('build01');
    expect(where(f, VM.build01)).toEqual(['HV1']);
    // a second staging finds it there
    const again = f.migrate({ source: 'HV1', vm: VM.build01, type: 'Staged', destination: 'HV2' });
    clock.advance(T.stagedMs);
    expect(again.ok && again.job!.failure?.reason).toBe('vm-exists-on-destination');
    // checking into the planned VM reports its incompatibilities (switch Internal is missing)
    const chk = f.migrate({ source: 'HV1', vm: VM.build01, type: 'VirtualSystem', destination: 'HV2', plannedVm: VM.build01, check: true });
    clock.advance(T.checkMs);
    const cj = chk.ok ? chk.job! : undefined!;
    expect(cj.state).toBe('exception');
    expect(cj.failure!.errors.map((e) => e.messageId)).toEqual(['21502', '33012']);
    expect(cj.failure!.errors[1].source).toEqual({ kind: 'ethernet-connection', host: 'HV2', vm: VM.build01, adapter: f.vm('HV1', VM.build01)!.adapters[0].id });
    // migrating into the planned VM replaces it
    f.addVm('HV2', { guid: '00000000-0000-4000-8000-000000000001', name: 'x', state: 'off', memoryMiB: 1, cpus: 1 });
    const sw = f.requireHost('HV2').switches;
    sw.push({ id: 'S', name: 'Internal', type: 'Internal' });
    const mv = f.migrate({ source: 'HV1', vm: VM.build01, type: 'VirtualSystem', destination: 'HV2', plannedVm: VM.build01 });
    clock.advance(60_000);
    expect(mv.ok && mv.job!.state).toBe('completed');
    expect(f.planned('HV2', VM.build01)).toBeUndefined();
    expect(where(f, VM.build01)).toEqual(['HV2']);
  });
});

describe('queueing, cancellation, retention', () => {
  test('MaximumActiveVirtualSystemMigration: extra migrations wait in New, then run', () => {
    const { f, clock } = make();
    const a = f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    const b = f.migrate({ source: 'HV1', vm: VM.db01, type: 'VirtualSystem', destination: 'HV2' });
    const c = f.migrate({ source: 'HV1', vm: VM.test01, type: 'VirtualSystem', destination: 'HV2' });
    const [ja, jb, jc] = [a, b, c].map((r) => (r.ok ? r.job! : undefined!));
    expect([ja.state, jb.state, jc.state]).toEqual(['running', 'running', 'new']);
    expect(f.activeCount('HV1', 'virtual-system')).toBe(2);
    expect(f.activeCount('HV2', 'virtual-system')).toBe(2);
    expect(f.vm('HV1', VM.test01)!.migrating).toBe(true); // reserved for its migration already
    clock.advance(T.migrationSetupMs + (4096 * 8 * 1000) / 10_000 + T.migrationCutoverMs); // web01 is done, db01 still running
    expect(ja.state).toBe('completed');
    expect(jb.state).toBe('running');
    expect(jc.state).toBe('running');
    expect(jc.startedAt).toBe(ja.finishedAt);
    clock.advance(60_000);
    expect([jb.state, jc.state]).toEqual(['completed', 'completed']);
  });

  test('the destination limit counts too; raising the limit starts queued migrations', () => {
    const { f, clock } = make(defaultWorld((w) => (w.hosts[1].migration!.maxActiveVirtualSystemMigrations = 1)));
    const a = f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    const b = f.migrate({ source: 'HV1', vm: VM.db01, type: 'VirtualSystem', destination: 'HV2' });
    expect(b.ok && b.job!.state).toBe('new');
    f.modifyMigrationSettings('HV2', { maxVirtualSystemMigrations: 2 });
    expect(b.ok && b.job!.state).toBe('running');
    clock.advance(60_000);
    expect(a.ok && b.ok && [a.job!.state, b.job!.state]).toEqual(['completed', 'completed']);
  });

  test('cancel (Terminate/Kill): the VM stays on the source, the planned VM and reservation go away', () => {
    const { f, clock } = make();
    const r = f.migrate({ source: 'HV1', vm: VM.db01, type: 'VirtualSystem', destination: 'HV2' });
    const j = r.ok ? r.job! : undefined!;
    clock.advance(5000);
    expect(f.planned('HV2', VM.db01)).toBeDefined();
    expect(f.cancelJob('HV1', j.id, 'terminate').ok).toBe(true);
    expect(j.state).toBe('terminated');
    expect(j.failure!.reason).toBe('cancelled');
    expect(where(f, VM.db01)).toEqual(['HV1']);
    expect(f.vm('HV1', VM.db01)!.migrating).toBe(false);
    expect(f.planned('HV2', VM.db01)).toBeUndefined();
    expect(f.freeMemoryMiB('HV2')).toBe(262144 - 4096);
    expect(f.cancelJob('HV1', j.id, 'terminate')).toMatchObject({ ok: false, reason: 'job-not-cancellable' });
    clock.advance(60_000);
    expect(where(f, VM.db01)).toEqual(['HV1']); // no late cut-over
    // a queued job can be killed too
    f.modifyMigrationSettings('HV1', { maxVirtualSystemMigrations: 1 });
    f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    const q = f.migrate({ source: 'HV1', vm: VM.test01, type: 'VirtualSystem', destination: 'HV2' });
    const qj = q.ok ? q.job! : undefined!;
    expect(qj.state).toBe('new');
    expect(f.cancelJob('HV1', qj.id, 'kill').ok).toBe(true);
    expect(qj.state).toBe('killed');
    expect(f.vm('HV1', VM.test01)!.migrating).toBe(false);
    // a state change is not cancellable
    const s = f.requestState('HV2', VM.app02, 'off');
    expect(s.ok && f.cancelJob('HV2', s.job!.id, 'kill')).toMatchObject({ ok: false, reason: 'job-not-cancellable' });
  });

  test('finished jobs vanish after TimeBeforeRemoval; DeleteOnCompletion; changed retention', () => {
    const { f, clock } = make(defaultWorld((w) => (w.fabric = { jobRetentionSeconds: 60 })));
    const r = f.requestState('HV2', VM.app02, 'paused');
    const j = r.ok ? r.job! : undefined!;
    clock.advance(T.pauseMs);
    expect(j.state).toBe('completed');
    clock.advance(59_999);
    expect(f.job('HV2', j.id)).toBeDefined();
    clock.advance(1);
    expect(f.job('HV2', j.id)).toBeUndefined();
    const r2 = f.requestState('HV2', VM.app02, 'running');
    const j2 = r2.ok ? r2.job! : undefined!;
    f.setJobRetention(j2, { deleteOnCompletion: true });
    clock.advance(T.resumeMs);
    expect(f.job('HV2', j2.id)).toBeUndefined();
    const r3 = f.requestState('HV2', VM.app02, 'paused');
    const j3 = r3.ok ? r3.job! : undefined!;
    clock.advance(T.pauseMs + 1000);
    f.setJobRetention(j3, { retentionMs: 2000 });
    expect(f.job('HV2', j3.id)).toBeDefined();
    clock.advance(1000);
    expect(f.job('HV2', j3.id)).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('fault injection', () => {
  test('fail at a percentage with a chosen error and code; the VM stays', () => {
    const { f, clock } = make();
    f.faults.add({ match: { vm: 'db01' }, effect: { kind: 'fail', atPercent: 50, errorCode: 32772, error: { messageId: '99999', message: 'Injected' } }, remaining: 1 });
    const r = f.migrate({ source: 'HV1', vm: VM.db01, type: 'VirtualSystem', destination: 'HV2' });
    const j = r.ok ? r.job! : undefined!;
    clock.advance(60_000);
    expect(j.state).toBe('exception');
    expect(j.percent).toBe(50);
    expect(j.failure!.errorCode).toBe(32772);
    expect(j.failure!.errors[1]).toMatchObject({ messageId: '99999', message: 'Injected' });
    expect(where(f, VM.db01)).toEqual(['HV1']);
    expect(f.planned('HV2', VM.db01)).toBeUndefined();
    expect(f.faults.list()).toHaveLength(0); // used up
    const again = f.migrate({ source: 'HV1', vm: VM.db01, type: 'VirtualSystem', destination: 'HV2' });
    clock.advance(60_000);
    expect(again.ok && again.job!.state).toBe('completed');
  });

  test('slow and unreachable effects; a host that refuses connections; the hook', () => {
    const { f, clock } = make();
    const rule = f.faults.add({ match: { destination: 'HV2' }, effect: { kind: 'slow', factor: 3 } });
    const r = f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    clock.advance(60_000);
    const j = r.ok ? r.job! : undefined!;
    expect(j.finishedAt! - j.startedAt!).toBeCloseTo(T.migrationSetupMs + 3 * (4096 * 8 * 1000) / 10_000 + T.migrationCutoverMs, 0);
    f.faults.remove(rule.id);
    f.faults.hook = (m) => (m.vm === VM.web01 ? { kind: 'unreachable', mode: 'timeout' } : undefined);
    const back = f.migrate({ source: 'HV2', vm: VM.web01, type: 'VirtualSystem', destination: 'HV1' });
    clock.advance(60_000);
    expect(back.ok && back.job!.failure?.reason).toBe('destination-unreachable');
    expect(back.ok && back.job!.failure?.errors[1].message).toContain('0x8007274C');
    f.faults.clear();
    f.setReachability('HV1', 'refused');
    const third = f.migrate({ source: 'HV2', vm: VM.web01, type: 'VirtualSystem', destination: 'HV1' });
    clock.advance(60_000);
    expect(third.ok && third.job!.failure?.errors[1].message).toContain('0x8007274D');
    expect(where(f, VM.web01)).toEqual(['HV2']);
  });
});

describe('VM lifecycle', () => {
  test('start, pause, resume, save, restore, reset, turn off: transitional states, jobs, process ids', () => {
    const { f, clock } = make();
    const states: string[] = [];
    f.events.on('vm-state', (e) => e.vm === VM.build01 && states.push(e.state));
    const steps: Array<[Parameters<Fabric['requestState']>[2], number]> = [
      ['running', T.startMs], ['paused', T.pauseMs], ['running', T.resumeMs], ['saved', T.saveMs], ['running', T.restoreMs],
      ['reset', T.resetMs], ['shutdown', T.shutdownMs],
    ];
    for (const [s, ms] of steps) {
      const r = f.requestState('HV1', VM.build01, s);
      expect(r.ok, s).toBe(true);
      expect(f.requestState('HV1', VM.build01, 'off')).toMatchObject({ ok: false, reason: 'vm-busy' });
      clock.advance(ms);
      expect(r.ok && r.job!.state).toBe('completed');
    }
    expect(states).toEqual(['starting', 'running', 'pausing', 'paused', 'resuming', 'running', 'saving', 'saved', 'starting', 'running', 'resetting', 'running', 'stopping', 'off']);
    expect(f.requestState('HV1', VM.build01, 'paused')).toMatchObject({ ok: false, reason: 'invalid-state-transition' });
    expect(f.requestState('HV1', VM.build01, 'off')).toMatchObject({ ok: false, reason: 'invalid-state-transition' });
  });

  test('a start fails when the host has no memory left; the VM is back off', () => {
    const { f, clock } = make(defaultWorld((w) => (w.hosts[0].memoryMiB = 4096 + 16384 + 1024 + 1000)));
    const r = f.requestState('HV1', VM.build01, 'running');
    clock.advance(T.startMs);
    expect(r.ok && r.job!.state).toBe('exception');
    expect(r.ok && r.job!.failure!.reason).toBe('insufficient-memory');
    expect(f.vm('HV1', VM.build01)!.state).toBe('off');
  });

  test('define, modify, destroy (off or saved only), planned VMs', () => {
    const { f, clock } = make();
    const d = f.defineVm('HV2', { name: 'new1', memoryMiB: 2048, adapters: [{ switch: 'External' }] });
    expect(d.ok).toBe(true);
    const v = d.ok ? d.value : undefined!;
    expect(v.configurationVersion).toBe('10.0');
    expect(f.defineVm('HV2', { name: 'bad', adapters: [{ switch: 'Nope' }] })).toMatchObject({ ok: false, reason: 'settings-invalid' });
    expect(f.modifyVm('HV2', v.guid, { name: 'renamed' }).ok).toBe(true);
    expect(f.vm('HV2', v.guid)!.name).toBe('renamed');
    expect(f.destroyVm('HV2', VM.app02, false)).toMatchObject({ ok: false, reason: 'vm-invalid-state' });
    const x = f.destroyVm('HV2', v.guid, false);
    clock.advance(T.destroyMs);
    expect(x.ok && x.job!.state).toBe('completed');
    expect(f.vm('HV2', v.guid)).toBeUndefined();
    const p = f.defineVm('HV2', { name: 'plan', planned: true });
    expect(p.ok && f.planned('HV2', p.value.guid)).toBeTruthy();
    const real = f.realizePlanned('HV2', p.ok ? p.value.guid : '');
    clock.advance(T.realizePlannedMs);
    expect(real.ok && real.job!.state).toBe('completed');
    expect(f.vm('HV2', p.ok ? p.value.guid : '')!.state).toBe('off');
  });
});

describe('consistency', () => {
  test('a VM is on exactly one host at every instant, through hundreds of concurrent migrations', () => {
    const { f, clock } = make(worldFile('fabric-20.yaml'));
    const hosts = f.hostNames();
    const guids = hosts.flatMap((h) => [...f.vms(h)].map((v) => v.guid));
    expect(guids).toHaveLength(80);
    const check = () => {
      const count = new Map<string, number>();
      for (const h of hosts) for (const v of f.vms(h)) count.set(v.guid, (count.get(v.guid) ?? 0) + 1);
      for (const g of guids) if (count.get(g) !== 1) throw new Error(`VM ${g} is on ${count.get(g) ?? 0} hosts`);
      expect(count.size).toBe(guids.length);
    };
    // check after every single fabric event, i.e. inside every step of the engine
    let events = 0;
    f.events.onAny(() => {
      events++;
      check();
    });
    let seed = 42;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let started = 0;
    let moved = 0;
    f.events.on('vm-moved', () => moved++);
    for (let round = 0; round < 120; round++) {
      for (let k = 0; k < 10; k++) {
        const g = guids[rnd(guids.length)];
        const v = f.findVm(g)!;
        const dest = hosts[rnd(hosts.length)];
        const r = f.migrate({ source: v.host, vm: g, type: rnd(4) === 0 ? 'VirtualSystemAndStorage' : 'VirtualSystem', destination: dest });
        if (r.ok) started++;
      }
      if (round % 7 === 0) {
        const live = f.activeMigrations();
        if (live.length) f.cancelJob(live[0].host, live[0].id, 'terminate');
      }
      clock.advance(rnd(4000));
      check();
    }
    clock.advance(30 * 60_000);
    check();
    expect(f.activeMigrations()).toHaveLength(0);
    expect(started).toBeGreaterThan(80);
    expect(moved).toBeGreaterThan(50);
    expect(events).toBeGreaterThan(1000);
    for (const h of hosts) expect([...f.plannedVms(h)]).toHaveLength(0);
  });

  test('toWorld gives a valid world file of the current fabric; snapshot is JSON-safe', () => {
    const { f, clock } = make();
    f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    clock.advance(60_000);
    const w = f.toWorld();
    const again = parseWorld(stringify(w));
    expect(again.hosts[1].vms!.map((v) => v.name)).toEqual(['app02', 'web01']);
    const g = new Fabric(again, clock);
    expect(g.vm('HV2', VM.web01)!.adapters[0].id).toBe(f.vm('HV2', VM.web01)!.adapters[0].id);
    const s = f.snapshot();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
    expect(s.jobs).toHaveLength(1);
  });

  test('removing a host cancels the migrations that involve it', () => {
    const { f, clock } = make();
    const r = f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' });
    clock.advance(1500);
    const seen: Array<FabricEvents['host-removed']> = [];
    f.events.on('host-removed', (e) => seen.push(e));
    f.removeHost('HV2');
    expect(r.ok && r.job!.state).toBe('terminated');
    expect(where(f, VM.web01)).toEqual(['HV1']);
    expect(seen).toEqual([{ host: 'HV2' }]);
    clock.advance(60_000);
    expect(f.vm('HV1', VM.web01)!.migrating).toBe(false);
  });
});
