/**
 * A world: the users, hosts and VMs an emulator serves, as a world file (YAML) declares them.
 * These are the declarations only; src/fabric/fabric.ts holds the live state built from them.
 */
import type { FabricTimings } from './fabric.js';

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

export interface WorldSpec {
  name?: string;
  description?: string;
  users: UserSpec[];
  fabric?: FabricSpec;
  hosts: HostSpec[];
}
