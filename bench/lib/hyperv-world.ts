/**
 * Worlds for the Hyper-V scenarios, generated in code (both processes compute the same names and
 * GUIDs, so the load generator knows what to ask for without asking the server):
 *
 *  - the scenario world: HV1 with 4 running VMs (Msvm_ComputerSystem enumerates 5 instances: the
 *    host and its VMs) and, once started, 10 000 finished jobs; HV2 with 10 000 VMs for WQL;
 *    HV3 and HV4, a migration pair, HV3 holding {@link MIGRATION_VMS} VMs that are off, so that
 *    each MigrateVirtualSystemToHost of a run moves a different VM (runs alternate directions);
 *  - the large world: `hosts` hosts of `vmsPerHost` VMs each, and finished jobs on the first three
 *    hosts (100 000, 10 000 and 1 000: the Pull cost at three sizes).
 *
 * Jobs are made the way clients make them — Msvm_ComputerSystem state changes (pause, resume)
 * through the fabric — with the fabric clock advanced by hand, so start-up is not measured in
 * fabric minutes. Their retention is set long enough that none is removed during the bench.
 */
import type { HostSpec, VmSpec, WorldSpec } from '../../src/fabric/world.js';

export const MIGRATION_VMS = 20_000;
export const WQL_VMS = 10_000;
export const SCENARIO_JOBS = 10_000;

const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');

/** A stable VM GUID: host number and VM number in it. */
export function vmGuid(host: number, i: number): string {
  return `${hex(host, 8)}-0000-4000-8000-${hex(i, 12)}`;
}

export const hostName = (i: number) => `HV${i + 1}`;

const PROCESSOR = {
  vendor: 'GenuineIntel',
  model: 'Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz',
  features: ['sse4_2', 'avx', 'avx2', 'avx512f', 'aes', 'rdrand'],
  logicalProcessors: 40,
};

function vm(host: number, i: number, state: VmSpec['state']): VmSpec {
  return {
    guid: vmGuid(host, i),
    name: `vm-${host}-${i}`,
    state,
    memoryMiB: 1024,
    cpus: 1,
    configurationVersion: '10.0',
    generation: 2,
    vhds: [{ path: `C:\\Hyper-V\\vm-${host}-${i}\\disk.vhdx`, sizeGiB: 20 }],
    adapters: [{ name: 'Network Adapter', switch: 'External' }],
  };
}

function host(i: number, vms: VmSpec[]): HostSpec {
  const a = (i % 250) + 1;
  const b = Math.floor(i / 250);
  return {
    name: hostName(i),
    fqdn: `${hostName(i).toLowerCase()}.lab.local`,
    addresses: [`10.${b}.0.${a}`],
    profile: 'hyperv',
    osVersion: '10.0.20348',
    processor: PROCESSOR,
    memoryMiB: 4 * 1024 * 1024,
    storageRoots: ['C:\\Hyper-V'],
    switches: [{ name: 'External', type: 'External' }],
    listener: { allowUnencrypted: true, basic: true, negotiate: true, certificate: false },
    migration: {
      enabled: true,
      maxActiveVirtualSystemMigrations: 10_000,
      maxActiveStorageMigrations: 10_000,
      authenticationType: 'kerberos',
      compression: true,
      networks: [{ subnet: '10.0.0.0/8', metric: 0 }],
    },
    vms,
  };
}

const USERS: WorldSpec['users'] = [
  { name: 'Administrator', password: 'Passw0rd!' },
  { name: 'operator', password: 'Operat0r!', readOnly: true },
];

/** Fabric settings for benches: jobs kept (a long retention) and every operation quick. */
const FABRIC: WorldSpec['fabric'] = {
  bandwidthMbps: 10_000,
  jobRetentionSeconds: 10 * 365 * 86_400,
  timings: {
    migrationSetupMs: 1, migrationCutoverMs: 1, offlineTransferMs: 1, checkMs: 1, stagedMs: 1, startMs: 1, restoreMs: 1,
    powerOffMs: 1, shutdownMs: 1, saveMs: 1, pauseMs: 1, resumeMs: 1, resetMs: 1, rebootMs: 1, destroyMs: 1,
    validatePlannedMs: 1, realizePlannedMs: 1,
  },
};

export function scenarioWorld(): WorldSpec {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    name: 'bench-scenarios',
    users: USERS,
    fabric: FABRIC,
    hosts: [
      host(0, range(4).map((i) => vm(0, i, 'running'))),
      host(1, range(WQL_VMS).map((i) => vm(1, i, (['running', 'off', 'saved', 'paused'] as const)[i % 4]))),
      host(2, range(MIGRATION_VMS).map((i) => vm(2, i, 'off'))),
      host(3, []),
    ],
  };
}

export function largeWorld(hosts: number, vmsPerHost: number): WorldSpec {
  return {
    name: `bench-large-${hosts}x${vmsPerHost}`,
    users: USERS,
    fabric: FABRIC,
    hosts: Array.from({ length: hosts }, (_, h) => host(h, Array.from({ length: vmsPerHost }, (_, i) => vm(h, i, 'running')))),
  };
}

/** Finished jobs wanted per host index, for a world shape. */
export function jobPlan(kind: 'scenarios' | 'large'): Array<[number, number]> {
  return kind === 'scenarios' ? [[0, SCENARIO_JOBS]] : [[0, 100_000], [1, 10_000], [2, 1_000]];
}

/** The minimal shape of the fabric the job maker needs (src/fabric/fabric.ts). */
export interface JobMakingFabric {
  requestState(host: string, guid: string, target: 'paused' | 'running'): { ok: boolean; message?: string };
  readonly clock: { advance(ms: number): void };
  jobCount(host: string): number;
  /** finished jobs a host keeps (an emulator bound, when the fabric has one) */
  maxJobsKept?: number;
}

/**
 * `count` finished jobs on a host, by pausing and resuming its (running) VMs, `vms` at a time,
 * advancing the fabric clock past each batch.
 */
export function makeJobs(fabric: JobMakingFabric, hostIndex: number, vms: number, count: number): void {
  const name = hostName(hostIndex);
  const target = fabric.jobCount(name) + count;
  // the fabric may bound the finished jobs a host keeps: raise the bound to what is asked for
  if (typeof fabric.maxJobsKept === 'number' && fabric.maxJobsKept < target) fabric.maxJobsKept = target;
  let paused = false;
  while (fabric.jobCount(name) < target) {
    const before = fabric.jobCount(name);
    const left = target - before;
    const n = Math.min(vms, left);
    for (let i = 0; i < n; i++) {
      const r = fabric.requestState(name, vmGuid(hostIndex, i), paused ? 'running' : 'paused');
      if (!r.ok) throw new Error(`cannot make jobs on ${name}: ${r.message ?? 'refused'}`);
    }
    paused = !paused;
    fabric.clock.advance(10);
    if (fabric.jobCount(name) <= before) throw new Error(`jobs on ${name} stopped growing at ${before} (a bound on kept jobs?)`);
  }
}
