/**
 * The fabric engine: the live state of every host, VM and job (plain records, see model.ts), the
 * clock that moves jobs forward, and the operations clients and the control plane perform —
 * migrations, VM lifecycle, service settings. It knows nothing of CIM or WS-Man; the Hyper-V
 * providers read its records and call its operations.
 *
 * Consistency: Node runs one thing at a time, and every state change here (a cut-over above all)
 * happens inside one synchronous step — a method call or one clock timer — so no request can ever
 * observe a half-done change. A VM is in exactly one host's map at every instant.
 */
import { FabricClock, type TimerHandle } from './clock.js';
import { compatibilityChecks, destinationChecks, processorMismatch, unknownDestination, versionFailure, type DestinationView } from './checks.js';
import { parseDestinationHost, resolveDestination, inSubnet } from './destination.js';
import { FabricEmitter } from './events.js';
import { errorOf, migrationFailure, simpleFailure, type CheckFailure } from './failures.js';
import { MigrationFaults, type MigrationFaultEffect } from './faults.js';
import { newGuid, stableGuid, stableMac } from './ids.js';
import { resolveLimits } from './limits.js';
import {
  FINISHED_JOB_STATES,
  MIGRATION_JOB_TYPES,
  type AdapterRecord,
  type ErrorRecord,
  type FailureReason,
  type FailureRecord,
  type HostRecord,
  type JobOwner,
  type JobRecord,
  type JobStateName,
  type JobType,
  type MigrationDetails,
  type MigrationTypeName,
  type Reachability,
  type VhdRecord,
  type VmPowerState,
  type VmRecord,
} from './model.js';
import { defaultVersion, supportsVersion } from './versions.js';
import type { FabricSpec, HostSpec, MigrationSpec, UserSpec, VmSpec, WorldSpec } from './world.js';

export interface FabricTimings {
  /** connect, negotiate, validate, create the planned VM on the destination */
  migrationSetupMs: number;
  /** the final blackout and switch-over */
  migrationCutoverMs: number;
  /** copying the configuration of a VM that is off */
  offlineTransferMs: number;
  /** CheckVirtualSystemIsMigratable */
  checkMs: number;
  /** MigrationType Staged (creating the planned VM) */
  stagedMs: number;
  startMs: number;
  restoreMs: number;
  powerOffMs: number;
  shutdownMs: number;
  saveMs: number;
  pauseMs: number;
  resumeMs: number;
  resetMs: number;
  rebootMs: number;
  destroyMs: number;
  validatePlannedMs: number;
  realizePlannedMs: number;
}

export const DEFAULT_TIMINGS: Readonly<FabricTimings> = {
  migrationSetupMs: 2000,
  migrationCutoverMs: 500,
  offlineTransferMs: 500,
  checkMs: 1000,
  stagedMs: 1500,
  startMs: 3000,
  restoreMs: 2000,
  powerOffMs: 500,
  shutdownMs: 2000,
  saveMs: 1500,
  pauseMs: 200,
  resumeMs: 200,
  resetMs: 1000,
  rebootMs: 2000,
  destroyMs: 500,
  validatePlannedMs: 500,
  realizePlannedMs: 1000,
};

/** Windows' default bandwidth assumption when a world gives none: 10 Gbit/s. */
export const DEFAULT_BANDWIDTH_MBPS = 10_000;
/** CIM_ConcreteJob.TimeBeforeRemoval default: 5 minutes. */
export const DEFAULT_RETENTION_MS = 5 * 60_000;

/** Outcome of an operation that may be refused at once, run synchronously, or start a job. */
export type OpResult<T = undefined> =
  | { ok: false; reason: FailureReason; message: string }
  | { ok: true; job?: JobRecord; value: T };

function refuse(reason: FailureReason, message: string): { ok: false; reason: FailureReason; message: string } {
  return { ok: false, reason, message };
}

export interface MigrationRequest {
  /** host the method was invoked on (the VM must live there) */
  source: string;
  vm: string;
  type: MigrationTypeName;
  /** DestinationHost text (a name or address), or a resolved host name (`{ host }`, from a REF) */
  destination?: string | { host: string };
  /** MigrationSettingData.DestinationPlannedVirtualSystemId */
  plannedVm?: string;
  /** storage moves: VHD id → new path */
  newPaths?: Record<string, string>;
  newDataRoot?: string;
  newSystemSettings?: string | null;
  newResourceSettings?: string[] | null;
  /** CheckVirtualSystemIsMigratable: a job that only runs the checks */
  check?: boolean;
  /** who asks (CIM_Job.Owner) */
  user?: string;
}

export type StateRequest = 'running' | 'off' | 'shutdown' | 'saved' | 'paused' | 'reset' | 'reboot';

interface RunState {
  timers: TimerHandle[];
  effects: MigrationFaultEffect[];
}

const EMPTY_VMS: ReadonlyMap<string, VmRecord> = new Map();

function key(s: string): string {
  return s.toLowerCase();
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

/**
 * A deep copy of plain data (objects, arrays, primitives) as structuredClone makes it, several
 * times faster for a VM record; anything that is not a plain object or array goes to structuredClone.
 * Records hold no shared sub-objects, so not preserving aliasing changes nothing.
 */
function copyPlain<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(copyPlain) as T;
  if (Object.getPrototypeOf(v) !== Object.prototype) return structuredClone(v);
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v)) out[k] = copyPlain((v as Record<string, unknown>)[k]);
  return out as T;
}

/** Prefix length of `10.0.0.0/24` (default: 32 for IPv4, 128 for IPv6). */
function splitSubnet(s: string): { subnet: string; prefixLength: number } {
  const i = s.indexOf('/');
  if (i < 0) return { subnet: s, prefixLength: s.includes(':') ? 128 : 32 };
  return { subnet: s.slice(0, i), prefixLength: Number(s.slice(i + 1)) };
}

export class Fabric {
  readonly clock: FabricClock;
  readonly events = new FabricEmitter();
  readonly faults = new MigrationFaults();
  readonly timings: FabricTimings;
  bandwidthMbps: number;
  retentionMs: number;
  private readonly users: UserSpec[];
  private readonly worldMeta: { name?: string; description?: string };

  private readonly hostMap = new Map<string, HostRecord>();
  private readonly vmMaps = new Map<string, Map<string, VmRecord>>();
  private readonly plannedMaps = new Map<string, Map<string, VmRecord>>();
  private readonly jobMaps = new Map<string, Map<string, JobRecord>>();
  /** host → number of Msvm_MigrationJob / Msvm_ConcreteJob records (O(1) counts for big fabrics) */
  private readonly jobCounts = new Map<string, { migration: number; concrete: number }>();
  /** VM GUID → jobs that affect it (AffectedJobElement), by job id */
  private readonly affectedIndex = new Map<string, Set<string>>();
  private readonly running = new Map<string, RunState>();
  private readonly removalTimers = new Map<string, TimerHandle>();
  /** migration jobs waiting for a slot, in submission order */
  private queue: JobRecord[] = [];
  /** migration jobs (moves, checks, staging) that have not finished */
  private readonly liveMigrations = new Set<JobRecord>();
  /** host → job → MiB reserved for incoming resident VMs */
  private readonly reservations = new Map<string, Map<string, number>>();
  /** host → finished jobs, oldest finish first (the `maxJobsKept` bound drops from the front) */
  private readonly finishedOrder = new Map<string, Set<JobRecord>>();
  /** finished jobs kept per host (limits.maxJobsKept) */
  maxJobsKept: number;
  /**
   * When each VM record was placed in its host's map (a counter, not time). An iteration over a
   * host's VMs skips records placed after it began, so a VM that leaves and comes back while an
   * enumeration runs is not returned twice, and one that stays is returned once.
   */
  private readonly placedAt = new WeakMap<VmRecord, number>();
  private placeSeq = 0;
  private pidSeq = 4000;
  private closed = false;

  constructor(world: WorldSpec, clock: FabricClock) {
    this.clock = clock;
    const f: FabricSpec = world.fabric ?? {};
    this.bandwidthMbps = f.bandwidthMbps ?? DEFAULT_BANDWIDTH_MBPS;
    this.retentionMs = f.jobRetentionSeconds !== undefined ? f.jobRetentionSeconds * 1000 : DEFAULT_RETENTION_MS;
    this.timings = { ...DEFAULT_TIMINGS, ...(f.timings ?? {}) };
    this.maxJobsKept = resolveLimits(world.limits).maxJobsKept;
    this.users = clone(world.users);
    this.worldMeta = { name: world.name, description: world.description };
    for (const h of world.hosts) this.addHost(h, { silent: true });
  }

  // ---------------------------------------------------------------------------------- queries --

  hostNames(): string[] {
    return [...this.hostMap.values()].map((h) => h.name);
  }

  hosts(): IterableIterator<HostRecord> {
    return this.hostMap.values();
  }

  host(name: string): HostRecord | undefined {
    return this.hostMap.get(key(name));
  }

  requireHost(name: string): HostRecord {
    const h = this.host(name);
    if (!h) throw new Error(`no host named '${name}'`);
    return h;
  }

  /**
   * Realized VMs of a host, in insertion order. Lazy: a VM placed on the host after the iteration
   * began (arrived, or came back) is not part of it.
   */
  vms(host: string): IterableIterator<VmRecord> {
    const m = this.vmMaps.get(key(host));
    return m ? this.placedBefore(m) : EMPTY_VMS.values();
  }

  private *placedBefore(m: Map<string, VmRecord>): Generator<VmRecord, undefined, undefined> {
    const start = this.placeSeq;
    // while nothing was placed since the start, every VM in the map was placed before it
    for (const v of m.values()) if (this.placeSeq === start || (this.placedAt.get(v) ?? 0) <= start) yield v;
    return undefined;
  }

  /** Put a VM record in a host's map (realized or planned). */
  private place(map: Map<string, VmRecord>, v: VmRecord): void {
    this.placedAt.set(v, ++this.placeSeq);
    map.set(v.guid, v);
  }

  vmCount(host: string): number {
    return this.vmMaps.get(key(host))?.size ?? 0;
  }

  plannedVms(host: string): IterableIterator<VmRecord> {
    const m = this.plannedMaps.get(key(host));
    return m ? this.placedBefore(m) : EMPTY_VMS.values();
  }

  plannedCount(host: string): number {
    return this.plannedMaps.get(key(host))?.size ?? 0;
  }

  vm(host: string, guid: string): VmRecord | undefined {
    return this.vmMaps.get(key(host))?.get(guid.toUpperCase());
  }

  planned(host: string, guid: string): VmRecord | undefined {
    return this.plannedMaps.get(key(host))?.get(guid.toUpperCase());
  }

  /** A realized VM anywhere in the fabric. */
  findVm(guid: string): VmRecord | undefined {
    const g = guid.toUpperCase();
    for (const m of this.vmMaps.values()) {
      const v = m.get(g);
      if (v) return v;
    }
    return undefined;
  }

  jobs(host: string): IterableIterator<JobRecord> {
    return (this.jobMaps.get(key(host)) ?? new Map<string, JobRecord>()).values();
  }

  jobCount(host: string): number {
    return this.jobMaps.get(key(host))?.size ?? 0;
  }

  /** Jobs of one class on a host (migration jobs or the others). */
  jobCountOf(host: string, migration: boolean): number {
    const c = this.jobCounts.get(key(host));
    return c ? (migration ? c.migration : c.concrete) : 0;
  }

  job(host: string, id: string): JobRecord | undefined {
    return this.jobMaps.get(key(host))?.get(id.toUpperCase());
  }

  findJob(id: string): JobRecord | undefined {
    const u = id.toUpperCase();
    for (const m of this.jobMaps.values()) {
      const j = m.get(u);
      if (j) return j;
    }
    return undefined;
  }

  /** Jobs (on `host`) that affect a VM. */
  *jobsAffecting(host: string, guid: string): Iterable<JobRecord> {
    const ids = this.affectedIndex.get(guid.toUpperCase());
    if (!ids) return;
    const m = this.jobMaps.get(key(host));
    if (!m) return;
    for (const id of ids) {
      const j = m.get(id);
      if (j) yield j;
    }
  }

  /** Migration jobs that are queued or running. */
  activeMigrations(): JobRecord[] {
    return [...this.liveMigrations];
  }

  /** PercentComplete now. */
  percentOf(j: JobRecord): number {
    return this.percentAt(j, this.clock.now());
  }

  /** PercentComplete at fabric time `now`, from the job's timeline (never 100 before it ends). */
  private percentAt(j: JobRecord, now: number): number {
    if (j.state !== 'running' || !j.timeline) return j.percent;
    let p = j.percent;
    for (const ph of j.timeline) {
      if (now >= ph.until) p = ph.toPercent;
      else if (now >= ph.from) {
        const span = ph.until - ph.from;
        p = ph.fromPercent + (span > 0 ? ((now - ph.from) / span) * (ph.toPercent - ph.fromPercent) : 0);
        break;
      } else break;
    }
    return Math.min(99, Math.max(j.percent, Math.floor(p)));
  }

  /** Running migrations of a kind that involve a host (ActiveVirtualSystemMigrationCount …). */
  activeCount(host: string, kind: 'virtual-system' | 'storage'): number {
    let n = 0;
    const h = key(host);
    for (const j of this.liveMigrations) {
      if (j.state !== 'running' || !this.usesSlot(j, kind)) continue;
      const m = j.migration!;
      if (kind === 'storage' ? key(m.source) === h : key(m.source) === h || (m.destination !== undefined && key(m.destination) === h)) n++;
    }
    return n;
  }

  /** MigrationServiceListenerIPAddressList: the host's addresses inside its migration networks, or all of them. */
  listenerAddresses(host: HostRecord): string[] {
    const nets = host.migration.networks;
    if (nets.length === 0) return [...host.addresses];
    return host.addresses.filter((a) => nets.some((n) => inSubnet(a, n.subnet, n.prefixLength)));
  }

  /** Memory free on a host for one more resident VM, MiB. */
  freeMemoryMiB(host: string, excludeJob?: string): number {
    let used = 0;
    for (const v of this.vms(host)) if (isResident(v.state)) used += v.memoryMiB;
    const r = this.reservations.get(key(host));
    if (r) for (const [id, mib] of r) if (id !== excludeJob) used += mib;
    return this.requireHost(host).memoryMiB - used;
  }

  // ------------------------------------------------------------------------- hosts and VMs --

  addHost(spec: HostSpec, opts: { silent?: boolean } = {}): HostRecord {
    const k = key(spec.name);
    if (this.hostMap.has(k)) throw new Error(`host '${spec.name}' already exists`);
    const h: HostRecord = {
      name: spec.name,
      fqdn: spec.fqdn ?? spec.name,
      addresses: [...(spec.addresses ?? [])],
      profile: spec.profile ?? 'hyperv',
      osVersion: spec.osVersion ?? '10.0.20348',
      processor: {
        vendor: spec.processor?.vendor ?? 'GenuineIntel',
        model: spec.processor?.model ?? 'Intel(R) Xeon(R) CPU',
        features: [...(spec.processor?.features ?? [])],
        logicalProcessors: spec.processor?.logicalProcessors ?? 16,
      },
      memoryMiB: spec.memoryMiB ?? 65536,
      storageRoots: [...(spec.storageRoots ?? ['C:\\ProgramData\\Microsoft\\Windows\\Hyper-V'])],
      switches: (spec.switches ?? []).map((s) => ({ id: stableGuid('switch', spec.name, s.name), name: s.name, type: s.type ?? 'External' })),
      migration: migrationSettingsOf(spec.name, spec.migration),
      reachability: spec.unreachable ? 'refused' : 'reachable',
      installedAt: this.clock.now(),
      managementSettings: {},
    };
    this.hostMap.set(k, h);
    this.vmMaps.set(k, new Map());
    this.plannedMaps.set(k, new Map());
    this.jobMaps.set(k, new Map());
    for (const v of spec.vms ?? []) this.addVm(h.name, v, { silent: true });
    if (!opts.silent) this.events.emit('host-added', { host: h.name });
    return h;
  }

  /** Removes a host with its VMs; its jobs and the migrations that involve it are cancelled. */
  removeHost(name: string): void {
    const h = this.requireHost(name);
    const k = key(name);
    for (const j of this.activeMigrations()) {
      const m = j.migration!;
      if (key(m.source) === k || (m.destination && key(m.destination) === k)) this.finishWithFailure(j, this.cancelFailure(j), 'terminated');
    }
    for (const j of [...this.jobs(name)]) if (!FINISHED_JOB_STATES.has(j.state)) this.finishWithFailure(j, this.cancelFailure(j), 'terminated');
    for (const j of [...this.jobs(name)]) this.removeJob(j);
    for (const v of [...this.vms(name)]) this.removeVm(v.guid, { host: name });
    for (const v of [...this.plannedVms(name)]) this.removeVm(v.guid, { host: name, planned: true });
    this.hostMap.delete(k);
    this.vmMaps.delete(k);
    this.plannedMaps.delete(k);
    this.jobMaps.delete(k);
    this.jobCounts.delete(k);
    this.finishedOrder.delete(k);
    this.reservations.delete(k);
    this.events.emit('host-removed', { host: h.name });
  }

  /** Fault injection: how the host answers migration connections. */
  setReachability(name: string, r: Reachability): void {
    this.requireHost(name).reachability = r;
    this.events.emit('host-changed', { host: name });
  }

  addVm(host: string, spec: VmSpec, opts: { silent?: boolean; planned?: boolean } = {}): VmRecord {
    const h = this.requireHost(host);
    const guid = spec.guid.toUpperCase();
    if (opts.planned) {
      if (this.planned(host, guid) || this.vm(host, guid)) throw new Error(`VM ${guid} already exists on ${host}`);
    } else if (this.findVm(guid)) {
      throw new Error(`VM ${guid} already exists`);
    }
    const now = this.clock.now();
    const v: VmRecord = {
      guid,
      name: spec.name,
      host: h.name,
      planned: opts.planned ?? false,
      state: opts.planned ? 'off' : spec.state,
      memoryMiB: spec.memoryMiB,
      cpus: spec.cpus,
      processorCompatibility: spec.processorCompatibility ?? false,
      configurationVersion: spec.configurationVersion ?? defaultVersion(h.osVersion),
      generation: spec.generation ?? 2,
      vhds: (spec.vhds ?? []).map((d, i) => ({ id: String(i), path: d.path, sizeGiB: d.sizeGiB ?? 40 })),
      adapters: (spec.adapters ?? []).map((a, i) => ({
        id: stableGuid('adapter', guid, String(i)),
        name: a.name ?? 'Network Adapter',
        switch: a.switch,
        mac: (a.mac ?? stableMac(guid, String(i))).toUpperCase(),
      })),
      notes: spec.notes ?? '',
      dataRoot: (h.storageRoots[0] ?? 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V') + '\\' + spec.name,
      startupAction: 'restart-if-active',
      shutdownAction: 'save',
      createdAt: now,
      stateChangedAt: now,
      configChangedAt: now,
      migrating: false,
    };
    if (!opts.planned && spec.state !== 'off') {
      v.cpu = { vendor: h.processor.vendor, features: [...h.processor.features] };
      if (spec.state !== 'saved') {
        v.onSince = now;
        v.processId = this.nextPid();
        if (spec.state === 'paused') v.pausedOnMs = 0;
      }
    }
    this.insertVm(v);
    if (!opts.silent) this.events.emit('vm-added', { vm: v.guid, host: v.host, planned: v.planned });
    return v;
  }

  /** Removes a VM (its running jobs are cancelled first). */
  removeVm(guid: string, opts: { host?: string; planned?: boolean } = {}): void {
    const g = guid.toUpperCase();
    const v = opts.host ? (opts.planned ? this.planned(opts.host, g) : this.vm(opts.host, g)) : this.findVm(g);
    if (!v) throw new Error(`no VM ${g}`);
    if (!v.planned) {
      // the jobs that affect the VM come from the index; with two or more unfinished ones, the
      // order they are cancelled in is that of the full scan, which the index does not keep
      const live: JobRecord[] = [];
      for (const id of this.affectedIndex.get(g) ?? []) {
        const j = this.findJob(id);
        if (j && !FINISHED_JOB_STATES.has(j.state) && j.affected.includes(g)) live.push(j);
      }
      if (live.length === 1) this.finishWithFailure(live[0], this.cancelFailure(live[0]), 'terminated');
      else if (live.length > 1) {
        for (const m of this.jobMaps.values()) {
          for (const j of m.values()) {
            if (!FINISHED_JOB_STATES.has(j.state) && j.affected.includes(g)) this.finishWithFailure(j, this.cancelFailure(j), 'terminated');
          }
        }
      }
    }
    (v.planned ? this.plannedMaps : this.vmMaps).get(key(v.host))?.delete(g);
    this.events.emit('vm-removed', { vm: g, host: v.host, planned: v.planned });
  }

  /** Control plane: set a VM's state at once (no job). */
  setVmState(guid: string, state: 'running' | 'off' | 'saved' | 'paused'): void {
    const v = this.findVm(guid);
    if (!v) throw new Error(`no VM ${guid}`);
    this.applyState(v, state);
  }

  private insertVm(v: VmRecord): void {
    this.place((v.planned ? this.plannedMaps : this.vmMaps).get(key(v.host))!, v);
  }

  private nextPid(): number {
    this.pidSeq += 4;
    if (this.pidSeq > 65000) this.pidSeq = 4004;
    return this.pidSeq;
  }

  private applyState(v: VmRecord, state: VmPowerState): void {
    const previous = v.state;
    if (previous === state) return;
    const now = this.clock.now();
    v.state = state;
    v.stateChangedAt = now;
    // guest state is created on the processor of the host the VM starts on
    if (previous === 'off' && state !== 'off') {
      const host = this.requireHost(v.host);
      v.cpu = { vendor: host.processor.vendor, features: [...host.processor.features] };
    }
    if (state === 'running' && v.processId === undefined) {
      v.processId = this.nextPid();
      v.onSince = now;
    }
    // paused time does not count as on time
    if (state === 'paused' && v.onSince !== undefined) v.pausedOnMs = now - v.onSince;
    if (state === 'running' && v.pausedOnMs !== undefined) {
      v.onSince = now - v.pausedOnMs;
      v.pausedOnMs = undefined;
    }
    if (state === 'off') {
      v.cpu = undefined;
      v.processId = undefined;
      v.onSince = undefined;
      v.pausedOnMs = undefined;
    } else if (state === 'saved') {
      v.processId = undefined;
      v.onSince = undefined;
      v.pausedOnMs = undefined;
    }
    this.events.emit('vm-state', { vm: v.guid, host: v.host, state, previous });
  }

  // --------------------------------------------------------------------------------- jobs --

  private createJob(host: string, type: JobType, o: {
    user?: string; name: string; description: string; affected: string[]; owner: JobOwner; ownerVm?: string; cancellable?: boolean;
    migration?: MigrationDetails; targetState?: VmPowerState; fromState?: VmPowerState;
  }): JobRecord {
    const now = this.clock.now();
    const j: JobRecord = {
      id: newGuid(),
      host: this.requireHost(host).name,
      type,
      migrationJob: MIGRATION_JOB_TYPES.has(type),
      name: o.name,
      description: o.description,
      state: 'new',
      status: 'Job is queued',
      submittedAt: now,
      stateChangedAt: now,
      percent: 0,
      cancellable: o.cancellable ?? false,
      deleteOnCompletion: false,
      retentionMs: this.retentionMs,
      affected: o.affected.map((g) => g.toUpperCase()),
      owner: o.owner,
      user: o.user,
      ownerVm: o.ownerVm,
      migration: o.migration,
      targetState: o.targetState,
      fromState: o.fromState,
    };
    this.jobMaps.get(key(host))!.set(j.id, j);
    this.countJob(j, 1);
    if (j.migration) this.liveMigrations.add(j);
    for (const g of j.affected) {
      let s = this.affectedIndex.get(g);
      if (!s) this.affectedIndex.set(g, (s = new Set()));
      s.add(j.id);
    }
    this.events.emit('job-created', { job: j.id, host: j.host, type });
    return j;
  }

  /** A timer owned by a running job; it leaves the job's list when it fires (so it is never cleared twice). */
  private jobTimer(run: RunState, at: number, fn: () => void): void {
    const h: TimerHandle = this.clock.setTimer(at, () => {
      const i = run.timers.indexOf(h);
      if (i >= 0) run.timers.splice(i, 1);
      fn();
    });
    run.timers.push(h);
  }

  /** Start a job's clock: phases of [durationMs, toPercent], then `onDone`. */
  private runJob(j: JobRecord, phases: Array<[number, number]>, onDone: () => void, extra: RunState = { timers: [], effects: [] }): void {
    const now = this.clock.now();
    j.state = 'running';
    j.status = 'Job is running';
    j.startedAt = now;
    j.stateChangedAt = now;
    let t = now;
    let p = 0;
    j.timeline = phases.map(([ms, to]) => {
      const ph = { from: t, until: t + ms, fromPercent: p, toPercent: to };
      t += ms;
      p = to;
      return ph;
    });
    const end = t;
    this.running.set(j.id, extra);
    this.events.emit('job-started', { job: j.id, host: j.host, type: j.type });
    // migrations report progress every 10 % (one pending timer at a time) when anyone listens;
    // short jobs only start and finish. PercentComplete itself is computed from the timeline.
    if (j.migration && this.events.wants('job-progress')) {
      const next = (pct: number): void => {
        const at = this.timeAtPercent(j, pct);
        if (pct >= 100 || at === undefined || at >= end) return;
        this.jobTimer(extra, at, () => {
          if (j.state !== 'running') return;
          this.events.emit('job-progress', { job: j.id, host: j.host, percent: this.percentOf(j) });
          next(pct + 10);
        });
      };
      next(10);
    }
    this.jobTimer(extra, end, () => {
      if (j.state === 'running') onDone();
    });
  }

  /** Fabric time at which a running job reaches `pct`. */
  private timeAtPercent(j: JobRecord, pct: number): number | undefined {
    for (const ph of j.timeline ?? []) {
      if (pct >= ph.fromPercent && pct <= ph.toPercent) {
        if (ph.toPercent === ph.fromPercent) return ph.from;
        return ph.from + ((pct - ph.fromPercent) / (ph.toPercent - ph.fromPercent)) * (ph.until - ph.from);
      }
    }
    return undefined;
  }

  private stopTimers(j: JobRecord): void {
    const r = this.running.get(j.id);
    if (r) for (const t of r.timers) this.clock.clearTimer(t);
    this.running.delete(j.id);
  }

  private finishOk(j: JobRecord): void {
    this.stopTimers(j);
    const now = this.clock.now();
    j.state = 'completed';
    j.status = 'Job completed successfully';
    j.percent = 100;
    j.timeline = undefined;
    j.finishedAt = now;
    j.stateChangedAt = now;
    this.releaseVm(j);
    this.afterFinish(j);
  }

  private finishWithFailure(j: JobRecord, failure: FailureRecord, state: JobStateName = 'exception'): void {
    if (FINISHED_JOB_STATES.has(j.state)) return;
    const wasQueued = j.state === 'new';
    this.stopTimers(j);
    const now = this.clock.now();
    j.percent = this.percentOf(j);
    j.timeline = undefined;
    j.state = state;
    j.status = state === 'exception' ? 'Job failed' : state === 'killed' ? 'Job was killed' : 'Job was terminated';
    j.failure = failure;
    j.finishedAt = now;
    j.stateChangedAt = now;
    if (wasQueued) this.queue = this.queue.filter((q) => q !== j);
    this.undoMigration(j);
    this.releaseVm(j);
    this.afterFinish(j);
  }

  private afterFinish(j: JobRecord): void {
    this.liveMigrations.delete(j);
    this.events.emit('job-finished', { job: j.id, host: j.host, type: j.type, state: j.state, reason: j.failure?.reason });
    if (j.migration) {
      const m = j.migration;
      this.events.emit('migration-finished', {
        job: j.id, vm: m.vm, source: m.source, destination: m.destination, type: m.type, ok: j.state === 'completed', reason: j.failure?.reason,
      });
    }
    this.noteFinished(j);
    this.scheduleRemoval(j);
    this.enforceJobsKept(j.host);
    if (j.migration) this.pumpQueue();
  }

  private noteFinished(j: JobRecord): void {
    const k = key(j.host);
    let s = this.finishedOrder.get(k);
    if (!s) this.finishedOrder.set(k, (s = new Set()));
    s.add(j);
  }

  /** limits.maxJobsKept: the oldest finished jobs of a host go first. */
  private enforceJobsKept(host: string): void {
    const s = this.finishedOrder.get(key(host));
    if (!s) return;
    while (s.size > this.maxJobsKept) {
      const oldest = s.values().next().value as JobRecord;
      this.removeJob(oldest);
      s.delete(oldest);
    }
  }

  private scheduleRemoval(j: JobRecord): void {
    const old = this.removalTimers.get(j.id);
    if (old) this.clock.clearTimer(old);
    this.removalTimers.delete(j.id);
    if (!FINISHED_JOB_STATES.has(j.state) || this.closed) return;
    if (j.deleteOnCompletion) {
      this.removeJob(j);
      return;
    }
    this.removalTimers.set(j.id, this.clock.setTimer((j.finishedAt ?? this.clock.now()) + j.retentionMs, () => {
      this.removalTimers.delete(j.id);
      this.removeJob(j);
    }));
  }

  private removeJob(j: JobRecord): void {
    const t = this.removalTimers.get(j.id);
    if (t) this.clock.clearTimer(t);
    this.removalTimers.delete(j.id);
    this.finishedOrder.get(key(j.host))?.delete(j);
    if (!this.jobMaps.get(key(j.host))?.delete(j.id)) return;
    this.countJob(j, -1);
    for (const g of j.affected) {
      const s = this.affectedIndex.get(g);
      if (s) {
        s.delete(j.id);
        if (s.size === 0) this.affectedIndex.delete(g);
      }
    }
    this.events.emit('job-removed', { job: j.id, host: j.host });
  }

  private countJob(j: JobRecord, d: 1 | -1): void {
    const k = key(j.host);
    let c = this.jobCounts.get(k);
    if (!c) this.jobCounts.set(k, (c = { migration: 0, concrete: 0 }));
    if (j.migrationJob) c.migration += d;
    else c.concrete += d;
  }

  /** Job Put: DeleteOnCompletion and TimeBeforeRemoval. */
  setJobRetention(j: JobRecord, o: { deleteOnCompletion?: boolean; retentionMs?: number }): void {
    if (o.deleteOnCompletion !== undefined) j.deleteOnCompletion = o.deleteOnCompletion;
    if (o.retentionMs !== undefined) j.retentionMs = Math.max(0, o.retentionMs);
    this.events.emit('job-changed', { job: j.id, host: j.host });
    if (FINISHED_JOB_STATES.has(j.state)) this.scheduleRemoval(j);
  }

  /** RequestStateChange 4 (Terminate) or 5 (Kill) on a job. */
  cancelJob(host: string, id: string, how: 'terminate' | 'kill'): OpResult {
    const j = this.job(host, id);
    if (!j) return refuse('vm-not-found', `no job ${id}`);
    if (!j.cancellable || FINISHED_JOB_STATES.has(j.state)) {
      return refuse('job-not-cancellable', j.cancellable ? 'The job has already finished.' : 'The job cannot be cancelled.');
    }
    this.finishWithFailure(j, this.cancelFailure(j), how === 'kill' ? 'killed' : 'terminated');
    return { ok: true, value: undefined };
  }

  private cancelFailure(j: JobRecord): FailureRecord {
    const text = j.migration
      ? `The virtual machine migration operation for '${j.migration.vmName}' was cancelled. (Virtual machine ID ${j.migration.vm})`
      : `The operation '${j.name}' was cancelled.`;
    const vm = j.affected[0];
    return simpleFailure({ reason: 'cancelled', error: errorOf('cancelled', text, [], vm ? { kind: 'vm', host: j.host, vm } : undefined) });
  }

  private releaseVm(j: JobRecord): void {
    for (const g of j.affected) {
      const v = this.vm(j.host, g) ?? (j.migration?.destination ? this.vm(j.migration.destination, g) : undefined);
      if (v && v.busyWith === j.id) {
        v.busyWith = undefined;
        if (v.migrating) {
          v.migrating = false;
          this.events.emit('vm-changed', { vm: v.guid, host: v.host });
        }
      }
    }
  }

  // ---------------------------------------------------------------------------- migrations --

  private usesSlot(j: JobRecord, kind: 'virtual-system' | 'storage'): boolean {
    if (kind === 'virtual-system') return j.type === 'move-vm' || j.type === 'move-vm-and-storage';
    return j.type === 'move-storage' || j.type === 'move-vm-and-storage';
  }

  private canStart(j: JobRecord): boolean {
    const m = j.migration!;
    const src = this.host(m.source);
    if (!src) return true; // it will fail when it runs
    if (this.usesSlot(j, 'virtual-system')) {
      if (this.activeCount(m.source, 'virtual-system') >= src.migration.maxVirtualSystemMigrations) return false;
      const dst = m.destination ? this.host(m.destination) : undefined;
      if (dst && this.activeCount(dst.name, 'virtual-system') >= dst.migration.maxVirtualSystemMigrations) return false;
    }
    if (this.usesSlot(j, 'storage') && this.activeCount(m.source, 'storage') >= src.migration.maxStorageMigrations) return false;
    return true;
  }

  private pumpQueue(): void {
    if (this.queue.length === 0) return;
    const waiting = this.queue;
    this.queue = [];
    for (const j of waiting) {
      if (j.state !== 'new') continue;
      if (this.canStart(j)) this.startMigrationJob(j);
      else this.queue.push(j);
    }
  }

  /**
   * The synchronous part of MigrateVirtualSystemToHost / CheckVirtualSystemIsMigratable: checks
   * that refuse the call at once, then the job. The VM must be on `req.source`.
   */
  migrate(req: MigrationRequest): OpResult {
    const src = this.host(req.source);
    if (!src) return refuse('vm-not-found', `no host ${req.source}`);
    const vm = this.vm(src.name, req.vm);
    if (!vm) {
      if (this.planned(src.name, req.vm)) return refuse('not-a-vm', 'A planned virtual machine cannot be migrated.');
      return refuse('vm-not-found', `The virtual machine ${req.vm} was not found on host '${src.name}'.`);
    }
    const moves = !req.check && req.type !== 'Staged';
    const v = this.validateRequest(req, vm, src, moves);
    if (!v.ok) return v;
    const destination = v.value.destination;
    const destinationText = v.value.text;
    const storageOnly = req.type === 'Storage' || req.type === 'StorageDeepCheck';

    const type: JobType = req.check
      ? req.type === 'VirtualSystemAndStorage' ? 'check-vm-and-storage'
        : req.type === 'Storage' ? 'check-storage' : req.type === 'StorageDeepCheck' ? 'check-storage-migration' : 'check-vm'
      : req.type === 'Staged' ? 'create-remote-vm'
        : req.type === 'Storage' ? 'move-storage' : req.type === 'VirtualSystemAndStorage' ? 'move-vm-and-storage' : 'move-vm';
    const m: MigrationDetails = {
      vm: vm.guid,
      vmName: vm.name,
      source: src.name,
      destination: destination?.name,
      destinationText: storageOnly ? undefined : destinationText,
      type: req.type,
      plannedVm: req.plannedVm ? req.plannedVm.toUpperCase() : undefined,
      newPaths: req.newPaths,
      newDataRoot: req.newDataRoot,
      newSystemSettings: req.newSystemSettings ?? null,
      newResourceSettings: req.newResourceSettings ?? null,
    };
    const label = JOB_LABELS[type];
    const j = this.createJob(src.name, type, {
      user: req.user,
      name: label,
      description: storageOnly
        ? `${label}: virtual machine '${vm.name}'`
        : `${label}: virtual machine '${vm.name}' to host '${destinationText ?? ''}'`,
      affected: [vm.guid],
      owner: 'migration-service',
      cancellable: true,
      migration: m,
    });
    if (moves) {
      vm.busyWith = j.id;
      vm.migrating = true;
      this.events.emit('vm-changed', { vm: vm.guid, host: vm.host });
    }
    if (!moves || this.canStart(j)) this.startMigrationJob(j);
    else {
      j.status = 'Waiting for a migration slot (MaximumActiveVirtualSystemMigration / MaximumActiveStorageMigration)';
      this.queue.push(j);
      this.events.emit('migration-queued', { job: j.id, vm: m.vm, source: m.source, destination: m.destination, type: m.type });
    }
    return { ok: true, job: j, value: undefined };
  }

  /** Check*ToHost/ToSystem: every check at once, no job. */
  checkNow(req: MigrationRequest): OpResult<{ migratable: boolean; failures: CheckFailure[] }> {
    const src = this.host(req.source);
    if (!src) return refuse('vm-not-found', `no host ${req.source}`);
    const vm = this.vm(src.name, req.vm);
    if (!vm) return refuse(this.planned(src.name, req.vm) ? 'not-a-vm' : 'vm-not-found', `The virtual machine ${req.vm} was not found.`);
    const probe = this.validateRequest(req, vm, src, false);
    if (!probe.ok) return probe;
    const failures = this.jobPhaseChecks(vm, src, probe.value, req.type, req.plannedVm);
    return { ok: true, value: { migratable: failures.length === 0, failures } };
  }

  /** The checks that refuse a migration call at once, in order. */
  private validateRequest(req: MigrationRequest, vm: VmRecord, src: HostRecord, moves: boolean): OpResult<{ destination?: HostRecord; text?: string }> {
    const storageOnly = req.type === 'Storage' || req.type === 'StorageDeepCheck';
    if (req.type === 'StorageDeepCheck' && !req.check) return refuse('settings-invalid', 'MigrationType StorageDeepCheck only applies to a migration check.');
    let destination: HostRecord | undefined;
    let text: string | undefined;
    if (typeof req.destination === 'object') {
      destination = this.host(req.destination.host);
      text = req.destination.host;
      if (!destination) return refuse('destination-invalid', 'DestinationSystem names no host of the fabric.');
    } else if (req.destination !== undefined && req.destination !== null && req.destination !== '') {
      text = req.destination;
      const parsed = parseDestinationHost(req.destination);
      if (!parsed) return refuse('destination-invalid', `DestinationHost '${req.destination}' is not a DNS name, an IPv4 address or an IPv6 address.`);
      destination = resolveDestination(parsed, this.hosts());
    } else if (!storageOnly) {
      return refuse('destination-invalid', 'DestinationHost is required for this migration type.');
    }
    if (storageOnly) {
      if (destination && destination !== src) return refuse('destination-invalid', 'A storage migration stays on the source host; DestinationHost must be empty or name the source.');
      destination = undefined;
    } else {
      if (destination === src) return refuse('destination-is-source', `The destination '${text ?? ''}' is the source host '${src.name}'.`);
      if (!src.migration.enabled) return refuse('source-migration-disabled', `Virtual machine migration is not enabled on host '${src.name}'.`);
    }
    if (moves && (vm.busyWith || vm.migrating)) return refuse('vm-busy', `The virtual machine '${vm.name}' is busy with another operation.`);
    if (!isStable(vm.state)) return refuse('vm-invalid-state', `The virtual machine '${vm.name}' is in a transitional state (${vm.state}).`);
    if (req.type === 'Storage' && !req.check && Object.keys(req.newPaths ?? {}).length === 0 && !req.newDataRoot) {
      return refuse('storage-paths-invalid', 'A storage migration needs new paths (NewResourceSettingData) or a new data root (NewSystemSettingData).');
    }
    for (const id of Object.keys(req.newPaths ?? {})) {
      if (!vm.vhds.some((d) => d.id === id)) return refuse('storage-paths-invalid', `The virtual machine has no virtual hard disk '${id}'.`);
    }
    return { ok: true, value: { destination, text } };
  }

  private jobPhaseChecks(
    vm: VmRecord,
    src: HostRecord,
    d: { destination?: HostRecord; text?: string },
    type: MigrationTypeName,
    plannedVm: string | undefined,
    effects: MigrationFaultEffect[] = [],
    excludeJob?: string,
  ): CheckFailure[] {
    if (type === 'Storage' || type === 'StorageDeepCheck') return [];
    if (!d.destination) return [unknownDestination(vm, d.text ?? '')];
    const dest = d.destination;
    const forced = effects.find((e) => e.kind === 'unreachable');
    const view: DestinationView = {
      host: dest,
      hasVm: (g) => this.vm(dest.name, g) !== undefined,
      hasPlanned: (g) => this.planned(dest.name, g) !== undefined,
      freeMemoryMiB: () => this.freeMemoryMiB(dest.name, excludeJob),
    };
    return destinationChecks(vm, src, view, type, {
      plannedVm,
      reachability: forced && forced.kind === 'unreachable' ? forced.mode ?? 'timeout' : undefined,
    });
  }

  private startMigrationJob(j: JobRecord): void {
    const m = j.migration!;
    const t = this.timings;
    const vm = this.vm(m.source, m.vm);
    const effects = this.faults.effectsFor(m);
    const slow = effects.reduce((f, e) => (e.kind === 'slow' ? f * e.factor : f), 1);
    const run: RunState = { timers: [], effects };
    let phases: Array<[number, number]>;
    let done: () => void;
    const checkOnly = j.type.startsWith('check-');
    if (checkOnly) {
      phases = [[t.checkMs, 100]];
      done = () => this.completeCheck(j);
    } else if (j.type === 'create-remote-vm') {
      phases = [[t.stagedMs, 100]];
      done = () => this.completeStaged(j);
    } else {
      const memMs = vm && (vm.state === 'running' || vm.state === 'paused' || vm.state === 'saved')
        ? (vm.memoryMiB * 8 * 1000) / this.bandwidthMbps
        : t.offlineTransferMs;
      const diskGiB = vm ? vm.vhds.filter((d) => j.type === 'move-vm-and-storage' || m.newPaths?.[d.id] !== undefined).reduce((s, d) => s + d.sizeGiB, 0) : 0;
      const diskMs = j.type === 'move-vm' ? 0 : (diskGiB * 1024 * 8 * 1000) / this.bandwidthMbps;
      const transferMs = (j.type === 'move-storage' ? diskMs : memMs + diskMs) * slow;
      phases = [[t.migrationSetupMs, 10], [Math.max(1, transferMs), 95], [t.migrationCutoverMs, 100]];
      done = () => this.cutOver(j);
    }
    this.runJob(j, phases, done, run);
    this.events.emit('migration-started', { job: j.id, vm: m.vm, source: m.source, destination: m.destination, type: m.type });

    if (!checkOnly && j.type !== 'create-remote-vm') {
      // validation with the destination, half way through setup ("fails before 10 %")
      const at = j.startedAt! + t.migrationSetupMs / 2;
      this.jobTimer(run, at, () => this.validateMigration(j));
    }
    for (const e of effects) {
      if (e.kind !== 'fail') continue;
      const at = this.timeAtPercent(j, e.atPercent) ?? j.startedAt!;
      this.jobTimer(run, at, () => {
        if (j.state !== 'running') return;
        j.percent = Math.max(j.percent, Math.floor(e.atPercent));
        this.failInjected(j, e);
      });
    }
  }

  private failInjected(j: JobRecord, e: Extract<MigrationFaultEffect, { kind: 'fail' }>): void {
    const m = j.migration!;
    const v = this.vm(m.source, m.vm) ?? this.findVm(m.vm);
    const base = errorOf('injected',
      'Failed to send data for a Virtual Machine migration: An existing connection was forcibly closed by the remote host. (0x80072746)',
      ['0x80072746'], { kind: 'vm', host: m.source, vm: m.vm });
    const err: ErrorRecord = { ...base, ...(e.error ?? {}), source: base.source };
    const side = e.side ?? 'source';
    const f = migrationFailure([{ reason: 'injected', error: err }], { guid: m.vm, name: v?.name ?? m.vmName, host: m.source },
      { where: side, host: side === 'source' ? m.source : m.destination ?? m.source });
    if (e.errorCode !== undefined) f.errorCode = e.errorCode;
    this.finishWithFailure(j, f);
  }

  private validateMigration(j: JobRecord): void {
    if (j.state !== 'running') return;
    const m = j.migration!;
    const src = this.host(m.source);
    const vm = src ? this.vm(src.name, m.vm) : undefined;
    if (!src || !vm) {
      this.finishWithFailure(j, this.cancelFailure(j), 'terminated');
      return;
    }
    if (j.type === 'move-storage') return;
    const effects = this.running.get(j.id)?.effects ?? [];
    const dest = m.destination ? this.host(m.destination) : undefined;
    const failures = this.jobPhaseChecks(vm, src, { destination: dest, text: m.destinationText }, m.type, m.plannedVm, effects, j.id);
    if (failures.length) {
      const side = sideOf(failures[0].reason);
      this.finishWithFailure(j, migrationFailure(failures, vm, { where: side, host: side === 'source' ? src.name : dest?.name ?? m.destinationText ?? '' }));
      return;
    }
    // the destination holds the incoming configuration as a planned VM, and reserves memory
    const d = dest!;
    if (!m.plannedVm || m.plannedVm !== vm.guid) {
      const p = this.copyForHost(vm, d, true);
      p.busyWith = j.id;
      this.insertVm(p);
      m.createdPlanned = true;
      this.events.emit('vm-added', { vm: vm.guid, host: d.name, planned: true });
    }
    if (isResident(vm.state)) {
      let r = this.reservations.get(key(d.name));
      if (!r) this.reservations.set(key(d.name), (r = new Map()));
      r.set(j.id, vm.memoryMiB);
      m.reservedMiB = vm.memoryMiB;
    }
  }

  /** A copy of a VM as it will exist on another host (planned or realized). */
  private copyForHost(vm: VmRecord, host: HostRecord, planned: boolean): VmRecord {
    const c = copyPlain(vm);
    c.host = host.name;
    c.planned = planned;
    c.busyWith = undefined;
    c.migrating = false;
    if (planned) {
      c.state = 'off';
      c.processId = undefined;
      c.onSince = undefined;
    }
    return c;
  }

  /** Undo what a failed or cancelled migration did on the destination. */
  private undoMigration(j: JobRecord): void {
    const m = j.migration;
    if (!m || !m.destination) return;
    const r = this.reservations.get(key(m.destination));
    r?.delete(j.id);
    if (m.createdPlanned && j.state !== 'completed') {
      const p = this.planned(m.destination, m.vm);
      if (p) {
        this.plannedMaps.get(key(m.destination))!.delete(p.guid);
        this.events.emit('vm-removed', { vm: p.guid, host: p.host, planned: true });
      }
      m.createdPlanned = false;
    }
  }

  /** The cut-over: one synchronous step moves the VM from the source map to the destination map. */
  private cutOver(j: JobRecord): void {
    const m = j.migration!;
    const src = this.host(m.source);
    const vm = src ? this.vm(src.name, m.vm) : undefined;
    if (!src || !vm) {
      this.finishWithFailure(j, this.cancelFailure(j), 'terminated');
      return;
    }
    if (j.type === 'move-storage') {
      this.applyPaths(vm, m);
      vm.configChangedAt = this.clock.now();
      this.releaseVm(j);
      this.finishOk(j);
      this.events.emit('vm-changed', { vm: vm.guid, host: vm.host });
      return;
    }
    const dest = m.destination ? this.host(m.destination) : undefined;
    if (!dest || dest.reachability !== 'reachable') {
      const f = dest ? this.jobPhaseChecks(vm, src, { destination: dest }, m.type, undefined) : [unknownDestination(vm, m.destinationText ?? '')];
      this.finishWithFailure(j, migrationFailure(f, vm, { where: 'source', host: src.name }));
      return;
    }
    if (this.vm(dest.name, vm.guid)) {
      this.finishWithFailure(j, migrationFailure([{
        reason: 'vm-exists-on-destination',
        error: errorOf('vm-exists-on-destination', `A virtual machine with the identifier ${vm.guid} appeared at the migration destination '${dest.name}'.`,
          [vm.name, dest.name, vm.guid], { kind: 'vm', host: dest.name, vm: vm.guid }),
      }], vm, { where: 'destination', host: dest.name }));
      return;
    }
    // ---- the atomic step ----
    this.vmMaps.get(key(src.name))!.delete(vm.guid);
    const plannedMap = this.plannedMaps.get(key(dest.name))!;
    const hadPlanned = plannedMap.delete(vm.guid);
    vm.host = dest.name;
    vm.busyWith = undefined;
    vm.migrating = false;
    if (vm.processId) vm.processId = this.nextPid();
    if (j.type === 'move-vm-and-storage') this.applyPaths(vm, m);
    vm.configChangedAt = this.clock.now();
    this.place(this.vmMaps.get(key(dest.name))!, vm);
    this.reservations.get(key(dest.name))?.delete(j.id);
    m.createdPlanned = false;
    // ---- done: the VM is on exactly one host ----
    if (hadPlanned) this.events.emit('vm-removed', { vm: vm.guid, host: dest.name, planned: true });
    this.events.emit('vm-moved', { vm: vm.guid, from: src.name, to: dest.name, job: j.id });
    this.finishOk(j);
  }

  private applyPaths(vm: VmRecord, m: MigrationDetails): void {
    for (const d of vm.vhds) {
      const p = m.newPaths?.[d.id];
      if (p !== undefined) d.path = p;
    }
    if (m.newDataRoot) vm.dataRoot = m.newDataRoot;
  }

  private completeCheck(j: JobRecord): void {
    const m = j.migration!;
    const src = this.host(m.source);
    const vm = src ? this.vm(src.name, m.vm) : undefined;
    if (!src || !vm) {
      this.finishWithFailure(j, this.cancelFailure(j), 'terminated');
      return;
    }
    const dest = m.destination ? this.host(m.destination) : undefined;
    const effects = this.running.get(j.id)?.effects ?? [];
    // Compare-VM checks against the planned VM on the destination: its settings are what count
    const subject = m.plannedVm && dest ? this.planned(dest.name, m.plannedVm) ?? vm : vm;
    const failures = this.jobPhaseChecks(subject === vm ? vm : { ...subject, state: vm.state, cpu: vm.cpu }, src,
      { destination: dest, text: m.destinationText }, m.type, m.plannedVm, effects, j.id);
    if (failures.length === 0) return this.finishOk(j);
    const side = sideOf(failures[0].reason);
    this.finishWithFailure(j, migrationFailure(failures, vm, { where: side, host: side === 'source' ? src.name : dest?.name ?? m.destinationText ?? '' }, 'compatibility check'));
  }

  private completeStaged(j: JobRecord): void {
    const m = j.migration!;
    const src = this.host(m.source);
    const vm = src ? this.vm(src.name, m.vm) : undefined;
    if (!src || !vm) {
      this.finishWithFailure(j, this.cancelFailure(j), 'terminated');
      return;
    }
    const dest = m.destination ? this.host(m.destination) : undefined;
    const effects = this.running.get(j.id)?.effects ?? [];
    const failures = this.jobPhaseChecks(vm, src, { destination: dest, text: m.destinationText }, 'Staged', undefined, effects, j.id);
    if (failures.length) {
      const side = sideOf(failures[0].reason);
      this.finishWithFailure(j, migrationFailure(failures, vm, { where: side, host: side === 'source' ? src.name : dest?.name ?? '' }));
      return;
    }
    const p = this.copyForHost(vm, dest!, true);
    if (m.newDataRoot) p.dataRoot = m.newDataRoot;
    this.insertVm(p);
    this.finishOk(j);
    this.events.emit('vm-added', { vm: p.guid, host: p.host, planned: true });
  }

  // -------------------------------------------------------------------------- VM lifecycle --

  /** Msvm_ComputerSystem.RequestStateChange. */
  requestState(host: string, guid: string, target: StateRequest, user?: string): OpResult {
    const v = this.vm(host, guid);
    if (!v) return refuse('vm-not-found', `The virtual machine ${guid} was not found.`);
    if (v.busyWith || v.migrating) return refuse('vm-busy', `The virtual machine '${v.name}' is busy with another operation.`);
    if (!isStable(v.state)) return refuse('vm-invalid-state', `The virtual machine '${v.name}' is in a transitional state (${v.state}).`);
    const t = this.timings;
    const s = v.state;
    let plan: { type: JobType; transitional: VmPowerState; final: VmPowerState; ms: number } | undefined;
    switch (target) {
      case 'running':
        if (s === 'off') plan = { type: 'start-vm', transitional: 'starting', final: 'running', ms: t.startMs };
        else if (s === 'saved') plan = { type: 'restore-vm', transitional: 'starting', final: 'running', ms: t.restoreMs };
        else if (s === 'paused') plan = { type: 'resume-vm', transitional: 'resuming', final: 'running', ms: t.resumeMs };
        break;
      case 'off':
        if (s !== 'off') plan = { type: 'power-off-vm', transitional: 'stopping', final: 'off', ms: t.powerOffMs };
        break;
      case 'shutdown':
        if (s === 'running') plan = { type: 'shutdown-vm', transitional: 'stopping', final: 'off', ms: t.shutdownMs };
        break;
      case 'saved':
        if (s === 'running' || s === 'paused') plan = { type: 'save-vm', transitional: 'saving', final: 'saved', ms: t.saveMs };
        break;
      case 'paused':
        if (s === 'running') plan = { type: 'pause-vm', transitional: 'pausing', final: 'paused', ms: t.pauseMs };
        break;
      case 'reset':
        if (s === 'running' || s === 'paused') plan = { type: 'reset-vm', transitional: 'resetting', final: 'running', ms: t.resetMs };
        break;
      case 'reboot':
        if (s === 'running') plan = { type: 'reboot-vm', transitional: 'resetting', final: 'running', ms: t.rebootMs };
        break;
    }
    if (!plan) return refuse('invalid-state-transition', `The virtual machine '${v.name}' cannot go from ${s} to ${target}.`);
    const p = plan;
    const j = this.createJob(v.host, p.type, {
      user, name: JOB_LABELS[p.type], description: `${JOB_LABELS[p.type]} '${v.name}'`, affected: [v.guid], owner: 'vm', ownerVm: v.guid, targetState: p.final,
      fromState: v.state,
    });
    v.busyWith = j.id;
    const from = v.state;
    this.applyState(v, p.transitional);
    this.runJob(j, [[p.ms, 100]], () => {
      const cur = this.vm(j.host, v.guid);
      if (!cur) return this.finishWithFailure(j, this.cancelFailure(j), 'terminated');
      cur.busyWith = undefined;
      if ((p.type === 'start-vm' || p.type === 'restore-vm') && this.freeMemoryMiB(cur.host) < 0) {
        this.applyState(cur, from);
        return this.finishWithFailure(j, simpleFailure({
          reason: 'insufficient-memory',
          error: errorOf('insufficient-memory', `'${cur.name}' could not initialize memory: Ran out of memory (0x8007000E).`,
            [cur.name, String(cur.memoryMiB), String(Math.max(0, this.freeMemoryMiB(cur.host) + cur.memoryMiB))], { kind: 'memory', host: cur.host, vm: cur.guid }),
        }, `'${cur.name}' failed to start.`));
      }
      if (p.type === 'reset-vm' || p.type === 'reboot-vm') {
        cur.onSince = this.clock.now();
        cur.pausedOnMs = undefined;
      }
      this.applyState(cur, p.final);
      this.finishOk(j);
    });
    return { ok: true, job: j, value: undefined };
  }

  /** VSMS.DefineSystem / DefinePlannedSystem (synchronous). */
  defineVm(host: string, o: {
    name?: string; guid?: string; memoryMiB?: number; cpus?: number; generation?: 1 | 2; configurationVersion?: string;
    notes?: string; vhds?: Array<{ path: string; sizeGiB?: number }>; adapters?: Array<{ name?: string; switch: string | null; mac?: string }>;
    dataRoot?: string; planned?: boolean;
  }): OpResult<VmRecord> {
    const h = this.requireHost(host);
    const guid = (o.guid ?? newGuid()).toUpperCase();
    // realized VMs are unique in the fabric; a planned VM (an import, a staged migration) may share
    // its id with a VM on another host, not with anything on its own host
    const taken = o.planned ? this.vm(host, guid) !== undefined || this.planned(host, guid) !== undefined : this.findVm(guid) !== undefined || this.planned(host, guid) !== undefined;
    if (taken) return refuse('settings-invalid', `A virtual machine with the identifier ${guid} already exists.`);
    if (o.configurationVersion && !supportsVersion(h.osVersion, o.configurationVersion)) {
      return refuse('settings-invalid', `Configuration version ${o.configurationVersion} is not supported on this host.`);
    }
    for (const a of o.adapters ?? []) {
      if (a.switch !== null && !h.switches.some((s) => key(s.name) === key(a.switch!))) return refuse('settings-invalid', `Could not find Ethernet switch '${a.switch}'.`);
    }
    const v = this.addVm(h.name, {
      guid, name: o.name ?? 'New Virtual Machine', state: 'off', memoryMiB: o.memoryMiB ?? 1024, cpus: o.cpus ?? 1,
      generation: o.generation ?? 1, configurationVersion: o.configurationVersion, notes: o.notes,
      vhds: o.vhds, adapters: [],
    }, { planned: o.planned, silent: true });
    v.adapters = (o.adapters ?? []).map((a, i) => ({
      id: stableGuid('adapter', guid, String(i)), name: a.name ?? 'Network Adapter', switch: a.switch, mac: (a.mac ?? stableMac(guid, String(i))).toUpperCase(),
    }));
    if (o.dataRoot) v.dataRoot = o.dataRoot;
    this.events.emit('vm-added', { vm: v.guid, host: v.host, planned: v.planned });
    return { ok: true, value: v };
  }

  /** VSMS.DestroySystem: a job; the VM must be off or saved (planned VMs always go). */
  destroyVm(host: string, guid: string, planned: boolean, user?: string): OpResult {
    const v = planned ? this.planned(host, guid) : this.vm(host, guid);
    if (!v) return refuse('vm-not-found', `The virtual machine ${guid} was not found.`);
    if (v.busyWith || v.migrating) return refuse('vm-busy', `The virtual machine '${v.name}' is busy with another operation.`);
    if (!planned && v.state !== 'off' && v.state !== 'saved') {
      return refuse('vm-invalid-state', `The virtual machine '${v.name}' must be turned off or saved to be deleted.`);
    }
    const j = this.createJob(host, 'destroy-vm', {
      user, name: JOB_LABELS['destroy-vm'], description: `Destroying virtual machine '${v.name}'`, affected: [v.guid], owner: 'management-service',
    });
    v.busyWith = j.id;
    this.runJob(j, [[this.timings.destroyMs, 100]], () => {
      const map = (planned ? this.plannedMaps : this.vmMaps).get(key(host));
      if (map?.get(v.guid) === v) {
        map.delete(v.guid);
        this.events.emit('vm-removed', { vm: v.guid, host: v.host, planned });
      }
      this.finishOk(j);
    });
    return { ok: true, job: j, value: undefined };
  }

  /** VSMS.ModifySystemSettings (synchronous). */
  modifyVm(host: string, guid: string, c: {
    name?: string; notes?: string; startupAction?: VmRecord['startupAction']; shutdownAction?: VmRecord['shutdownAction'];
  }, planned = false): OpResult<VmRecord> {
    const v = planned ? this.planned(host, guid) : this.vm(host, guid);
    if (!v) return refuse('vm-not-found', `The virtual machine ${guid} was not found.`);
    if (c.name !== undefined) {
      if (c.name.length === 0 || c.name.length > 100) return refuse('settings-invalid', 'ElementName must have 1 to 100 characters.');
      v.name = c.name;
    }
    if (c.notes !== undefined) v.notes = c.notes;
    if (c.startupAction) v.startupAction = c.startupAction;
    if (c.shutdownAction) v.shutdownAction = c.shutdownAction;
    v.configChangedAt = this.clock.now();
    this.events.emit('vm-changed', { vm: v.guid, host: v.host });
    return { ok: true, value: v };
  }

  /** VSMS.ModifyResourceSettings (synchronous): memory, processors, disk paths, adapter switches. */
  modifyResources(host: string, guid: string, c: {
    memoryMiB?: number; cpus?: number; processorCompatibility?: boolean; vhdPaths?: Record<string, string>; adapterSwitches?: Record<string, string | null>;
  }, planned = false): OpResult<VmRecord> {
    const v = planned ? this.planned(host, guid) : this.vm(host, guid);
    if (!v) return refuse('vm-not-found', `The virtual machine ${guid} was not found.`);
    const h = this.requireHost(host);
    if (v.busyWith || v.migrating) return refuse('vm-busy', `The virtual machine '${v.name}' is busy with another operation.`);
    const needsOff = c.memoryMiB !== undefined || c.cpus !== undefined || c.processorCompatibility !== undefined;
    if (needsOff && v.state !== 'off') return refuse('vm-invalid-state', `The virtual machine '${v.name}' must be turned off to change memory or processors.`);
    for (const [id] of Object.entries(c.vhdPaths ?? {})) if (!v.vhds.some((d) => d.id === id)) return refuse('settings-invalid', `No virtual hard disk '${id}'.`);
    for (const [id, sw] of Object.entries(c.adapterSwitches ?? {})) {
      if (!v.adapters.some((a) => a.id === id)) return refuse('settings-invalid', `No network adapter '${id}'.`);
      if (sw !== null && !h.switches.some((s) => key(s.name) === key(sw))) return refuse('settings-invalid', `Could not find Ethernet switch '${sw}'.`);
    }
    if (c.memoryMiB !== undefined) v.memoryMiB = c.memoryMiB;
    if (c.cpus !== undefined) v.cpus = c.cpus;
    if (c.processorCompatibility !== undefined) v.processorCompatibility = c.processorCompatibility;
    for (const [id, p] of Object.entries(c.vhdPaths ?? {})) v.vhds.find((d) => d.id === id)!.path = p;
    for (const [id, sw] of Object.entries(c.adapterSwitches ?? {})) v.adapters.find((a) => a.id === id)!.switch = sw;
    v.configChangedAt = this.clock.now();
    this.events.emit('vm-changed', { vm: v.guid, host: v.host });
    return { ok: true, value: v };
  }

  /** VSMS.AddResourceSettings (synchronous): new virtual hard disks and network adapters. */
  addResources(host: string, guid: string, planned: boolean, add: {
    vhds?: Array<{ path: string; sizeGiB?: number }>; adapters?: Array<{ name?: string; switch: string | null; mac?: string }>;
  }): OpResult<{ vhds: VhdRecord[]; adapters: AdapterRecord[] }> {
    const v = planned ? this.planned(host, guid) : this.vm(host, guid);
    if (!v) return refuse('vm-not-found', `The virtual machine ${guid} was not found.`);
    if (v.busyWith || v.migrating) return refuse('vm-busy', `The virtual machine '${v.name}' is busy with another operation.`);
    const h = this.requireHost(host);
    for (const a of add.adapters ?? []) {
      if (a.switch !== null && !h.switches.some((x) => key(x.name) === key(a.switch!))) return refuse('settings-invalid', `Could not find Ethernet switch '${a.switch}'.`);
    }
    const vhds: VhdRecord[] = [];
    const adapters: AdapterRecord[] = [];
    for (const d of add.vhds ?? []) {
      const id = String(v.vhds.reduce((m, x) => Math.max(m, Number(x.id) + 1), 0));
      const rec = { id, path: d.path, sizeGiB: d.sizeGiB ?? 40 };
      v.vhds.push(rec);
      vhds.push(rec);
    }
    for (const a of add.adapters ?? []) {
      const id = newGuid();
      const rec = { id, name: a.name ?? 'Network Adapter', switch: a.switch, mac: (a.mac ?? stableMac(v.guid, id)).toUpperCase() };
      v.adapters.push(rec);
      adapters.push(rec);
    }
    v.configChangedAt = this.clock.now();
    this.events.emit('vm-changed', { vm: v.guid, host: v.host });
    return { ok: true, value: { vhds, adapters } };
  }

  /** VSMS.RemoveResourceSettings (synchronous): virtual hard disks and network adapters, by id. */
  removeResources(host: string, guid: string, planned: boolean, remove: { vhds?: string[]; adapters?: string[] }): OpResult {
    const v = planned ? this.planned(host, guid) : this.vm(host, guid);
    if (!v) return refuse('vm-not-found', `The virtual machine ${guid} was not found.`);
    if (v.busyWith || v.migrating) return refuse('vm-busy', `The virtual machine '${v.name}' is busy with another operation.`);
    const vh = new Set(remove.vhds ?? []);
    const ad = new Set((remove.adapters ?? []).map((a) => a.toUpperCase()));
    for (const id of vh) if (!v.vhds.some((d) => d.id === id)) return refuse('settings-invalid', `No virtual hard disk '${id}'.`);
    for (const id of ad) if (!v.adapters.some((a) => a.id.toUpperCase() === id)) return refuse('settings-invalid', `No network adapter '${id}'.`);
    v.vhds = v.vhds.filter((d) => !vh.has(d.id));
    v.adapters = v.adapters.filter((a) => !ad.has(a.id.toUpperCase()));
    v.configChangedAt = this.clock.now();
    this.events.emit('vm-changed', { vm: v.guid, host: v.host });
    return { ok: true, value: undefined };
  }

  /** VSMS.RealizePlannedSystem: a job that turns a planned VM into a VM (off). */
  realizePlanned(host: string, guid: string, user?: string): OpResult {
    const p = this.planned(host, guid);
    if (!p) return refuse('vm-not-found', `The planned virtual machine ${guid} was not found.`);
    if (p.busyWith) return refuse('vm-busy', `The planned virtual machine '${p.name}' is busy.`);
    if (this.findVm(p.guid)) return refuse('vm-invalid-state', `A virtual machine with the identifier ${p.guid} already exists.`);
    const h = this.requireHost(host);
    const failures = compatibilityChecks(p, h, undefined, h.name);
    const j = this.createJob(host, 'realize-planned-vm', {
      user, name: JOB_LABELS['realize-planned-vm'], description: `Realizing planned virtual machine '${p.name}'`, affected: [p.guid], owner: 'management-service',
    });
    p.busyWith = j.id;
    this.runJob(j, [[this.timings.realizePlannedMs, 100]], () => {
      p.busyWith = undefined;
      if (failures.length) return this.finishWithFailure(j, simpleFailure(failures[0]));
      if (this.findVm(p.guid)) {
        return this.finishWithFailure(j, simpleFailure({
          reason: 'vm-exists-on-destination',
          error: errorOf('vm-exists-on-destination', `A virtual machine with the identifier ${p.guid} already exists.`, [p.guid], { kind: 'vm', host, vm: p.guid }),
        }));
      }
      this.plannedMaps.get(key(host))!.delete(p.guid);
      const v = this.copyForHost(p, h, false);
      v.state = 'off';
      v.cpu = undefined;
      this.insertVm(v);
      this.events.emit('vm-removed', { vm: p.guid, host: h.name, planned: true });
      this.events.emit('vm-added', { vm: v.guid, host: v.host, planned: false });
      this.finishOk(j);
    });
    return { ok: true, job: j, value: undefined };
  }

  /** VSMS.ValidatePlannedSystem: a job that fails with the planned VM's incompatibilities with its host. */
  validatePlanned(host: string, guid: string, user?: string): OpResult {
    const p = this.planned(host, guid);
    if (!p) return refuse('vm-not-found', `The planned virtual machine ${guid} was not found.`);
    const h = this.requireHost(host);
    const j = this.createJob(host, 'validate-planned-vm', {
      user, name: JOB_LABELS['validate-planned-vm'], description: `Validating planned virtual machine '${p.name}'`, affected: [p.guid], owner: 'management-service',
    });
    this.runJob(j, [[this.timings.validatePlannedMs, 100]], () => {
      const cur = this.planned(host, guid);
      const failures = cur ? compatibilityChecks(cur, h, undefined, h.name) : [];
      if (failures.length === 0) return this.finishOk(j);
      const f = simpleFailure(failures[0], `The planned virtual machine '${p.name}' is not compatible with host '${h.name}'.`);
      f.errors = failures.map((x) => x.error);
      this.finishWithFailure(j, f);
    });
    return { ok: true, job: j, value: undefined };
  }

  // --------------------------------------------------------------- migration service settings --

  modifyMigrationSettings(host: string, c: Partial<Omit<HostRecord['migration'], 'networks'>>): OpResult {
    const h = this.requireHost(host);
    if (c.maxVirtualSystemMigrations !== undefined && !(c.maxVirtualSystemMigrations >= 1)) return refuse('settings-invalid', 'MaximumActiveVirtualSystemMigration must be at least 1.');
    if (c.maxStorageMigrations !== undefined && !(c.maxStorageMigrations >= 1)) return refuse('settings-invalid', 'MaximumActiveStorageMigration must be at least 1.');
    Object.assign(h.migration, Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)));
    this.events.emit('host-changed', { host: h.name });
    this.pumpQueue();
    return { ok: true, value: undefined };
  }

  /** VSMS.ModifyServiceSettings: the management service's settings (name → value). */
  modifyManagementSettings(host: string, c: Record<string, string | number | boolean>): OpResult {
    const h = this.requireHost(host);
    Object.assign(h.managementSettings, c);
    this.events.emit('host-changed', { host: h.name });
    return { ok: true, value: undefined };
  }

  addMigrationNetworks(host: string, nets: Array<{ subnet: string; prefixLength: number; metric?: number; tags?: string[] }>): OpResult<string[]> {
    const h = this.requireHost(host);
    const ids: string[] = [];
    for (const n of nets) {
      if (!validSubnet(n.subnet, n.prefixLength)) return refuse('settings-invalid', `'${n.subnet}/${n.prefixLength}' is not a valid subnet.`);
      if (h.migration.networks.some((x) => x.subnet === n.subnet && x.prefixLength === n.prefixLength)) {
        return refuse('settings-invalid', `The migration network ${n.subnet}/${n.prefixLength} already exists.`);
      }
    }
    for (const n of nets) {
      const id = stableGuid('network', h.name, n.subnet, String(n.prefixLength));
      h.migration.networks.push({ id, subnet: n.subnet, prefixLength: n.prefixLength, metric: n.metric ?? 0, tags: n.tags ?? [] });
      ids.push(id);
    }
    this.events.emit('host-changed', { host: h.name });
    return { ok: true, value: ids };
  }

  modifyMigrationNetworks(host: string, changes: Array<{ id: string; metric?: number; tags?: string[]; subnet?: string; prefixLength?: number }>): OpResult {
    const h = this.requireHost(host);
    for (const c of changes) {
      const n = h.migration.networks.find((x) => x.id.toUpperCase() === c.id.toUpperCase());
      if (!n) return refuse('settings-invalid', `No migration network ${c.id}.`);
      if ((c.subnet !== undefined || c.prefixLength !== undefined) && !validSubnet(c.subnet ?? n.subnet, c.prefixLength ?? n.prefixLength)) {
        return refuse('settings-invalid', 'Not a valid subnet.');
      }
    }
    for (const c of changes) {
      const n = h.migration.networks.find((x) => x.id.toUpperCase() === c.id.toUpperCase())!;
      if (c.metric !== undefined) n.metric = c.metric;
      if (c.tags !== undefined) n.tags = c.tags;
      if (c.subnet !== undefined) n.subnet = c.subnet;
      if (c.prefixLength !== undefined) n.prefixLength = c.prefixLength;
    }
    this.events.emit('host-changed', { host: h.name });
    return { ok: true, value: undefined };
  }

  removeMigrationNetworks(host: string, ids: string[]): OpResult {
    const h = this.requireHost(host);
    const want = new Set(ids.map((i) => i.toUpperCase()));
    for (const i of want) if (!h.migration.networks.some((n) => n.id.toUpperCase() === i)) return refuse('settings-invalid', `No migration network ${i}.`);
    h.migration.networks = h.migration.networks.filter((n) => !want.has(n.id.toUpperCase()));
    this.events.emit('host-changed', { host: h.name });
    return { ok: true, value: undefined };
  }

  // ---------------------------------------------------------------- compatibility information --

  /** GetSystemCompatibilityInfo: what a host needs to run this VM (or any VM of this host). */
  compatibilityInfo(host: string, guid?: string): OpResult<CompatibilityInfo> {
    const h = this.requireHost(host);
    if (guid === undefined) {
      return { ok: true, value: { format: COMPAT_FORMAT, kind: 'host', name: h.name, vendor: h.processor.vendor, features: [...h.processor.features], compatibility: false } };
    }
    const v = this.vm(host, guid) ?? this.planned(host, guid);
    if (!v) return refuse('vm-not-found', `The virtual machine ${guid} was not found.`);
    const cpu = v.cpu ?? { vendor: h.processor.vendor, features: h.processor.features };
    return {
      ok: true,
      value: { format: COMPAT_FORMAT, kind: 'vm', name: v.name, vm: v.guid, vendor: cpu.vendor, features: [...cpu.features], compatibility: v.processorCompatibility, version: v.configurationVersion },
    };
  }

  /** CheckSystemCompatibilityInfo: the reasons `host` cannot run what `info` describes (empty: compatible). */
  checkCompatibility(host: string, info: CompatibilityInfo): ErrorRecord[] {
    const h = this.requireHost(host);
    const out: ErrorRecord[] = [];
    const subject = info.kind === 'vm' && info.vm ? { kind: 'vm' as const, host: h.name, vm: info.vm } : { kind: 'host' as const, host: h.name };
    for (const msg of processorMismatch(info.name, { vendor: info.vendor, features: info.features }, info.compatibility, h)) {
      out.push(errorOf('processor-incompatible', msg, [info.name, h.name], subject.kind === 'vm' ? { kind: 'host', host: h.name } : subject));
    }
    if (info.version && !supportsVersion(h.osVersion, info.version)) {
      const fake = { name: info.name, configurationVersion: info.version, guid: info.vm ?? '', host: h.name } as VmRecord;
      out.push({ ...versionFailure(fake, h, h.name).error, source: { kind: 'host', host: h.name } });
    }
    return out;
  }

  // ------------------------------------------------------------------------------ snapshot --

  /** The fabric as a world file would declare it now (VMs in stable states; planned VMs and jobs left out). */
  toWorld(): WorldSpec {
    const stableOf = (s: VmPowerState): VmSpec['state'] =>
      s === 'starting' || s === 'resuming' || s === 'resetting' ? 'running' : s === 'stopping' ? 'off' : s === 'saving' ? 'saved' : s === 'pausing' ? 'paused' : (s as VmSpec['state']);
    return {
      name: this.worldMeta.name,
      description: this.worldMeta.description,
      users: clone(this.users),
      fabric: { bandwidthMbps: this.bandwidthMbps, jobRetentionSeconds: this.retentionMs / 1000, timings: { ...this.timings } },
      hosts: [...this.hostMap.values()].map((h) => ({
        name: h.name,
        fqdn: h.fqdn,
        addresses: [...h.addresses],
        profile: h.profile,
        osVersion: h.osVersion,
        processor: clone(h.processor),
        memoryMiB: h.memoryMiB,
        storageRoots: [...h.storageRoots],
        switches: h.switches.map((s) => ({ name: s.name, type: s.type })),
        migration: {
          enabled: h.migration.enabled,
          maxActiveVirtualSystemMigrations: h.migration.maxVirtualSystemMigrations,
          maxActiveStorageMigrations: h.migration.maxStorageMigrations,
          authenticationType: h.migration.authentication,
          compression: h.migration.compression,
          smbTransport: h.migration.smbTransport,
          networks: h.migration.networks.map((n) => ({ subnet: `${n.subnet}/${n.prefixLength}`, metric: n.metric })),
        },
        ...(h.reachability !== 'reachable' ? { unreachable: true } : {}),
        vms: [...this.vms(h.name)].map((v) => ({
          guid: v.guid,
          name: v.name,
          state: stableOf(v.state),
          memoryMiB: v.memoryMiB,
          cpus: v.cpus,
          processorCompatibility: v.processorCompatibility,
          configurationVersion: v.configurationVersion,
          generation: v.generation,
          vhds: v.vhds.map((d) => ({ path: d.path, sizeGiB: d.sizeGiB })),
          adapters: v.adapters.filter((a) => a.switch !== null).map((a) => ({ name: a.name, switch: a.switch!, mac: a.mac })),
          ...(v.notes ? { notes: v.notes } : {}),
        })),
      })),
    };
  }

  // ------------------------------------------------------------------------ durable state --

  /** Every record as it is (not copied): what src/fabric/store persists. */
  *records(): Iterable<{ kind: 'host'; rec: HostRecord } | { kind: 'vm'; rec: VmRecord } | { kind: 'job'; rec: JobRecord }> {
    for (const h of this.hostMap.values()) {
      yield { kind: 'host', rec: h };
      for (const v of this.vmMaps.get(key(h.name))!.values()) yield { kind: 'vm', rec: v };
      for (const v of this.plannedMaps.get(key(h.name))!.values()) yield { kind: 'vm', rec: v };
      for (const j of this.jobMaps.get(key(h.name))!.values()) yield { kind: 'job', rec: j };
    }
  }

  /**
   * Replace every host, VM and job with persisted records (a restart with `--state`). The records
   * are taken as they are; {@link recoverInterrupted} then ends what the stop interrupted.
   * Finished jobs get their removal timers again (TimeBeforeRemoval counts from their finish).
   */
  importRecords(hosts: readonly HostRecord[], vms: readonly VmRecord[], jobs: readonly JobRecord[]): void {
    for (const t of this.removalTimers.values()) this.clock.clearTimer(t);
    for (const r of this.running.values()) for (const t of r.timers) this.clock.clearTimer(t);
    this.removalTimers.clear();
    this.running.clear();
    for (const m of [this.hostMap, this.vmMaps, this.plannedMaps, this.jobMaps, this.jobCounts, this.affectedIndex, this.reservations, this.finishedOrder]) m.clear();
    this.queue = [];
    this.liveMigrations.clear();
    for (const h of hosts) {
      const k = key(h.name);
      this.hostMap.set(k, h);
      this.vmMaps.set(k, new Map());
      this.plannedMaps.set(k, new Map());
      this.jobMaps.set(k, new Map());
    }
    let pid = 4000;
    for (const v of vms) {
      const map = (v.planned ? this.plannedMaps : this.vmMaps).get(key(v.host));
      if (!map) continue;
      this.place(map, v);
      if (v.processId !== undefined && v.processId > pid) pid = v.processId;
    }
    this.pidSeq = pid;
    const ordered = [...jobs].sort((a, b) => (a.finishedAt ?? Infinity) - (b.finishedAt ?? Infinity) || a.submittedAt - b.submittedAt);
    for (const j of ordered) {
      const m = this.jobMaps.get(key(j.host));
      if (!m) continue;
      m.set(j.id, j);
      this.countJob(j, 1);
      for (const g of j.affected) {
        let s = this.affectedIndex.get(g);
        if (!s) this.affectedIndex.set(g, (s = new Set()));
        s.add(j.id);
      }
      if (FINISHED_JOB_STATES.has(j.state)) {
        this.noteFinished(j);
        this.scheduleRemoval(j);
      } else if (j.migration) {
        this.liveMigrations.add(j);
        if (j.state === 'new') this.queue.push(j);
      }
    }
    for (const h of hosts) this.enforceJobsKept(h.name);
  }

  /**
   * What a restart finds after the emulator was killed (README, "Crash semantics"):
   * every job that had not finished ends in JobState 10 (Exception) with reason `interrupted`
   * (ErrorCode Failed, one Msvm_Error "…stopped unexpectedly… (0x800706BE)") and PercentComplete
   * as far as it had got at `lastTime`; what it was doing is undone as when a job fails — a
   * migration that had not cut over leaves the VM on its source and removes the planned VM it
   * created on the destination (a cut-over and its job's completion are one step, so a VM that moved
   * has a completed job); a VM caught in a state change goes back to the state it started from.
   * Finally nothing is left busy, migrating or in a transitional state without a running job.
   * Returns the ids of the jobs it ended.
   */
  recoverInterrupted(lastTime: number): string[] {
    const ended: string[] = [];
    const live = [...this.hostMap.values()].flatMap((h) => [...this.jobMaps.get(key(h.name))!.values()]).filter((j) => !FINISHED_JOB_STATES.has(j.state));
    live.sort((a, b) => a.submittedAt - b.submittedAt);
    for (const j of live) {
      // progress as of the stop, frozen
      j.percent = this.percentAt(j, lastTime);
      j.timeline = undefined;
      if (j.owner === 'vm' && j.ownerVm) {
        const v = this.vm(j.host, j.ownerVm);
        if (v && v.busyWith === j.id && !isStable(v.state)) this.applyState(v, j.fromState && isStable(j.fromState) ? j.fromState : rollbackOf(v.state));
      }
      this.finishWithFailure(j, this.interruptedFailure(j), 'exception');
      ended.push(j.id);
    }
    // nothing stays busy with a job that is not running, or half-way through a state change; a
    // planned VM an unfinished migration was filling in goes with it
    for (const h of this.hostMap.values()) {
      for (const v of [...this.vmMaps.get(key(h.name))!.values(), ...this.plannedMaps.get(key(h.name))!.values()]) {
        const j = v.busyWith ? this.findJob(v.busyWith) : undefined;
        const running = j !== undefined && !FINISHED_JOB_STATES.has(j.state);
        if (running || (!v.busyWith && !v.migrating && isStable(v.state))) continue;
        if (v.planned && v.busyWith && (!j || (j.migration && j.state !== 'completed'))) {
          this.plannedMaps.get(key(v.host))!.delete(v.guid);
          this.events.emit('vm-removed', { vm: v.guid, host: v.host, planned: true });
          continue;
        }
        v.busyWith = undefined;
        v.migrating = false;
        if (!isStable(v.state)) this.applyState(v, rollbackOf(v.state));
        this.events.emit('vm-changed', { vm: v.guid, host: v.host });
      }
    }
    return ended;
  }

  private interruptedFailure(j: JobRecord): FailureRecord {
    const cause = 'The Virtual Machine Management service stopped unexpectedly while the operation was in progress: The remote procedure call failed. (0x800706BE)';
    if (j.migration) {
      const m = j.migration;
      return migrationFailure(
        [{ reason: 'interrupted', error: errorOf('interrupted', cause, ['0x800706BE'], { kind: 'vm', host: m.source, vm: m.vm }) }],
        { guid: m.vm, name: m.vmName, host: m.source },
        { where: 'source', host: m.source },
        j.type.startsWith('check-') ? 'compatibility check' : 'migration',
      );
    }
    const vm = j.affected[0];
    return simpleFailure(
      { reason: 'interrupted', error: errorOf('interrupted', cause, ['0x800706BE'], vm ? { kind: 'vm', host: j.host, vm } : undefined) },
      `The operation '${j.name}' was interrupted.`,
    );
  }

  /** Every record, deep-copied (JSON-safe): hosts, VMs, planned VMs, jobs. */
  snapshot(): FabricSnapshot {
    const out: FabricSnapshot = { time: this.clock.now(), hosts: [], vms: [], planned: [], jobs: [] };
    for (const h of this.hostMap.values()) {
      out.hosts.push(clone(h));
      for (const v of this.vms(h.name)) out.vms.push(clone(v));
      for (const v of this.plannedVms(h.name)) out.planned.push(clone(v));
      for (const j of this.jobs(h.name)) out.jobs.push({ ...clone(j), percent: this.percentOf(j) });
    }
    return out;
  }

  /** Stop every timer (the emulator is closing). */
  close(): void {
    this.closed = true;
    for (const r of this.running.values()) for (const t of r.timers) this.clock.clearTimer(t);
    for (const t of this.removalTimers.values()) this.clock.clearTimer(t);
    this.running.clear();
    this.removalTimers.clear();
  }

  /** A VM's adapters and disks by id (for providers). */
  static adapter(v: VmRecord, id: string): AdapterRecord | undefined {
    return v.adapters.find((a) => a.id.toUpperCase() === id.toUpperCase());
  }

  static vhd(v: VmRecord, id: string): VhdRecord | undefined {
    return v.vhds.find((d) => d.id === id);
  }
}

export interface FabricSnapshot {
  time: number;
  hosts: HostRecord[];
  vms: VmRecord[];
  planned: VmRecord[];
  jobs: JobRecord[];
}

export const COMPAT_FORMAT = 'vmms-emu-compatibility/1';

/** The content of the GetSystemCompatibilityInfo blob (JSON, UTF-8). */
export interface CompatibilityInfo {
  format: typeof COMPAT_FORMAT;
  kind: 'vm' | 'host';
  name: string;
  vm?: string;
  vendor: string;
  features: string[];
  compatibility: boolean;
  version?: string;
}

export const JOB_LABELS: Readonly<Record<JobType, string>> = {
  'create-remote-vm': 'Creating Remote Virtual Machine',
  'check-vm': 'Checking Virtual Machine Compatibility',
  'check-vm-and-storage': 'Checking Virtual Machine and Storage Compatibility',
  'check-storage': 'Checking Storage Compatibility',
  'check-storage-migration': 'Checking Storage Migration',
  'move-vm': 'Moving Virtual Machine',
  'move-vm-and-storage': 'Moving Virtual Machine and Storage',
  'move-storage': 'Moving Storage',
  'define-vm': 'Define Virtual Machine',
  'modify-vm': 'Modify Virtual Machine',
  'destroy-vm': 'Destroy Virtual Machine',
  'start-vm': 'Start Virtual Machine',
  'power-off-vm': 'Power Off Virtual Machine',
  'save-vm': 'Save Virtual Machine',
  'restore-vm': 'Restore Virtual Machine',
  'shutdown-vm': 'Shut Down Virtual Machine',
  'pause-vm': 'Pause Virtual Machine',
  'resume-vm': 'Resume Virtual Machine',
  'reset-vm': 'Reset Virtual Machine',
  'reboot-vm': 'Reboot Virtual Machine',
  'validate-planned-vm': 'Validate Planned Virtual Machine',
  'realize-planned-vm': 'Realizing Virtual Machine',
};

function isResident(s: VmPowerState): boolean {
  return s !== 'off' && s !== 'saved';
}

function isStable(s: VmPowerState): boolean {
  return s === 'running' || s === 'off' || s === 'saved' || s === 'paused';
}

/** The stable state a transitional state came from, when nothing better is known (a crash). */
function rollbackOf(s: VmPowerState): VmPowerState {
  switch (s) {
    case 'starting': return 'off';
    case 'resuming': return 'paused';
    case 'stopping':
    case 'saving':
    case 'pausing':
    case 'resetting':
      return 'running';
    default: return s;
  }
}

/** Connection problems fail at the source; what the destination refuses fails there. */
function sideOf(reason: FailureReason): 'source' | 'destination' {
  return reason === 'destination-unknown' || reason === 'destination-unreachable' || reason === 'destination-migration-disabled' || reason === 'authentication-mismatch'
    ? 'source'
    : 'destination';
}

function validSubnet(subnet: string, prefixLength: number): boolean {
  const p = parseDestinationHost(subnet);
  if (!p || p.format === 'dns') return false;
  const max = p.format === 'ipv4' ? 32 : 128;
  return Number.isInteger(prefixLength) && prefixLength >= 0 && prefixLength <= max;
}

function migrationSettingsOf(host: string, m: MigrationSpec | undefined): HostRecord['migration'] {
  // Windows defaults (hyperv-model §0.8): disabled, 2 + 2, CredSSP, compression on, SMB off
  return {
    enabled: m?.enabled ?? false,
    maxVirtualSystemMigrations: m?.maxActiveVirtualSystemMigrations ?? 2,
    maxStorageMigrations: m?.maxActiveStorageMigrations ?? 2,
    authentication: m?.authenticationType ?? 'credssp',
    compression: m?.compression ?? true,
    smbTransport: m?.smbTransport ?? false,
    networks: (m?.networks ?? []).map((n) => {
      const { subnet, prefixLength } = splitSubnet(n.subnet);
      return { id: stableGuid('network', host, subnet, String(prefixLength)), subnet, prefixLength, metric: n.metric ?? 0, tags: n.tags ?? [] };
    }),
  };
}

