/**
 * Fabric events, for the control plane (dashboard, REST API, persistence) and for tests: a typed
 * wrapper over Node's EventEmitter. Listeners run synchronously inside the fabric's own step, after
 * the state change is complete, so a listener always sees a consistent fabric.
 */
import { EventEmitter } from 'node:events';
import type { FailureReason, JobStateName, JobType, MigrationTypeName, VmPowerState } from './model.js';

export interface FabricEvents {
  'host-added': { host: string };
  'host-removed': { host: string };
  'host-changed': { host: string };
  'vm-added': { vm: string; host: string; planned: boolean };
  'vm-removed': { vm: string; host: string; planned: boolean };
  'vm-changed': { vm: string; host: string };
  'vm-state': { vm: string; host: string; state: VmPowerState; previous: VmPowerState };
  /** the cut-over of a migration: the VM left `from` and appeared on `to` in one step */
  'vm-moved': { vm: string; from: string; to: string; job: string };
  'job-created': { job: string; host: string; type: JobType };
  'job-started': { job: string; host: string; type: JobType };
  'job-progress': { job: string; host: string; percent: number };
  /** a job's own settings changed (DeleteOnCompletion, TimeBeforeRemoval) */
  'job-changed': { job: string; host: string };
  'job-finished': { job: string; host: string; type: JobType; state: JobStateName; reason?: FailureReason };
  'job-removed': { job: string; host: string };
  'migration-queued': { job: string; vm: string; source: string; destination?: string; type: MigrationTypeName };
  'migration-started': { job: string; vm: string; source: string; destination?: string; type: MigrationTypeName };
  'migration-finished': {
    job: string; vm: string; source: string; destination?: string; type: MigrationTypeName; ok: boolean; reason?: FailureReason;
  };
}

export type FabricEventName = keyof FabricEvents;

export class FabricEmitter {
  private readonly ee = new EventEmitter();

  constructor() {
    this.ee.setMaxListeners(0);
  }

  on<K extends FabricEventName>(name: K, fn: (e: FabricEvents[K]) => void): () => void {
    this.ee.on(name, fn);
    return () => this.ee.off(name, fn);
  }

  once<K extends FabricEventName>(name: K, fn: (e: FabricEvents[K]) => void): void {
    this.ee.once(name, fn);
  }

  off<K extends FabricEventName>(name: K, fn: (e: FabricEvents[K]) => void): void {
    this.ee.off(name, fn);
  }

  /** Every event, with its name (for logs and the dashboard's stream); `except` leaves some out. */
  onAny(fn: <K extends FabricEventName>(name: K, e: FabricEvents[K]) => void, except: readonly FabricEventName[] = []): () => void {
    const names: FabricEventName[] = [
      'host-added', 'host-removed', 'host-changed', 'vm-added', 'vm-removed', 'vm-changed', 'vm-state', 'vm-moved',
      'job-created', 'job-started', 'job-progress', 'job-changed', 'job-finished', 'job-removed',
      'migration-queued', 'migration-started', 'migration-finished',
    ];
    const offs = names.filter((n) => !except.includes(n)).map((n) => this.on(n, (e) => fn(n, e as never)));
    return () => offs.forEach((o) => o());
  }

  /** Whether anything listens for `name` (the fabric arms progress timers only then). */
  wants(name: FabricEventName): boolean {
    return this.ee.listenerCount(name) > 0;
  }

  emit<K extends FabricEventName>(name: K, e: FabricEvents[K]): void {
    if (this.ee.listenerCount(name)) this.ee.emit(name, e);
  }
}
