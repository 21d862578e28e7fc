/**
 * A world: the users, hosts and VMs an emulator serves, as a world file (YAML) declares them.
 * These are the declarations only; src/fabric/fabric.ts holds the live state built from them.
 */
import type { FabricTimings } from './fabric.js';
import type { LimitsSpec } from './limits.js';

export type { LimitsSpec } from './limits.js';

export type Profile = 'hyperv' | 'hyperv-strict' | 'dmtf';
export type VmState = 'running' | 'off' | 'saved' | 'paused';

export interface UserSpec {
  name: string;
  password: string;
  /** may read but not Put/Create/Delete/Invoke */
  readOnly?: boolean;
  /** hosts the user may use (all when absent) */
  hosts?: string[];
  /** client certificate mapping (HTTPS mutual auth): issuer/subject/UPN as Windows maps them */
  certificates?: CertificateMappingSpec[];
}

export interface CertificateMappingSpec {
  /** issuer thumbprint (SHA-1 hex) of the CA that issued the client certificate */
  issuer?: string;
  /** the certificate's subject CN, or `*` */
  subject?: string;
  /** the UPN in the certificate's subjectAltName */
  upn?: string;
}

export interface ProcessorSpec {
  /** `GenuineIntel` or `AuthenticAMD` */
  vendor: string;
  model: string;
  /** CPU feature flags exposed to VMs (compared on migration unless compatibility mode) */
  features: string[];
  /** logical processors */
  logicalProcessors: number;
}

export interface SwitchSpec {
  name: string;
  /** External, Internal or Private */
  type?: 'External' | 'Internal' | 'Private';
}

export interface MigrationNetworkSpec {
  /** `10.0.0.0/24` (a bare address means /32 or /128) */
  subnet: string;
  metric?: number;
  tags?: string[];
}

export interface MigrationSpec {
  /** EnableVirtualSystemMigration (Windows default: false) */
  enabled: boolean;
  maxActiveVirtualSystemMigrations?: number;
  maxActiveStorageMigrations?: number;
  /** 0 CredSSP (Windows default) or 1 Kerberos */
  authenticationType?: 'credssp' | 'kerberos';
  compression?: boolean;
  smbTransport?: boolean;
  networks?: MigrationNetworkSpec[];
}

export interface ListenerSpec {
  /** AllowUnencrypted (Windows default: false) */
  allowUnencrypted?: boolean;
  basic?: boolean;
  negotiate?: boolean;
  certificate?: boolean;
  /** PEM files of the host's own TLS certificate and key (generated when absent) */
  tlsCert?: string;
  tlsKey?: string;
}

export interface NetworkAdapterSpec {
  name?: string;
  switch: string;
  mac?: string;
}

export interface VhdSpec {
  path: string;
  sizeGiB?: number;
}

export interface VmSpec {
  /** the VM id (Msvm_ComputerSystem.Name), upper-case GUID */
  guid: string;
  name: string;
  state: VmState;
  memoryMiB: number;
  cpus: number;
  /** processor compatibility mode (LimitProcessorFeatures) */
  processorCompatibility?: boolean;
  /** configuration version, e.g. "10.0" */
  configurationVersion?: string;
  generation?: 1 | 2;
  vhds?: VhdSpec[];
  adapters?: NetworkAdapterSpec[];
  notes?: string;
}

/**
 * Memory the root partition keeps for itself, beside the host's `memoryMiB` (the memory VMs can
 * use): the host reports `memoryMiB` + this as its physical memory (Win32_ComputerSystem), and a
 * capture of a real host subtracts it again.
 */
export const ROOT_PARTITION_RESERVE_MIB = 4096;

export interface HostSpec {
  name: string;
  fqdn?: string;
  /** fabric addresses: used to resolve DestinationHost and as migration listener IPs; never bound */
  addresses?: string[];
  /** listen ports (default: port base + 2i and + 2i + 1) */
  ports?: { http?: number; https?: number };
  profile?: Profile;
  /** Windows build, e.g. "10.0.20348" (decides supported configuration versions) */
  osVersion?: string;
  processor?: Partial<ProcessorSpec>;
  memoryMiB?: number;
  storageRoots?: string[];
  switches?: SwitchSpec[];
  migration?: MigrationSpec;
  listener?: ListenerSpec;
  /** the host refuses migration connections (fault injection from the start) */
  unreachable?: boolean;
  vms?: VmSpec[];
}

export interface FabricSpec {
  /** migration bandwidth between hosts, megabits per second */
  bandwidthMbps?: number;
  /** how long finished jobs are kept (Windows: 5 minutes) */
  jobRetentionSeconds?: number;
  /** durations of the fixed phases of jobs, in fabric milliseconds (defaults in src/fabric/fabric.ts) */
  timings?: Partial<FabricTimings>;
}

/** The WS-Man operations a fault rule can match (Invoke: any method call). */
export type FaultOperation = 'Identify' | 'Get' | 'Put' | 'Create' | 'Delete' | 'Enumerate' | 'Pull' | 'Release' | 'Invoke';

export const FAULT_OPERATIONS: readonly FaultOperation[] = ['Identify', 'Get', 'Put', 'Create', 'Delete', 'Enumerate', 'Pull', 'Release', 'Invoke'];

/**
 * What a fault rule does. Request effects act on one /wsman request; host effects on a whole host
 * (its listeners, and migrations to it); migration effects on one migration job.
 */
export type FaultEffectSpec =
  // ---- request effects
  /** answer `ms` (plus up to `jitterMs`) wall-clock milliseconds late */
  | { kind: 'latency'; ms: number; jitterMs?: number }
  /** read the request and never answer */
  | { kind: 'hang' }
  /** close the connection without an answer */
  | { kind: 'reset' }
  /** process the request, send the headers and half of the answer, then close the connection */
  | { kind: 'drop' }
  /** answer with a catalogue fault: a kind (`QuotaLimit`) or a subcode (`w:QuotaLimit`) */
  | { kind: 'fault'; fault: string; reason?: string }
  // ---- host effects
  /** the host does not answer: its listeners refuse connections, or accept and never answer */
  | { kind: 'unreachable'; mode?: 'refused' | 'hang' }
  /** the host goes away for `downMs` and comes back for `upMs` of fabric time, over and over */
  | { kind: 'flap'; downMs: number; upMs: number; mode?: 'refused' | 'hang' }
  // ---- migration effects
  /** the migration job fails when it reaches `atPercent`, with this Msvm_Error */
  | {
      kind: 'migration-fail'; atPercent: number; messageId?: string; message?: string; errorCode?: number;
      side?: 'source' | 'destination';
    }
  /** the migration's transfer takes `factor` times longer */
  | { kind: 'migration-slow'; factor: number }
  /** the destination does not answer this migration */
  | { kind: 'migration-unreachable'; mode?: 'refused' | 'timeout' };

export type FaultEffectKind = FaultEffectSpec['kind'];

/**
 * A fault-injection rule (world file `faults:`, control API `POST /api/faults`). Every field but
 * `effect` narrows what it applies to; absent means any.
 */
export interface FaultRuleSpec {
  /** stable id (generated when absent) */
  id?: string;
  description?: string;
  /** the host (request and host effects) or the migration's source host (migration effects) */
  host?: string;
  operation?: FaultOperation;
  /** CIM class of the request's resource URI (the last path segment), e.g. Msvm_ComputerSystem */
  class?: string;
  /** method name of an Invoke, e.g. MigrateVirtualSystemToHost */
  method?: string;
  /** migration effects: the VM (GUID or name) and the destination host */
  vm?: string;
  destination?: string;
  /** chance that a matching request or migration is affected, 0–1 (default 1) */
  probability?: number;
  /** the rule applies this many times, then goes away */
  count?: number;
  /**
   * fabric-clock window: epoch milliseconds, an ISO 8601 time, or `+10s` / `+500ms` / `+2m` / `+1h`
   * after the rule is added (for a world file: after the emulator starts)
   */
  from?: number | string;
  until?: number | string;
  effect: FaultEffectSpec;
}

export interface WorldSpec {
  name?: string;
  description?: string;
  users: UserSpec[];
  fabric?: FabricSpec;
  hosts: HostSpec[];
  /** fault-injection rules in force from the start */
  faults?: FaultRuleSpec[];
  /** resource bounds (src/fabric/limits.ts; Windows defaults where Windows has the setting) */
  limits?: LimitsSpec;
}
