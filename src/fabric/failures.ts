/**
 * The failure catalogue: for every reason an operation can fail, whether it is refused at once
 * (a return code, no job) or fails the job, and the Msvm_Error content the job then carries.
 *
 * Texts follow the Windows messages collected in hyperv-model.md §6.3 where one exists. MessageIDs:
 * only 33012 ("Could not find Ethernet switch") is known from a real host (PowerShell's Compare-VM
 * documentation); every other MessageID here is assigned by the emulator in Hyper-V's 2xxxx/3xxxx
 * range (hyperv-model.md §8.8 gap) and is listed in docs/hyperv-behaviour.md.
 *
 * The numbers are CIM_Error facts (ErrorType, ProbableCause, PerceivedSeverity, CIMStatusCode)
 * written as plain numbers so the fabric stays free of the CIM layer.
 */
import type { ElementKey, ErrorRecord, FailureReason, FailureRecord } from './model.js';

export type FailurePhase = 'sync' | 'job';

/** CIM_Error.ErrorType */
export const ErrorType = {
  Unknown: 0, Other: 1, Communications: 2, QualityOfService: 3, Software: 4, Hardware: 5, Environmental: 6,
  Security: 7, Oversubscription: 8, UnavailableResource: 9, UnsupportedOperation: 10,
} as const;

/** CIM_Error.ProbableCause (the values used here) */
export const ProbableCause = {
  Unknown: 0, Other: 1, ConnectionEstablishmentError: 5, ConfigurationError: 8, OutOfMemory: 33,
  ResourceAtCapacity: 44, SoftwareProgramAbnormallyTerminated: 48, UnderlyingResourceUnavailable: 57, VersionMismatch: 58, TransmissionError: 69,
  ElementMissing: 73, IdentifierDuplication: 79, Timeout: 111, AuthenticationFailure: 117, ProceduralError: 127,
} as const;

/** CIM_Error.PerceivedSeverity (MOF values; hyperv-model §2.6 CONFLICT: we follow the MOF) */
export const Severity = { Unknown: 0, Other: 1, Information: 2, Warning: 3, Minor: 4, Major: 5, Critical: 6, Fatal: 7 } as const;

/** CIM status codes used in CIM_Error.CIMStatusCode */
const CIM_ERR_FAILED = 1;
const CIM_ERR_ACCESS_DENIED = 2;
const CIM_ERR_INVALID_PARAMETER = 4;
const CIM_ERR_NOT_FOUND = 6;
const CIM_ERR_NOT_SUPPORTED = 7;

export interface FailureFacts {
  readonly phase: FailurePhase;
  /** one line for the README catalogue */
  readonly summary: string;
  readonly messageId: string;
  readonly errorType: number;
  readonly probableCause: number;
  readonly severity: number;
  readonly cimStatusCode: number;
}

/** Facts per reason. Sync reasons produce no Msvm_Error (there is no job to carry one). */
export const FAILURES: Readonly<Record<FailureReason, FailureFacts>> = {
  'vm-not-found': { phase: 'sync', summary: 'ComputerSystem names no VM on this host', messageId: '', errorType: ErrorType.Software, probableCause: ProbableCause.ElementMissing, severity: Severity.Major, cimStatusCode: CIM_ERR_NOT_FOUND },
  'not-a-vm': { phase: 'sync', summary: 'ComputerSystem is the host, a planned VM or not a computer system', messageId: '', errorType: ErrorType.Software, probableCause: ProbableCause.ProceduralError, severity: Severity.Major, cimStatusCode: CIM_ERR_INVALID_PARAMETER },
  'destination-invalid': { phase: 'sync', summary: 'DestinationHost missing or not a DNS name, IPv4 or IPv6 address', messageId: '', errorType: ErrorType.Software, probableCause: ProbableCause.ProceduralError, severity: Severity.Major, cimStatusCode: CIM_ERR_INVALID_PARAMETER },
  'settings-invalid': { phase: 'sync', summary: 'MigrationSettingData with a MigrationType or TransportType the method does not take (NULL means VirtualSystem)', messageId: '', errorType: ErrorType.Software, probableCause: ProbableCause.ProceduralError, severity: Severity.Major, cimStatusCode: CIM_ERR_INVALID_PARAMETER },
  'destination-is-source': { phase: 'sync', summary: 'the destination is the source host', messageId: '', errorType: ErrorType.Software, probableCause: ProbableCause.ProceduralError, severity: Severity.Major, cimStatusCode: CIM_ERR_INVALID_PARAMETER },
  'source-migration-disabled': { phase: 'sync', summary: 'EnableVirtualSystemMigration is False on the source', messageId: '', errorType: ErrorType.UnsupportedOperation, probableCause: ProbableCause.ConfigurationError, severity: Severity.Major, cimStatusCode: CIM_ERR_NOT_SUPPORTED },
  'vm-busy': { phase: 'sync', summary: 'the VM is already migrating or has another job in progress', messageId: '', errorType: ErrorType.Software, probableCause: ProbableCause.ResourceAtCapacity, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  'vm-invalid-state': { phase: 'sync', summary: 'the VM is in a state the operation does not allow (e.g. Starting, Saving)', messageId: '', errorType: ErrorType.Software, probableCause: ProbableCause.ProceduralError, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  'storage-paths-invalid': { phase: 'sync', summary: 'a storage move without new paths, or a path for a disk the VM does not have', messageId: '', errorType: ErrorType.Software, probableCause: ProbableCause.ProceduralError, severity: Severity.Major, cimStatusCode: CIM_ERR_INVALID_PARAMETER },
  'not-supported': { phase: 'sync', summary: 'the request is not supported (e.g. an unsupported RequestedState)', messageId: '', errorType: ErrorType.UnsupportedOperation, probableCause: ProbableCause.Other, severity: Severity.Major, cimStatusCode: CIM_ERR_NOT_SUPPORTED },
  'invalid-state-transition': { phase: 'sync', summary: 'the requested state cannot be reached from the current one', messageId: '', errorType: ErrorType.Software, probableCause: ProbableCause.ProceduralError, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  'job-not-cancellable': { phase: 'sync', summary: 'the job is not cancellable or has finished', messageId: '', errorType: ErrorType.Software, probableCause: ProbableCause.ProceduralError, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },

  'destination-unknown': { phase: 'job', summary: 'DestinationHost resolves to no host of the fabric', messageId: '21018', errorType: ErrorType.Communications, probableCause: ProbableCause.ConnectionEstablishmentError, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  'destination-unreachable': { phase: 'job', summary: 'the destination does not answer (fault injection: refused or timed out)', messageId: '21019', errorType: ErrorType.Communications, probableCause: ProbableCause.ConnectionEstablishmentError, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  'destination-migration-disabled': { phase: 'job', summary: 'EnableVirtualSystemMigration is False on the destination (its listener refuses)', messageId: '21020', errorType: ErrorType.Communications, probableCause: ProbableCause.ConnectionEstablishmentError, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  'authentication-mismatch': { phase: 'job', summary: 'source and destination use different AuthenticationType', messageId: '21021', errorType: ErrorType.Security, probableCause: ProbableCause.AuthenticationFailure, severity: Severity.Major, cimStatusCode: CIM_ERR_ACCESS_DENIED },
  'processor-incompatible': { phase: 'job', summary: 'processor vendor differs, or features missing without compatibility mode', messageId: '24006', errorType: ErrorType.UnsupportedOperation, probableCause: ProbableCause.ConfigurationError, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  'insufficient-memory': { phase: 'job', summary: 'not enough free memory on the destination for a running or paused VM', messageId: '23509', errorType: ErrorType.Oversubscription, probableCause: ProbableCause.OutOfMemory, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  'configuration-version-unsupported': { phase: 'job', summary: 'the destination build does not support the VM configuration version', messageId: '24012', errorType: ErrorType.UnsupportedOperation, probableCause: ProbableCause.VersionMismatch, severity: Severity.Major, cimStatusCode: CIM_ERR_NOT_SUPPORTED },
  'vm-exists-on-destination': { phase: 'job', summary: 'a VM (or a planned VM not named as target) with the same id exists on the destination', messageId: '21023', errorType: ErrorType.Software, probableCause: ProbableCause.IdentifierDuplication, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  'switch-missing': { phase: 'job', summary: 'a virtual switch the VM uses is missing on the destination', messageId: '33012', errorType: ErrorType.UnavailableResource, probableCause: ProbableCause.ElementMissing, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  'planned-vm-not-found': { phase: 'job', summary: 'DestinationPlannedVirtualSystemId names no planned VM on the destination', messageId: '21025', errorType: ErrorType.Software, probableCause: ProbableCause.ElementMissing, severity: Severity.Major, cimStatusCode: CIM_ERR_NOT_FOUND },
  injected: { phase: 'job', summary: 'a fault-injection rule failed the job at a chosen percentage', messageId: '21026', errorType: ErrorType.Communications, probableCause: ProbableCause.TransmissionError, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
  cancelled: { phase: 'job', summary: 'the client cancelled the job (RequestStateChange 4 or 5)', messageId: '21027', errorType: ErrorType.Other, probableCause: ProbableCause.Other, severity: Severity.Information, cimStatusCode: CIM_ERR_FAILED },
  interrupted: { phase: 'job', summary: 'the emulator stopped while the job ran (a crash with --state); the job is failed at the next start', messageId: '21028', errorType: ErrorType.Software, probableCause: ProbableCause.SoftwareProgramAbnormallyTerminated, severity: Severity.Major, cimStatusCode: CIM_ERR_FAILED },
};

/** MessageID of the first error of a failed migration job ("… failed at migration source …"). */
export const WRAPPER_MESSAGE_ID = '21502';

export function errorOf(reason: FailureReason, message: string, args: string[], source?: ElementKey): ErrorRecord {
  const f = FAILURES[reason];
  return {
    messageId: f.messageId,
    message,
    messageArguments: args,
    errorType: f.errorType,
    probableCause: f.probableCause,
    severity: f.severity,
    cimStatusCode: f.cimStatusCode,
    source,
  };
}

/** A failure found by a check: the reason plus the specific error (without the wrapper). */
export interface CheckFailure {
  reason: FailureReason;
  error: ErrorRecord;
}

/**
 * A failed migration job's FailureRecord: a wrapper error naming the VM and the side that failed
 * (hyperv-model §6.3 wrappers), followed by the specific errors.
 */
export function migrationFailure(
  failures: readonly CheckFailure[],
  vm: { guid: string; name: string; host: string },
  side: { where: 'source' | 'destination'; host: string },
  operation = 'migration',
): FailureRecord {
  const first = failures[0];
  const wrapperText =
    operation === 'migration'
      ? `Virtual machine migration operation for '${vm.name}' failed at migration ${side.where} '${side.host}'. (Virtual machine ID ${vm.guid})`
      : `Virtual machine ${operation} for '${vm.name}' failed. (Virtual machine ID ${vm.guid})`;
  const wrapper: ErrorRecord = {
    ...first.error,
    messageId: WRAPPER_MESSAGE_ID,
    message: wrapperText,
    messageArguments: [vm.name, side.host, vm.guid],
    source: { kind: 'vm', host: vm.host, vm: vm.guid },
    sourcePath: undefined,
  };
  return {
    reason: first.reason,
    description: wrapperText + ' ' + first.error.message,
    summary: wrapperText,
    errors: [wrapper, ...failures.map((f) => f.error)],
  };
}

/** A job failure with a single error and no wrapper (state changes, checks of planned VMs…). */
export function simpleFailure(failure: CheckFailure, summary?: string): FailureRecord {
  return { reason: failure.reason, description: failure.error.message, summary: summary ?? failure.error.message, errors: [failure.error] };
}
