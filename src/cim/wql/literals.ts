/**
 * Typing a WQL constant against the property it is compared with, once, at compile time.
 *
 * WmiSdk/where-clause.md: "The value of the constant must be of the correct type for the property."
 * What that means per CIM type here:
 *
 * | property type      | accepted constants                                            | operators      |
 * |--------------------|---------------------------------------------------------------|----------------|
 * | integers, reals    | integers (decimal/hex), reals, strings holding a number       | all            |
 * | boolean            | TRUE/FALSE, 1/0, strings "TRUE"/"FALSE"/"1"/"0"               | =, <>, !=      |
 * | string             | strings; numbers compare as their written text                | all            |
 * | char16             | a one-character string, or an integer code unit              | all            |
 * | datetime           | a string: DMTF, xs:dateTime/duration, yyyy-mm-dd or yyyymmdd  | all            |
 * | reference          | a string holding an object path                               | =, <>, !=      |
 *
 * Booleans against numbers are refused: the WMI pages disagree on what TRUE is (1 in
 * where-clause.md, -1 in wql-sql-for-wmi.md), so guessing would be wrong half the time. Anything
 * else is WBEM_E_INVALID_QUERY naming the property, its type and the constant.
 */
import { CimError } from '../errors.js';
import { parseObjectPath, type ClassLookup } from '../objectpath.js';
import type { CimDateTime, CimRef, CimType } from '../types.js';
import { INTEGER_TYPES } from '../types.js';
import { parseDateTime, timestamp } from '../values.js';
import type { ComparisonOp, Literal } from './ast.js';
import { invalidQuery } from './errors.js';

/** A constant in the comparison family of its property. */
export type Comparand =
  | { readonly family: 'numeric'; readonly value: number | bigint }
  | { readonly family: 'string'; readonly value: string }
  | { readonly family: 'boolean'; readonly value: boolean }
  | { readonly family: 'datetime'; readonly value: CimDateTime }
  | { readonly family: 'reference'; readonly value: CimRef };

const NUMERIC_TEXT_RE = /^\s*[+-]?(?:0[xX][0-9a-fA-F]+|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*$/;

export function describeLiteral(lit: Literal): string {
  switch (lit.kind) {
    case 'string':
      return `the string '${lit.value}'`;
    case 'integer':
    case 'real':
      return `the number ${lit.text}`;
    case 'boolean':
      return lit.value ? 'TRUE' : 'FALSE';
  }
}

/** A number literal as number when it fits exactly, bigint otherwise. */
export function integerValue(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** Text holding a number (`"32769"`, `"0x10"`, `"1.5"`) → its value, or null. */
export function numberFromText(text: string): number | bigint | null {
  if (!NUMERIC_TEXT_RE.test(text)) return null;
  const t = text.trim();
  if (/^[+-]?\d+$/.test(t)) return integerValue(BigInt(t));
  if (/^[+-]?0[xX]/.test(t)) {
    const magnitude = BigInt(t.replace(/^[+-]/, ''));
    return integerValue(t.startsWith('-') ? -magnitude : magnitude);
  }
  return Number(t);
}

const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const COMPACT_DATE_RE = /^(\d{4})(\d{2})(\d{2})$/;

/**
 * A datetime constant. WQL's canonical form is the DMTF string; the xs forms WS-Man uses are also
 * accepted, and of the locale-dependent "WQL-supported date formats" only the two unambiguous
 * numeric ones (yyyy-mm-dd, yyyymmdd), taken as midnight UTC — the emulated hosts run on UTC.
 */
export function parseWqlDateTime(text: string): CimDateTime | null {
  try {
    return parseDateTime(text);
  } catch {
    // fall through to the date-only forms
  }
  const m = ISO_DATE_RE.exec(text.trim()) ?? COMPACT_DATE_RE.exec(text.trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return timestamp(ms);
}

export interface CoerceTarget {
  /** as the query names it, for messages */
  readonly name: string;
  readonly type: CimType;
}

/** Type `lit` for a comparison `target op lit`; throws WBEM_E_INVALID_QUERY when it does not fit. */
export function coerceLiteral(lit: Literal, target: CoerceTarget, op: ComparisonOp, query: string, schema?: ClassLookup): Comparand {
  const mismatch = (extra = '') =>
    invalidQuery(`Type mismatch: '${target.name}' is ${target.type} and cannot be compared with ${describeLiteral(lit)}${extra}.`, query);
  const equalityOnly = (what: string) => {
    if (op !== '=' && op !== '<>') {
      throw invalidQuery(`'${target.name}' is ${what}; only =, <> and != apply to it, not '${op}'.`, query);
    }
  };
  const t = target.type;
  if (INTEGER_TYPES.has(t) || t === 'real32' || t === 'real64') {
    switch (lit.kind) {
      case 'integer':
        return { family: 'numeric', value: integerValue(lit.value) };
      case 'real':
        return { family: 'numeric', value: lit.value };
      case 'string': {
        const n = numberFromText(lit.value);
        if (n === null) throw mismatch();
        return { family: 'numeric', value: n };
      }
      case 'boolean':
        throw mismatch();
    }
  }
  switch (t) {
    case 'boolean': {
      equalityOnly('boolean');
      let value: boolean | null = null;
      if (lit.kind === 'boolean') value = lit.value;
      else if (lit.kind === 'integer' && (lit.value === 0n || lit.value === 1n)) value = lit.value === 1n;
      else if (lit.kind === 'string') {
        const u = lit.value.trim().toUpperCase();
        value = u === 'TRUE' || u === '1' ? true : u === 'FALSE' || u === '0' ? false : null;
      }
      if (value === null) throw mismatch(' (use TRUE, FALSE, 1 or 0)');
      return { family: 'boolean', value };
    }
    case 'string':
      if (lit.kind === 'string') return { family: 'string', value: lit.value };
      if (lit.kind === 'integer' || lit.kind === 'real') return { family: 'string', value: lit.text };
      throw mismatch();
    case 'char16':
      if (lit.kind === 'string' && lit.value.length === 1) return { family: 'string', value: lit.value };
      if (lit.kind === 'integer' && lit.value >= 0n && lit.value <= 0xffffn) return { family: 'string', value: String.fromCharCode(Number(lit.value)) };
      throw mismatch(' (a char16 takes one character)');
    case 'datetime': {
      if (lit.kind !== 'string') throw mismatch(' (write the datetime as a quoted DMTF string)');
      const dt = parseWqlDateTime(lit.value);
      if (!dt) throw mismatch(' (expected a DMTF datetime such as 20240131120000.000000+000)');
      return { family: 'datetime', value: dt };
    }
    case 'reference': {
      equalityOnly('a reference');
      if (lit.kind !== 'string') throw mismatch(' (write the object path as a quoted string)');
      try {
        const path = parseObjectPath(lit.value, {});
        const typed = schema && schema.getClass(path.ref.className) ? parseObjectPath(lit.value, { schema }) : path;
        if (typed.kind === 'class') throw mismatch(' (the object path names a class, not an instance)');
        return { family: 'reference', value: typed.ref };
      } catch (e) {
        if (e instanceof CimError && e.parameterInfo === query) throw e;
        if (e instanceof CimError) throw mismatch(` (${e.message})`);
        throw e;
      }
    }
    default:
      throw invalidQuery(`'${target.name}' is ${t === 'instance' ? 'an embedded object' : t}; it can only be tested with IS [NOT] NULL or ISA.`, query);
  }
}
