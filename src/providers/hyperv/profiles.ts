/**
 * Profiles decide return codes — this module is the one place that does. A host's profile (world
 * file `profile:`) chooses, for every failure reason (src/fabric/failures.ts) and method family,
 * the ReturnValue of a refused call and the ErrorCode of a failed job:
 *
 * - `hyperv` (default): Windows Server. Msvm-declared methods answer 0 / 4096 / 32768–32778 (the
 *   Hyper-V codes of their MOF ValueMaps). The three DSP1081 methods the Msvm class only inherits
 *   (MigrateVirtualSystemToSystem, CheckVirtualSystemIsMigratableToHost/ToSystem) still work, with
 *   their DMTF codes.
 * - `hyperv-strict`: as `hyperv`, but those three answer as a real standalone host does: the WMI
 *   "method not implemented" error (hyperv-model §0.2, [VER:migration_check]).
 * - `dmtf`: DSP1081/DSP1042/DSP1052 behaviour: every method that has a DMTF ValueMap answers with
 *   DMTF codes (0–6, 4096, 4097–4099); methods only Hyper-V declares (ModifyServiceSettings, the
 *   network settings, the compatibility information, GetError…) keep their Hyper-V codes, as
 *   there is no DMTF code for them.
 *
 * The README shows this table; test/unit/providers/profiles.test.ts checks that the
 * document matches it.
 */
import type { FailureReason } from '../../fabric/model.js';
import type { Profile } from '../../fabric/world.js';

/** Groups of methods that share a code table. */
export type MethodFamily =
  /** MigrateVirtualSystemToHost, CheckVirtualSystemIsMigratable (Msvm-declared) */
  | 'migration'
  /** MigrateVirtualSystemToSystem, CheckVirtualSystemIsMigratableToHost/ToSystem (inherited from CIM) */
  | 'migration-dsp1081'
  /** ModifyServiceSettings, Add/Modify/RemoveNetworkSettings, Get/CheckSystemCompatibilityInfo … (Hyper-V only) */
  | 'migration-service'
  /** Msvm_VirtualSystemManagementService methods */
  | 'management'
  /** Msvm_ComputerSystem / Msvm_PlannedComputerSystem RequestStateChange */
  | 'state-change'
  /** Msvm_ConcreteJob / Msvm_MigrationJob RequestStateChange */
  | 'job';

export const HYPERV = {
  completed: 0,
  jobStarted: 4096,
  failed: 32768,
  accessDenied: 32769,
  notSupported: 32770,
  unknown: 32771,
  timeout: 32772,
  invalidParameter: 32773,
  inUse: 32774,
  invalidState: 32775,
  incorrectType: 32776,
  notAvailable: 32777,
  outOfMemory: 32778,
  notCompatible: 32784,
} as const;

/** DSP1081 (virtual system migration) codes */
export const DMTF_MIGRATION = { completed: 0, notSupported: 1, failed: 2, timeout: 3, invalidParameter: 4, invalidState: 5, incompatible: 6, jobStarted: 4096 } as const;
/** DSP1052 / CIM_EnabledLogicalElement and CIM_ConcreteJob RequestStateChange codes */
export const DMTF_STATE = { completed: 0, notSupported: 1, unknown: 2, timeout: 3, failed: 4, invalidParameter: 5, inUse: 6, jobStarted: 4096, invalidTransition: 4097, busy: 4099 } as const;

interface Codes {
  readonly hyperv: number;
  readonly dmtf: number;
}

const c = (hyperv: number, dmtf: number): Codes => ({ hyperv, dmtf });
const H = HYPERV;
const M = DMTF_MIGRATION;
const S = DMTF_STATE;

/** The migration failures, shared by the two migration families. */
const MIGRATION: Partial<Record<FailureReason, Codes>> = {
  // refused at once
  'vm-not-found': c(H.invalidParameter, M.invalidParameter),
  'not-a-vm': c(H.invalidParameter, M.invalidParameter),
  'destination-invalid': c(H.invalidParameter, M.invalidParameter),
  'settings-invalid': c(H.invalidParameter, M.invalidParameter),
  'destination-is-source': c(H.invalidParameter, M.incompatible),
  'source-migration-disabled': c(H.invalidState, M.invalidState),
  'vm-busy': c(H.inUse, M.invalidState),
  'vm-invalid-state': c(H.invalidState, M.invalidState),
  'storage-paths-invalid': c(H.invalidParameter, M.invalidParameter),
  // the job's ErrorCode
  'destination-unknown': c(H.notAvailable, M.failed),
  'destination-unreachable': c(H.notAvailable, M.invalidState),
  'destination-migration-disabled': c(H.invalidState, M.invalidState),
  'authentication-mismatch': c(H.accessDenied, M.failed),
  'processor-incompatible': c(H.failed, M.incompatible),
  'insufficient-memory': c(H.outOfMemory, M.incompatible),
  'configuration-version-unsupported': c(H.notSupported, M.incompatible),
  'vm-exists-on-destination': c(H.inUse, M.incompatible),
  'switch-missing': c(H.failed, M.incompatible),
  'planned-vm-not-found': c(H.invalidParameter, M.invalidParameter),
  injected: c(H.failed, M.failed),
  cancelled: c(H.failed, M.failed),
};

export const RETURN_CODES: Readonly<Record<MethodFamily, Partial<Record<FailureReason, Codes>>>> = {
  migration: MIGRATION,
  'migration-dsp1081': MIGRATION,
  'migration-service': {
    'vm-not-found': c(H.invalidParameter, H.invalidParameter),
    'not-a-vm': c(H.invalidParameter, H.invalidParameter),
    'settings-invalid': c(H.invalidParameter, H.invalidParameter),
    'not-supported': c(H.notSupported, H.notSupported),
  },
  management: {
    'vm-not-found': c(H.invalidParameter, M.invalidParameter),
    'not-a-vm': c(H.invalidParameter, M.invalidParameter),
    'settings-invalid': c(H.invalidParameter, M.invalidParameter),
    'vm-busy': c(H.inUse, M.invalidState),
    'vm-invalid-state': c(H.invalidState, M.invalidState),
    'not-supported': c(H.notSupported, M.notSupported),
    // the job's ErrorCode
    'insufficient-memory': c(H.outOfMemory, M.failed),
    'processor-incompatible': c(H.failed, M.failed),
    'configuration-version-unsupported': c(H.notSupported, M.failed),
    'switch-missing': c(H.failed, M.failed),
    'vm-exists-on-destination': c(H.inUse, M.failed),
    cancelled: c(H.failed, M.failed),
  },
  'state-change': {
    'vm-not-found': c(H.invalidParameter, S.invalidParameter),
    'not-a-vm': c(H.notSupported, S.notSupported),
    'not-supported': c(H.invalidState, S.notSupported),
    'vm-busy': c(H.inUse, S.busy),
    'vm-invalid-state': c(H.invalidState, S.invalidTransition),
    'invalid-state-transition': c(H.invalidState, S.invalidTransition),
    // the job's ErrorCode
    'insufficient-memory': c(H.outOfMemory, S.failed),
    cancelled: c(H.failed, S.failed),
  },
  job: {
    'job-not-cancellable': c(H.invalidState, S.invalidTransition),
    'not-supported': c(H.notSupported, S.notSupported),
  },
};

/** The families whose methods the Msvm class only inherits (not Implemented in its MOF). */
export const INHERITED_ONLY: ReadonlySet<string> = new Set([
  'migratevirtualsystemtosystem',
  'checkvirtualsystemismigratabletohost',
  'checkvirtualsystemismigratabletosystem',
]);

/** Which code column a profile uses for a family. */
export function column(profile: Profile, family: MethodFamily): 'hyperv' | 'dmtf' {
  if (family === 'migration-dsp1081') return 'dmtf';
  if (family === 'migration-service') return 'hyperv';
  return profile === 'dmtf' ? 'dmtf' : 'hyperv';
}

/** ReturnValue (or job ErrorCode) for a failure. */
export function codeFor(profile: Profile, family: MethodFamily, reason: FailureReason): number {
  const row = RETURN_CODES[family][reason] ?? RETURN_CODES.migration[reason];
  const col = column(profile, family);
  if (row) return row[col];
  return col === 'hyperv' ? H.failed : family === 'state-change' || family === 'job' ? S.failed : M.failed;
}

/** ReturnValue of a call that completed synchronously or started a job. */
export function successCode(job: boolean): number {
  return job ? 4096 : 0;
}

/** Does the profile refuse this migration-service method as "not implemented"? */
export function notImplemented(profile: Profile, method: string): boolean {
  return profile === 'hyperv-strict' && INHERITED_ONLY.has(method.toLowerCase());
}

/** All failure reasons a family can return, in table order (for the README table and tests). */
export function reasonsOf(family: MethodFamily): FailureReason[] {
  return Object.keys(RETURN_CODES[family]) as FailureReason[];
}

// ---- the tables of the README -----------------------------------------------------------------

const FAMILY_LABEL: Readonly<Record<MethodFamily, string>> = {
  migration: 'MigrateVirtualSystemToHost, CheckVirtualSystemIsMigratable',
  'migration-dsp1081': 'MigrateVirtualSystemToSystem, CheckVirtualSystemIsMigratableToHost/ToSystem',
  'migration-service': 'ModifyServiceSettings, Add/Modify/RemoveNetworkSettings, Get/CheckSystemCompatibilityInfo',
  management: 'Msvm_VirtualSystemManagementService methods',
  'state-change': 'Msvm_ComputerSystem.RequestStateChange',
  job: 'Msvm_ConcreteJob / Msvm_MigrationJob RequestStateChange',
};

/**
 * The profile tables as Markdown (docs/hyperv-behaviour.md embeds this text between
 * `<!-- profile-tables:begin -->` and `<!-- profile-tables:end -->`; a test checks they match).
 * `phaseOf` says whether a reason is refused at once or fails the job.
 */
export function renderProfileTables(phaseOf: (r: FailureReason) => 'sync' | 'job'): string {
  const out: string[] = [];
  const cell = (profile: Profile, family: MethodFamily, reason: FailureReason): string => {
    if (family === 'migration-dsp1081' && profile === 'hyperv-strict') return 'not implemented (fault)';
    return String(codeFor(profile, family, reason));
  };
  const migrationReasons = reasonsOf('migration');
  out.push('| Failure (reason) | Where | ToHost / CheckVirtualSystemIsMigratable: hyperv | hyperv-strict | dmtf | ToSystem / CheckToHost / CheckToSystem: hyperv | hyperv-strict | dmtf |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const r of migrationReasons) {
    const where = phaseOf(r) === 'sync' ? 'ReturnValue' : 'job ErrorCode';
    const dsp = phaseOf(r) === 'sync' || r === 'cancelled' || r === 'injected'
      ? PROFILES.map((p) => cell(p, 'migration-dsp1081', r))
      : PROFILES.map((p) => (p === 'hyperv-strict' ? 'not implemented (fault)' : 'Check*: 0, IsMigratable false; ToSystem: job ' + String(codeFor(p, 'migration-dsp1081', r))));
    out.push(`| \`${r}\` | ${where} | ${PROFILES.map((p) => cell(p, 'migration', r)).join(' | ')} | ${dsp.join(' | ')} |`);
  }
  out.push('');
  for (const family of ['migration-service', 'management', 'state-change', 'job'] as MethodFamily[]) {
    out.push(`**${FAMILY_LABEL[family]}**`);
    out.push('');
    out.push('| Failure (reason) | Where | hyperv | hyperv-strict | dmtf |');
    out.push('|---|---|---|---|---|');
    for (const r of reasonsOf(family)) {
      const where = phaseOf(r) === 'sync' ? 'ReturnValue' : 'job ErrorCode';
      out.push(`| \`${r}\` | ${where} | ${PROFILES.map((p) => cell(p, family, r)).join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

const PROFILES: readonly Profile[] = ['hyperv', 'hyperv-strict', 'dmtf'];
