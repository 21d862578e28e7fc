/**
 * What every Hyper-V provider module shares: the fabric engine, the host it answers for, small
 * helpers to read keys and arguments, and the Msvm_Error view of fabric error records.
 */
import { CimError, CimStatus } from '../../cim/errors.js';
import type { InstanceProvider, MethodResult } from '../../cim/provider.js';
import type { CimInstance, CimRef, CimScalar, CimValue } from '../../cim/types.js';
import { isInstance, isRef } from '../../cim/types.js';
import { timestamp } from '../../cim/values.js';
import type { Fabric } from '../../fabric/fabric.js';
import type { ErrorRecord, FailureReason, HostRecord, VmRecord } from '../../fabric/model.js';
import type { Profile } from '../../fabric/world.js';
import { elementPath, NS } from './paths.js';
import { codeFor, type MethodFamily } from './profiles.js';

export class HostContext {
  constructor(
    readonly fabric: Fabric,
    /** the host's name as the world spells it */
    readonly hostName: string,
  ) {}

  /** The host record; a host removed from the fabric answers as if its provider were gone. */
  host(): HostRecord {
    const h = this.fabric.host(this.hostName);
    if (!h) throw new CimError(CimStatus.FAILED, `The host ${this.hostName} is no longer part of the fabric.`);
    return h;
  }

  get profile(): Profile {
    return this.fabric.host(this.hostName)?.profile ?? 'hyperv';
  }

  now(): number {
    return this.fabric.clock.now();
  }

  ts(ms: number | undefined): CimValue {
    return ms === undefined ? null : timestamp(Math.floor(ms), Math.round((ms % 1) * 1000) % 1000);
  }

  /** `host` for a ref to an element on `other` (undefined when it is this host). */
  remote(other: string | undefined): string | undefined {
    if (other === undefined || other.toLowerCase() === this.hostName.toLowerCase()) return undefined;
    return this.fabric.host(other)?.name ?? other;
  }

  isHost(name: string): boolean {
    return name.toLowerCase() === this.hostName.toLowerCase();
  }

  vm(guid: string): VmRecord | undefined {
    return this.fabric.vm(this.hostName, guid);
  }

  planned(guid: string): VmRecord | undefined {
    return this.fabric.planned(this.hostName, guid);
  }

  /** A realized or planned VM of this host. */
  anyVm(guid: string): VmRecord | undefined {
    return this.vm(guid) ?? this.planned(guid);
  }

  *allVms(): Iterable<VmRecord> {
    yield* this.fabric.vms(this.hostName);
    yield* this.fabric.plannedVms(this.hostName);
  }

  /** A failed call: its ReturnValue from the profile table. */
  fail(family: MethodFamily, reason: FailureReason): MethodResult {
    return { returnValue: codeFor(this.profile, family, reason) };
  }

  /** Msvm_Error for a fabric error record. */
  errorInstance(e: ErrorRecord): CimInstance {
    const path = e.sourcePath ?? (e.source ? elementPath(e.source, (h, g) => this.fabric.vm(h, g) ?? this.fabric.planned(h, g)) : undefined);
    return {
      className: 'Msvm_Error',
      namespace: NS,
      props: {
        ErrorType: e.errorType,
        OtherErrorType: null,
        OwningEntity: 'Microsoft-Windows-Hyper-V-VMMS',
        MessageID: e.messageId,
        Message: e.message,
        MessageArguments: e.messageArguments,
        PerceivedSeverity: e.severity,
        ProbableCause: e.probableCause,
        ProbableCauseDescription: e.probableCauseDescription ?? null,
        RecommendedActions: e.recommendedActions ?? null,
        ErrorSource: path ?? null,
        ErrorSourceFormat: path ? 2 : 0,
        OtherErrorSourceFormat: null,
        CIMStatusCode: e.cimStatusCode,
        CIMStatusCodeDescription: CIM_STATUS_NAMES[e.cimStatusCode] ?? null,
      },
    };
  }
}

const CIM_STATUS_NAMES: Readonly<Record<number, string>> = {
  1: 'CIM_ERR_FAILED', 2: 'CIM_ERR_ACCESS_DENIED', 4: 'CIM_ERR_INVALID_PARAMETER', 6: 'CIM_ERR_NOT_FOUND', 7: 'CIM_ERR_NOT_SUPPORTED',
};

// ---- small readers ---------------------------------------------------------------------------

/** A key value by name, case-insensitively. */
export function keyOf(keys: Readonly<Record<string, CimScalar>>, name: string): CimScalar | undefined {
  if (name in keys) return keys[name];
  const n = name.toLowerCase();
  for (const k of Object.keys(keys)) if (k.toLowerCase() === n) return keys[k];
  return undefined;
}

export function keyText(keys: Readonly<Record<string, CimScalar>>, name: string): string | undefined {
  const v = keyOf(keys, name);
  return typeof v === 'string' ? v : undefined;
}

export function eqi(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.length === b.length && a.toLowerCase() === b.toLowerCase();
}

export function argRef(args: Readonly<Record<string, CimValue>>, name: string): CimRef | undefined {
  const v = args[name];
  return isRef(v) ? v : undefined;
}

export function argRefs(args: Readonly<Record<string, CimValue>>, name: string): CimRef[] | undefined {
  const v = args[name];
  if (v === null || v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).filter(isRef);
}

export function argInstance(args: Readonly<Record<string, CimValue>>, name: string): CimInstance | undefined {
  const v = args[name];
  return isInstance(v) ? v : undefined;
}

export function argInstances(args: Readonly<Record<string, CimValue>>, name: string): CimInstance[] | undefined {
  const v = args[name];
  if (v === null || v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).filter(isInstance);
}

export function argNumber(args: Readonly<Record<string, CimValue>>, name: string): number | undefined {
  const v = args[name];
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
}

export function argString(args: Readonly<Record<string, CimValue>>, name: string): string | undefined {
  const v = args[name];
  return typeof v === 'string' ? v : undefined;
}

/** A property of an embedded instance, by name case-insensitively. */
export function prop(inst: CimInstance, name: string): CimValue | undefined {
  if (name in inst.props) return inst.props[name];
  const n = name.toLowerCase();
  for (const k of Object.keys(inst.props)) if (k.toLowerCase() === n) return inst.props[k];
  return undefined;
}

export function propText(inst: CimInstance, name: string): string | undefined {
  const v = prop(inst, name);
  return typeof v === 'string' ? v : undefined;
}

export function propNumber(inst: CimInstance, name: string): number | undefined {
  const v = prop(inst, name);
  return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
}

export function propBool(inst: CimInstance, name: string): boolean | undefined {
  const v = prop(inst, name);
  return typeof v === 'boolean' ? v : undefined;
}

export function propStrings(inst: CimInstance, name: string): string[] | undefined {
  const v = prop(inst, name);
  if (v === null || v === undefined) return undefined;
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}

/** A method the class has but the provider does not implement: WMI's "not implemented" error. */
export function notImplemented(): never {
  throw new CimError(CimStatus.NOT_SUPPORTED, 'This method is not implemented in any class ', {
    hresult: 0x80041055, operation: 'ExecMethod',
  });
}

/** The provider table entry type, re-exported for the modules. */
export type Provider = InstanceProvider;
