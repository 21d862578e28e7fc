/**
 * The live state of the fabric as plain, serialisable data: hosts, virtual machines (realized and
 * planned), jobs and the errors they carry. Nothing here knows CIM, WS-Man or XML; the Hyper-V
 * providers (src/providers/hyperv) turn these records into Msvm_* instances, and the control plane
 * can snapshot them to JSON or back to a world file.
 *
 * Numbers that are facts of the domain rather than of the wire (CIM_Error.ProbableCause, ErrorType,
 * PerceivedSeverity) are kept as numbers in {@link ErrorRecord}, since a fault-injection rule may
 * choose them freely.
 */
import type { Profile } from './world.js';

/** Power state of a VM. Transitional states exist while a state-change job runs. */
export type VmPowerState =
  | 'running'
  | 'off'
  | 'saved'
  | 'paused'
  | 'starting'
  | 'stopping'
  | 'saving'
  | 'pausing'
  | 'resuming'
  | 'resetting';

export const STABLE_STATES: ReadonlySet<VmPowerState> = new Set(['running', 'off', 'saved', 'paused']);

export interface SwitchRecord {
  /** the switch's GUID (Msvm_VirtualEthernetSwitch.Name) */
  id: string;
  name: string;
  type: 'External' | 'Internal' | 'Private';
}

export interface MigrationNetworkRecord {
  /** GUID; the InstanceID of its Msvm_VirtualSystemMigrationNetworkSettingData is `Microsoft:<id>` */
  id: string;
  subnet: string;
  prefixLength: number;
  metric: number;
  tags: string[];
}

export type AuthenticationType = 'credssp' | 'kerberos';

export interface HostMigrationSettings {
  /** EnableVirtualSystemMigration */
  enabled: boolean;
  maxVirtualSystemMigrations: number;
  maxStorageMigrations: number;
  authentication: AuthenticationType;
  compression: boolean;
  smbTransport: boolean;
  networks: MigrationNetworkRecord[];
}

/** How a host answers migration connections (fault injection). */
export type Reachability = 'reachable' | 'refused' | 'timeout';

export interface HostRecord {
  name: string;
  fqdn: string;
  addresses: string[];
  profile: Profile;
  /** "10.0.20348" */
  osVersion: string;
  processor: { vendor: string; model: string; features: string[]; logicalProcessors: number };
  /** RAM available to virtual machines, MiB */
  memoryMiB: number;
  storageRoots: string[];
  switches: SwitchRecord[];
  migration: HostMigrationSettings;
  reachability: Reachability;
  /** fabric ms */
  installedAt: number;
  /** settings of the management service changed through its ModifyServiceSettings (name → text) */
  managementSettings: Record<string, string | number | boolean | null>;
}

export interface VhdRecord {
  /** stable id of the disk within its VM (drive/SASD InstanceIDs derive from it) */
  id: string;
  path: string;
  sizeGiB: number;
}

export interface AdapterRecord {
  /** GUID of the adapter (its port settings' InstanceIDs derive from it) */
  id: string;
  name: string;
  /** switch name; null when not connected */
  switch: string | null;
  /** 12 hex digits */
  mac: string;
}

export type StartupAction = 'none' | 'restart-if-active' | 'always';
export type ShutdownAction = 'turn-off' | 'save' | 'shutdown';

export interface VmRecord {
  /** upper-case GUID: Msvm_ComputerSystem.Name */
  guid: string;
  name: string;
  /** the host it lives on */
  host: string;
  /** a planned VM (Msvm_PlannedComputerSystem), e.g. staged for migration */
  planned: boolean;
  state: VmPowerState;
  memoryMiB: number;
  cpus: number;
  processorCompatibility: boolean;
  /**
   * Processor the VM's guest state was created on (vendor and feature set of the host it was
   * started on); undefined while the VM is off.
   */
  cpu?: { vendor: string; features: string[] };
  configurationVersion: string;
  generation: 1 | 2;
  vhds: VhdRecord[];
  adapters: AdapterRecord[];
  notes: string;
  /** ConfigurationDataRoot */
  dataRoot: string;
  startupAction: StartupAction;
  shutdownAction: ShutdownAction;
  /** fabric ms */
  createdAt: number;
  stateChangedAt: number;
  configChangedAt: number;
  /** when it was last turned on, reset or restored (for OnTimeInMilliseconds), shifted by time spent paused */
  onSince?: number;
  /** OnTimeInMilliseconds frozen while paused */
  pausedOnMs?: number;
  /** worker process id while active */
  processId?: number;
  /** the job that holds the VM (migration or state change) */
  busyWith?: string;
  /** a live/storage migration is in progress (OperationalStatus[1] = Migrating) */
  migrating: boolean;
}

export type JobStateName = 'new' | 'starting' | 'running' | 'completed' | 'terminated' | 'killed' | 'exception';

export const FINISHED_JOB_STATES: ReadonlySet<JobStateName> = new Set(['completed', 'terminated', 'killed', 'exception']);

/** What a job does; the providers map these to Msvm JobType values. */
export type JobType =
  // Msvm_MigrationJob
  | 'create-remote-vm'
  | 'check-vm'
  | 'check-vm-and-storage'
  | 'check-storage'
  | 'check-storage-migration'
  | 'move-vm'
  | 'move-vm-and-storage'
  | 'move-storage'
  // Msvm_ConcreteJob
  | 'define-vm'
  | 'modify-vm'
  | 'destroy-vm'
  | 'start-vm'
  | 'power-off-vm'
  | 'save-vm'
  | 'restore-vm'
  | 'shutdown-vm'
  | 'pause-vm'
  | 'resume-vm'
  | 'reset-vm'
  | 'reboot-vm'
  | 'validate-planned-vm'
  | 'realize-planned-vm';

export const MIGRATION_JOB_TYPES: ReadonlySet<JobType> = new Set([
  'create-remote-vm', 'check-vm', 'check-vm-and-storage', 'check-storage', 'check-storage-migration',
  'move-vm', 'move-vm-and-storage', 'move-storage',
]);

/** Msvm_VirtualSystemMigrationSettingData.MigrationType, by name. */
export type MigrationTypeName = 'VirtualSystem' | 'Storage' | 'Staged' | 'VirtualSystemAndStorage' | 'StorageDeepCheck';

/** The element an error is about (the providers format it as a WMI object path). */
export type ElementKey =
  | { kind: 'vm'; host: string; vm: string; planned?: boolean }
  | { kind: 'vssd'; host: string; vm: string }
  | { kind: 'memory'; host: string; vm: string }
  | { kind: 'processor'; host: string; vm: string }
  | { kind: 'ethernet-connection'; host: string; vm: string; adapter: string }
  | { kind: 'disk'; host: string; vm: string; vhd: string }
  | { kind: 'host'; host: string }
  | { kind: 'migration-service'; host: string }
  | { kind: 'management-service'; host: string };

/** One Msvm_Error, as data. */
export interface ErrorRecord {
  /** numeric string, e.g. "33012" */
  messageId: string;
  message: string;
  messageArguments: string[];
  /** CIM_Error.ErrorType (0 Unknown … 10 Unsupported Operation) */
  errorType: number;
  /** CIM_Error.ProbableCause */
  probableCause: number;
  probableCauseDescription?: string;
  /** CIM_Error.PerceivedSeverity (MOF values) */
  severity: number;
  /** CIM_Error.CIMStatusCode */
  cimStatusCode: number;
  recommendedActions?: string[];
  source?: ElementKey;
  /** an explicit WMI path (wins over `source`) */
  sourcePath?: string;
}

/** Why an operation failed; the providers' profile table turns a reason into a return code. */
export type FailureReason =
  // refused at once (ReturnValue, no job)
  | 'vm-not-found'
  | 'not-a-vm'
  | 'destination-invalid'
  | 'settings-invalid'
  | 'destination-is-source'
  | 'source-migration-disabled'
  | 'vm-busy'
  | 'vm-invalid-state'
  | 'storage-paths-invalid'
  | 'not-supported'
  | 'invalid-state-transition'
  | 'job-not-cancellable'
  // fail the job (JobState Exception)
  | 'destination-unknown'
  | 'destination-unreachable'
  | 'destination-migration-disabled'
  | 'authentication-mismatch'
  | 'processor-incompatible'
  | 'insufficient-memory'
  | 'configuration-version-unsupported'
  | 'vm-exists-on-destination'
  | 'switch-missing'
  | 'planned-vm-not-found'
  | 'injected'
  | 'cancelled'
  // the emulator stopped (killed) while the job ran; found at the next start (README, "Crash semantics")
  | 'interrupted';

export interface FailureRecord {
  reason: FailureReason;
  /** the first line of the error (ErrorDescription) */
  description: string;
  /** ErrorSummaryDescription */
  summary: string;
  /** the Msvm_Error instances (GetErrorEx); the first is what GetError returns */
  errors: ErrorRecord[];
  /** a code chosen by a fault-injection rule (wins over the profile table) */
  errorCode?: number;
}

export interface MigrationDetails {
  vm: string;
  vmName: string;
  source: string;
  /** the destination host as resolved (undefined for storage moves) */
  destination?: string;
  /** DestinationHost exactly as the client gave it */
  destinationText?: string;
  type: MigrationTypeName;
  /** migrate into this planned VM on the destination */
  plannedVm?: string;
  /** storage moves: VHD id → new path */
  newPaths?: Record<string, string>;
  /** new data root (NewSystemSettingData.ConfigurationDataRoot) */
  newDataRoot?: string;
  /**
   * the request's NewSystemSettingData / NewResourceSettingData as the client sent them (CIM-XML
   * text the providers echo on Msvm_MigrationJob)
   */
  newSystemSettings?: string | null;
  newResourceSettings?: string[] | null;
  /** a planned VM this migration created on the destination (removed on failure) */
  createdPlanned?: boolean;
  /** the migration reserved memory on the destination */
  reservedMiB?: number;
}

export type JobOwner = 'management-service' | 'migration-service' | 'vm';

export interface JobRecord {
  /** InstanceID: upper-case GUID */
  id: string;
  /** the host whose namespace holds the job */
  host: string;
  type: JobType;
  /** Msvm_MigrationJob or Msvm_ConcreteJob */
  migrationJob: boolean;
  name: string;
  description: string;
  state: JobStateName;
  /** free-text JobStatus */
  status: string;
  /** fabric ms */
  submittedAt: number;
  startedAt?: number;
  finishedAt?: number;
  stateChangedAt: number;
  /** progress: PercentComplete frozen at the last state change, or computed from `timeline` */
  percent: number;
  /** while running: phases [until fabric ms, percent reached] to interpolate PercentComplete */
  timeline?: Array<{ from: number; until: number; fromPercent: number; toPercent: number }>;
  cancellable: boolean;
  deleteOnCompletion: boolean;
  /** TimeBeforeRemoval, ms */
  retentionMs: number;
  failure?: FailureRecord;
  /** VMs the job affects (AffectedJobElement) */
  affected: string[];
  owner: JobOwner;
  /** the user who started it (CIM_Job.Owner) */
  user?: string;
  /** the VM whose state change created it (owner 'vm') */
  ownerVm?: string;
  migration?: MigrationDetails;
  /** the requested transition of a state-change job */
  targetState?: VmPowerState;
  /** the stable state a state-change job started from (what a crash rolls the VM back to) */
  fromState?: VmPowerState;
}
