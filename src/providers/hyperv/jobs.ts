/**
 * Jobs (hyperv-model §2.5): Msvm_ConcreteJob and Msvm_MigrationJob — two siblings under
 * CIM_ConcreteJob, so enumerating Msvm_ConcreteJob does not return migration jobs, while
 * CIM_ConcreteJob returns both. RequestStateChange cancels a cancellable job; GetError/GetErrorEx
 * hand out the Msvm_Error instances of a failed or cancelled job.
 */
import { CimError, CimStatus } from '../../cim/errors.js';
import type { MethodResult } from '../../cim/provider.js';
import type { CimInstance } from '../../cim/types.js';
import { intervalFromMs } from '../../cim/values.js';
import { FINISHED_JOB_STATES, type JobRecord, type JobStateName, type JobType } from '../../fabric/model.js';
import { argNumber, keyText, notImplemented, type HostContext, type Provider } from './context.js';
import { migrationTypeValue, NS } from './paths.js';
import { codeFor, type MethodFamily } from './profiles.js';

export const JOB_STATE: Readonly<Record<JobStateName, number>> = {
  new: 2, starting: 3, running: 4, completed: 7, terminated: 8, killed: 9, exception: 10,
};

export const JOB_TYPE: Readonly<Record<JobType, number>> = {
  'create-remote-vm': 300,
  'check-vm': 301,
  'check-vm-and-storage': 302,
  'check-storage': 303,
  'check-storage-migration': 304,
  'move-vm': 305,
  'move-vm-and-storage': 306,
  'move-storage': 307,
  'define-vm': 1,
  'modify-vm': 2,
  'destroy-vm': 3,
  'start-vm': 12,
  'power-off-vm': 13,
  'save-vm': 14,
  'restore-vm': 15,
  'shutdown-vm': 16,
  'pause-vm': 26,
  'resume-vm': 27,
  'reset-vm': 28,
  'reboot-vm': 29,
  'validate-planned-vm': 140,
  'realize-planned-vm': 141,
};

/** The family whose code table gives a failed job's ErrorCode. */
function familyOf(j: JobRecord): MethodFamily {
  if (j.migration) return 'migration';
  if (j.owner === 'vm') return 'state-change';
  return 'management';
}

/** ErrorCode of a job: 0 unless it failed. */
export function errorCodeOf(c: HostContext, j: JobRecord): number {
  if (!j.failure) return 0;
  if (j.failure.errorCode !== undefined) return j.failure.errorCode;
  return codeFor(c.profile, familyOf(j), j.failure.reason);
}

/** The request's embedded instances, kept by the fabric as CIM-XML text. */
function embedded(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

export function jobInstance(c: HostContext, j: JobRecord): CimInstance {
  const now = c.now();
  const finished = FINISHED_JOB_STATES.has(j.state);
  const elapsed = j.startedAt === undefined ? 0 : (j.finishedAt ?? now) - j.startedAt;
  const failed = j.state === 'exception';
  const stopped = j.state === 'terminated' || j.state === 'killed';
  const props: CimInstance['props'] = {
    InstanceID: j.id,
    Caption: j.name,
    Description: j.description,
    ElementName: j.name,
    InstallDate: null,
    Name: j.name,
    OperationalStatus: failed ? [6] : stopped ? [10] : [2],
    StatusDescriptions: failed ? ['Error'] : stopped ? ['Stopped'] : ['OK'],
    Status: null,
    HealthState: 5,
    CommunicationStatus: null,
    DetailedStatus: null,
    OperatingStatus: null,
    PrimaryStatus: null,
    JobStatus: j.status,
    TimeSubmitted: c.ts(j.submittedAt),
    ScheduledStartTime: null,
    StartTime: c.ts(j.startedAt),
    ElapsedTime: intervalFromMs(Math.max(0, elapsed)),
    JobRunTimes: 1,
    RunMonth: null,
    RunDay: null,
    RunDayOfWeek: null,
    RunStartInterval: null,
    LocalOrUtcTime: 2,
    UntilTime: null,
    Notify: null,
    Owner: j.user ?? null,
    Priority: 0,
    PercentComplete: c.fabric.percentOf(j),
    DeleteOnCompletion: j.deleteOnCompletion,
    ErrorCode: errorCodeOf(c, j),
    ErrorDescription: j.failure?.description ?? null,
    ErrorSummaryDescription: j.failure?.summary ?? null,
    RecoveryAction: null,
    OtherRecoveryAction: null,
    JobState: JOB_STATE[j.state],
    TimeOfLastStateChange: c.ts(j.stateChangedAt),
    TimeBeforeRemoval: intervalFromMs(j.retentionMs),
    Cancellable: j.cancellable && !finished,
    JobType: JOB_TYPE[j.type],
  };
  if (j.migrationJob) {
    const m = j.migration;
    props.MigrationType = m ? migrationTypeValue(m.type) : 0;
    props.VirtualSystemName = m?.vm ?? null;
    props.DestinationHost = m?.destinationText ?? null;
    props.NewSystemSettingData = m ? embedded(m.newSystemSettings) : null;
    const rs = (m?.newResourceSettings ?? []).map(embedded).filter((x): x is string => x !== null);
    props.NewResourceSettingData = rs.length ? rs : null;
  }
  return { className: j.migrationJob ? 'Msvm_MigrationJob' : 'Msvm_ConcreteJob', namespace: NS, props };
}

export function jobProvider(c: HostContext, migration: boolean): Provider {
  return {
    *enumerate() {
      for (const j of c.fabric.jobs(c.hostName)) if (j.migrationJob === migration) yield jobInstance(c, j);
    },
    get(_ctx, _cls, keys) {
      const id = keyText(keys, 'InstanceID');
      const j = id ? c.fabric.job(c.hostName, id) : undefined;
      return j && j.migrationJob === migration ? jobInstance(c, j) : undefined;
    },
    modify(_ctx, cls, current, changes) {
      const j = c.fabric.job(c.hostName, String(current.props.InstanceID));
      if (!j) return current;
      let retentionMs: number | undefined;
      let deleteOnCompletion: boolean | undefined;
      for (const [name, value] of Object.entries(changes)) {
        if (name === 'DeleteOnCompletion' && typeof value === 'boolean') deleteOnCompletion = value;
        else if (name === 'TimeBeforeRemoval' && value && typeof value === 'object' && 'kind' in value && value.kind === 'interval') {
          retentionMs = Number(value.totalMicros / 1000n);
        } else {
          return notSupportedPut(cls.name, name);
        }
      }
      c.fabric.setJobRetention(j, { retentionMs, deleteOnCompletion });
      const now = c.fabric.job(c.hostName, j.id);
      return now ? jobInstance(c, now) : jobInstance(c, j);
    },
    invoke(_ctx, _cls, method, target, args): MethodResult {
      const id = target ? String(target.props.InstanceID) : '';
      const j = c.fabric.job(c.hostName, id);
      const name = method.name.toLowerCase();
      if (!j) return { returnValue: 32773 };
      switch (name) {
        case 'requeststatechange': {
          const s = argNumber(args, 'RequestedState');
          if (s !== 4 && s !== 5) return c.fail('job', 'not-supported');
          const r = c.fabric.cancelJob(c.hostName, j.id, s === 5 ? 'kill' : 'terminate');
          return r.ok ? { returnValue: 0 } : c.fail('job', r.reason);
        }
        case 'geterror': {
          const e = j.failure?.errors[0];
          return { returnValue: 0, out: e ? { Error: c.errorInstance(e) } : {} };
        }
        case 'geterrorex': {
          const es = j.failure?.errors ?? [];
          return { returnValue: 0, out: es.length ? { Errors: es.map((e) => c.errorInstance(e)) } : {} };
        }
        default:
          // KillJob: inherited from CIM_Job, documented as not supported
          if (c.profile === 'dmtf') return { returnValue: 1 };
          return notImplemented();
      }
    },
    count: () => c.fabric.jobCountOf(c.hostName, migration),
  };
}

function notSupportedPut(cls: string, name: string): never {
  throw new CimError(CimStatus.NOT_SUPPORTED, `The property ${name} of ${cls} cannot be changed on a Hyper-V job.`, { operation: 'PutInstance' });
}
