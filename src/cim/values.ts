/**
 * Lexical forms of CIM values (DSP0004 types, DSP0230 WS-CIM mapping, DSP0201 CIM-XML):
 * text → typed value with range checks, and typed value → text. A value that does not fit is a
 * {@link CimValueError}; nothing is coerced silently.
 */
import { CimValueError } from './errors.js';
import type { CimDateTime, CimIntType, CimScalar, CimType, CimTypedElement, CimValue } from './types.js';
import { isDateTime, isInstance, isRef } from './types.js';

const INT_RANGES: Readonly<Record<CimIntType, readonly [bigint, bigint]>> = {
  uint8: [0n, 255n],
  sint8: [-128n, 127n],
  uint16: [0n, 65535n],
  sint16: [-32768n, 32767n],
  uint32: [0n, 4294967295n],
  sint32: [-2147483648n, 2147483647n],
  uint64: [0n, 18446744073709551615n],
  sint64: [-9223372036854775808n, 9223372036854775807n],
};

const DECIMAL_RE = /^[+-]?\d+$/;
const HEX_RE = /^[+-]?0[xX][0-9a-fA-F]+$/;
/** xs:double lexical space (plus the special values) */
const REAL_RE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?INF|NaN)$/;

export function isIntType(t: CimType): t is CimIntType {
  return t in INT_RANGES;
}

/** Parse an integer for a CIM integer type; `allowHex` for CIM-XML (DSP0201 permits 0x…). */
export function parseInteger(type: CimIntType, text: string, element?: string, allowHex = false): number | bigint {
  const t = text.trim();
  let big: bigint;
  if (DECIMAL_RE.test(t)) {
    big = BigInt(t);
  } else if (allowHex && HEX_RE.test(t)) {
    const neg = t.startsWith('-');
    big = BigInt(t.replace(/^[+-]/, ''));
    if (neg) big = -big;
  } else {
    throw new CimValueError(`The value '${t}' is not a valid ${type}.`, element);
  }
  const [lo, hi] = INT_RANGES[type];
  if (big < lo || big > hi) throw new CimValueError(`The value '${t}' is out of range for ${type}.`, element);
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

export function parseReal(type: 'real32' | 'real64', text: string, element?: string): number {
  const t = text.trim();
  if (!REAL_RE.test(t)) throw new CimValueError(`The value '${t}' is not a valid ${type}.`, element);
  const v = t.endsWith('INF') ? (t.startsWith('-') ? -Infinity : Infinity) : Number(t);
  if (type === 'real32' && Number.isFinite(v) && Math.abs(v) > 3.4028234663852886e38) {
    throw new CimValueError(`The value '${t}' is out of range for real32.`, element);
  }
  return v;
}

export function parseBoolean(text: string, element?: string): boolean {
  switch (text.trim().toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw new CimValueError(`The value '${text.trim()}' is not a valid boolean.`, element);
  }
}

// ---- datetime ---------------------------------------------------------------------------------

const XS_DATETIME_RE = /^(-?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/;
const XS_DURATION_RE = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d+))?S)?)?$/;
const DMTF_TIMESTAMP_RE = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})\.(\d{6})([+-])(\d{3})$/;
const DMTF_INTERVAL_RE = /^(\d{8})(\d{2})(\d{2})(\d{2})\.(\d{6}):000$/;

function fractionToMicros(frac: string | undefined): number {
  if (!frac) return 0;
  return Number((frac + '000000').slice(0, 6));
}

export function timestamp(epochMs: number, micros = 0, offsetMinutes = 0): CimDateTime {
  return { kind: 'timestamp', epochMs, micros, offsetMinutes };
}

export function interval(totalMicros: bigint | number): CimDateTime {
  return { kind: 'interval', totalMicros: BigInt(totalMicros) };
}

/** Milliseconds to an interval value. */
export function intervalFromMs(ms: number): CimDateTime {
  return interval(BigInt(Math.round(ms * 1000)));
}

function checkedDate(y: number, mo: number, d: number, h: number, mi: number, s: number, text: string, element?: string): number {
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(ms);
  if (
    mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59 ||
    back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d
  ) {
    throw new CimValueError(`The value '${text}' is not a valid datetime.`, element);
  }
  return ms;
}

const MAX_INTERVAL_SECONDS = 100_000_000n * 86400n;

/** Parse any accepted datetime form: xs:dateTime, xs:duration, DMTF timestamp or interval. */
export function parseDateTime(text: string, element?: string): CimDateTime {
  const t = text.trim();
  let m = XS_DATETIME_RE.exec(t);
  if (m) {
    const [, y, mo, d, h, mi, s, frac, tz] = m;
    let offset = 0;
    if (tz && tz !== 'Z') {
      const sign = tz.startsWith('-') ? -1 : 1;
      const oh = Number(tz.slice(1, 3));
      const om = Number(tz.slice(4, 6));
      if (oh > 14 || om > 59) throw new CimValueError(`The value '${t}' is not a valid datetime.`, element);
      offset = sign * (oh * 60 + om);
    }
    const local = checkedDate(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), t, element);
    const micros = fractionToMicros(frac);
    return timestamp(local - offset * 60000 + Math.floor(micros / 1000), micros % 1000, offset);
  }
  m = XS_DURATION_RE.exec(t);
  if (m && t !== 'P' && !t.endsWith('T')) {
    const [, neg, y, mo, d, h, mi, s, frac] = m;
    if (neg || y || mo) {
      // CIM intervals are non-negative and have no calendar units (a month has no fixed length)
      throw new CimValueError(`The value '${t}' is not a valid interval.`, element);
    }
    const secs = BigInt(d ?? 0) * 86400n + BigInt(h ?? 0) * 3600n + BigInt(mi ?? 0) * 60n + BigInt(s ?? 0);
    // the DMTF interval form (ddddddddhhmmss.mmmmmm:000) holds at most 99 999 999 days
    if (secs >= MAX_INTERVAL_SECONDS) throw new CimValueError(`The value '${t}' is not a valid interval.`, element);
    return interval(secs * 1_000_000n + BigInt(fractionToMicros(frac)));
  }
  m = DMTF_TIMESTAMP_RE.exec(t);
  if (m) {
    const [, y, mo, d, h, mi, s, us, sign, off] = m;
    const offset = (sign === '-' ? -1 : 1) * Number(off);
    const local = checkedDate(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), t, element);
    const micros = Number(us);
    return timestamp(local - offset * 60000 + Math.floor(micros / 1000), micros % 1000, offset);
  }
  m = DMTF_INTERVAL_RE.exec(t);
  if (m) {
    const [, d, h, mi, s, us] = m;
    if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) throw new CimValueError(`The value '${t}' is not a valid interval.`, element);
    const secs = BigInt(d) * 86400n + BigInt(h) * 3600n + BigInt(mi) * 60n + BigInt(s);
    return interval(secs * 1_000_000n + BigInt(us));
  }
  throw new CimValueError(`The value '${t}' is not a valid datetime.`, element);
}

const pad = (n: number | bigint, w: number) => String(n).padStart(w, '0');

/** Parts of a timestamp as seen in its own UTC offset. */
function localParts(dt: Extract<CimDateTime, { kind: 'timestamp' }>) {
  const d = new Date(dt.epochMs + dt.offsetMinutes * 60000);
  const micros = (((dt.epochMs % 1000) + 1000) % 1000) * 1000 + dt.micros;
  return { d, micros };
}

/** An interval as days, hours, minutes, seconds and microseconds (both text forms write these). */
function intervalParts(totalMicros: bigint): { d: bigint; h: bigint; mi: bigint; s: bigint; micros: bigint } {
  const micros = totalMicros % 1_000_000n;
  let rest = totalMicros / 1_000_000n;
  const s = rest % 60n;
  rest /= 60n;
  const mi = rest % 60n;
  rest /= 60n;
  return { d: rest / 24n, h: rest % 24n, mi, s, micros };
}

/** xs fractional seconds: none for whole seconds, else up to six digits without trailing zeros. */
const xsFraction = (micros: number | bigint): string => (Number(micros) === 0 ? '' : '.' + pad(micros, 6).replace(/0+$/, ''));

/** xs:dateTime / xs:duration as Windows writes them in `cim:Datetime` / `cim:Interval`. */
export function formatDateTimeXs(dt: CimDateTime): string {
  if (dt.kind === 'interval') {
    const { d, h, mi, s, micros } = intervalParts(dt.totalMicros);
    return `P${d}DT${h}H${mi}M${s}${xsFraction(micros)}S`;
  }
  const { d, micros } = localParts(dt);
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
  const time = `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}${xsFraction(micros)}`;
  const off = dt.offsetMinutes;
  const tz = off === 0 ? 'Z' : `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60), 2)}:${pad(Math.abs(off) % 60, 2)}`;
  return `${date}T${time}${tz}`;
}

/** DMTF datetime string (CIM-XML, WQL literals): `yyyymmddHHMMSS.mmmmmm+UUU` / `ddddddddHHMMSS.mmmmmm:000`. */
export function formatDateTimeDmtf(dt: CimDateTime): string {
  if (dt.kind === 'interval') {
    const { d, h, mi, s, micros } = intervalParts(dt.totalMicros);
    return `${pad(d, 8)}${pad(h, 2)}${pad(mi, 2)}${pad(s, 2)}.${pad(micros, 6)}:000`;
  }
  const { d, micros } = localParts(dt);
  const off = dt.offsetMinutes;
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}` +
    `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}.${pad(micros, 6)}` +
    `${off < 0 ? '-' : '+'}${pad(Math.abs(off), 3)}`
  );
}

/** A comparable number for ordering datetimes (µs since epoch, or µs of an interval). */
export function dateTimeOrdinal(dt: CimDateTime): bigint {
  return dt.kind === 'interval' ? dt.totalMicros : BigInt(dt.epochMs) * 1000n + BigInt(dt.micros);
}

// ---- generic scalar codec ----------------------------------------------------------------------

/**
 * Parse the text of one scalar value of a given CIM type. References and embedded instances are
 * not text: the caller decodes them from their own structure.
 */
export function parseScalarText(type: CimType, text: string, element?: string, allowHex = false): CimScalar {
  if (isIntType(type)) return parseInteger(type, text, element, allowHex);
  switch (type) {
    case 'real32':
    case 'real64':
      return parseReal(type, text, element);
    case 'boolean':
      return parseBoolean(text, element);
    case 'string':
      return text;
    case 'char16':
      if (text.length !== 1) throw new CimValueError(`The value '${text}' is not a valid char16.`, element);
      return text;
    case 'datetime':
      return parseDateTime(text, element);
    default:
      throw new CimValueError(`A ${type} value cannot be given as text.`, element);
  }
}

function formatReal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  return String(v);
}

/** Text of a scalar for WS-Man element content (datetimes: the xs form; see formatDateTimeXs). */
export function formatScalarText(type: CimType, v: CimScalar): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return type === 'real32' || type === 'real64' ? formatReal(v) : String(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'string') return v;
  if (isDateTime(v)) return formatDateTimeXs(v);
  throw new CimValueError(`A ${type} value has no text form.`);
}

/** Check that a runtime value fits a declared feature (used for provider output and Put input). */
export function checkValue(decl: CimTypedElement, value: CimValue): void {
  if (value === null) return;
  if (Array.isArray(value)) {
    if (!decl.isArray) throw new CimValueError(`'${decl.name}' is not an array.`, decl.name);
    for (const v of value) checkScalar(decl, v);
    return;
  }
  if (decl.isArray) throw new CimValueError(`'${decl.name}' must be an array.`, decl.name);
  checkScalar(decl, value as CimScalar);
}

function checkScalar(decl: CimTypedElement, v: CimScalar): void {
  const t = decl.type;
  const bad = () => new CimValueError(`The value for '${decl.name}' does not match its type ${t}.`, decl.name);
  if (isIntType(t)) {
    if (typeof v !== 'number' && typeof v !== 'bigint') throw bad();
    if (typeof v === 'number' && !Number.isInteger(v)) throw bad();
    const big = BigInt(v);
    const [lo, hi] = INT_RANGES[t];
    if (big < lo || big > hi) throw new CimValueError(`The value for '${decl.name}' is out of range for ${t}.`, decl.name);
    return;
  }
  switch (t) {
    case 'real32':
    case 'real64':
      if (typeof v !== 'number') throw bad();
      return;
    case 'boolean':
      if (typeof v !== 'boolean') throw bad();
      return;
    case 'string':
      if (typeof v !== 'string' && !(decl.embeddedInstance || decl.embeddedObject ? isInstance(v) : false)) throw bad();
      return;
    case 'char16':
      if (typeof v !== 'string' || v.length !== 1) throw bad();
      return;
    case 'datetime':
      if (!isDateTime(v)) throw bad();
      return;
    case 'reference':
      if (!isRef(v)) throw bad();
      return;
    case 'instance':
      if (!isInstance(v)) throw bad();
      return;
  }
}
