/**
 * Equality of CIM values as WMI applies it to keys and references: strings compare
 * case-insensitively, numbers by value whatever their runtime type, references by class and keys.
 */
import type { CimInstance, CimClass, CimRef, CimScalar } from './types.js';
import { isDateTime, isRef } from './types.js';
import { dateTimeOrdinal } from './values.js';

export function scalarEquals(a: CimScalar, b: CimScalar): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.length === b.length && a.toLowerCase() === b.toLowerCase();
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    // loose equality compares number and bigint by value
    // eslint-disable-next-line eqeqeq
    return a == b;
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b;
  if (isDateTime(a) && isDateTime(b)) return a.kind === b.kind && dateTimeOrdinal(a) === dateTimeOrdinal(b);
  if (isRef(a) && isRef(b)) return refEquals(a, b);
  return false;
}

/** Same class (case-insensitive) and the same key values; namespaces compared when both given. */
export function refEquals(a: CimRef, b: CimRef): boolean {
  if (a.className.toLowerCase() !== b.className.toLowerCase()) return false;
  if (a.namespace && b.namespace && a.namespace.toLowerCase() !== b.namespace.toLowerCase()) return false;
  const ak = Object.keys(a.keys);
  const bk = Object.keys(b.keys);
  if (ak.length !== bk.length) return false;
  for (const k of ak) {
    const other = bk.find((x) => x.toLowerCase() === k.toLowerCase());
    if (other === undefined || !scalarEquals(a.keys[k], b.keys[other])) return false;
  }
  return true;
}

/** The reference (instance path) of an instance, from its class's keys. */
export function refOf(inst: CimInstance, cls: CimClass, namespace?: string, host?: string): CimRef {
  const keys: Record<string, CimScalar> = {};
  for (const k of cls.keys) {
    const v = inst.props[k.name];
    if (v !== null && v !== undefined && !Array.isArray(v)) keys[k.name] = v as CimScalar;
  }
  return { className: cls.name, namespace: inst.namespace ?? namespace, keys, host };
}

/** True when every given key (declared name → value) equals the instance's value. */
export function matchesKeys(inst: CimInstance, keys: Readonly<Record<string, CimScalar>>): boolean {
  for (const k in keys) {
    const v = inst.props[k];
    if (v === null || v === undefined || Array.isArray(v)) return false;
    if (!scalarEquals(v as CimScalar, keys[k])) return false;
  }
  return true;
}

/** A stable string identity for a reference (for de-duplication). */
export function refIdentity(r: CimRef): string {
  const keys = Object.keys(r.keys)
    .map((k) => k.toLowerCase())
    .sort();
  const lower: Record<string, CimScalar> = {};
  for (const k of Object.keys(r.keys)) lower[k.toLowerCase()] = r.keys[k];
  return (
    r.className.toLowerCase() +
    '|' +
    keys.map((k) => k + '=' + scalarIdentity(lower[k])).join(',')
  );
}

function scalarIdentity(v: CimScalar): string {
  if (typeof v === 'string') return JSON.stringify(v.toLowerCase());
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (isDateTime(v)) return String(dateTimeOrdinal(v));
  if (isRef(v)) return '{' + refIdentity(v) + '}';
  return '?';
}
