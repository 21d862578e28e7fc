/**
 * WMI object paths ↔ {@link CimRef}.
 *
 * Forms accepted (WmiSdk/describing-an-instance-object-path.md, describing-a-class-object-path.md,
 * wmi-object-path-requirements.md):
 *
 *   \\HOST\root\virtualization\v2:Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="…"
 *   //HOST/root/cimv2:Class.Key='v'          forward slashes and single quotes are allowed
 *   root\cimv2:Class.K=1                      namespace-relative
 *   Class.K1=1,K2="x"                         relative; keys in any order
 *   Class="v"                                 single-key class, key name omitted
 *   Class=@                                   singleton
 *   Class                                     class path
 *
 * Key values: quoted strings (backslash escapes `\\`, `\"`, `\'`), decimal or 0x-hex integers,
 * reals, TRUE/FALSE, and — for REF keys of association instances — a quoted string holding another
 * object path. Whitespace is not allowed outside quoted values (the requirements page says so).
 *
 * Formatting follows what WMI writes in `__PATH` / `__RELPATH` and in REF values: keys sorted
 * case-insensitively by name (a real Hyper-V host writes
 * `Msvm_SyntheticEthernetPort.CreationClassName=…,DeviceID=…,SystemCreationClassName=…,SystemName=…`,
 * alphabetical rather than the MOF declaration order of CIM_LogicalDevice), string values in double
 * quotes with `\` and `"` escaped, the namespace with backslashes, TRUE/FALSE for booleans, and
 * embedded references written as full paths.
 */
import { CimError, CimStatus, CimValueError } from './errors.js';
import type { CimClass, CimInstance, CimPropertyDecl, CimRef, CimScalar } from './types.js';
import { isDateTime, isInstance, isRef, nameKey } from './types.js';
import { dateTimeOrdinal, formatDateTimeDmtf, isIntType, parseDateTime, parseInteger, parseReal } from './values.js';
import { ciCompare, ciEquals, foldChar } from './wql/casefold.js';

/** WBEM_E_INVALID_OBJECT_PATH: the HRESULT WMI reports for a path it cannot parse. */
export const WBEM_E_INVALID_OBJECT_PATH = 0x8004103a;

/**
 * Key name used for the `Class="v"` form until the path is typed against its class (with a schema
 * the single key's declared name replaces it).
 */
export const UNNAMED_KEY = '';

/** The one thing object paths need from a class registry. */
export interface ClassLookup {
  /** case-insensitive */
  getClass(className: string): CimClass | undefined;
}

export type ObjectPathKind = 'class' | 'instance' | 'singleton';

export interface ObjectPath {
  readonly kind: ObjectPathKind;
  /** className, keys (empty for class and singleton paths), namespace with `/`, host */
  readonly ref: CimRef;
}

export interface ParseObjectPathOptions {
  /** Type key values against the class: unknown classes and non-key names are rejected. */
  readonly schema?: ClassLookup;
}

export interface FormatObjectPathOptions {
  /** host for a full path when the ref has none (`\\HOST\ns:…`) */
  readonly host?: string;
  /** namespace when the ref has none */
  readonly namespace?: string;
  /** write the relative form (`__RELPATH`) even if host/namespace are known */
  readonly relative?: boolean;
  /** write a class path (no keys) */
  readonly kind?: ObjectPathKind;
}

function invalidPath(message: string): CimError {
  return new CimError(CimStatus.INVALID_PARAMETER, message, { hresult: WBEM_E_INVALID_OBJECT_PATH });
}

// ---- namespaces ---------------------------------------------------------------------------------

/** `root/virtualization/v2` (CIM, WS-Man) → `root\virtualization\v2` (WMI paths, `__NAMESPACE`). */
export function wmiNamespace(ns: string): string {
  return ns.replace(/\//g, '\\');
}

/** `root\virtualization\v2` → `root/virtualization/v2`. */
export function cimNamespace(ns: string): string {
  return ns.replace(/\\/g, '/');
}

// ---- parsing ------------------------------------------------------------------------------------

type RawValue =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'integer'; readonly text: string }
  | { readonly kind: 'real'; readonly text: string }
  | { readonly kind: 'boolean'; readonly value: boolean };

const IDENT_RE = /^[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*$/;
const NS_SEGMENT_RE = /^[A-Za-z0-9_\u0080-\uffff-]+$/;
const DECIMAL_RE = /^[+-]?\d+$/;
const HEX_RE = /^[+-]?0[xX][0-9a-fA-F]+$/;
const REAL_RE = /^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$/;

class PathScanner {
  pos = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw invalidPath(`Invalid object path '${this.text}': ${what} at position ${this.pos + 1}.`);
  }

  /** A run of identifier characters (and, when allowed, namespace separators). */
  readName(allowSeparators: boolean): string {
    const start = this.pos;
    const t = this.text;
    while (this.pos < t.length) {
      const ch = t[this.pos];
      if (ch === '.' || ch === '=' || ch === ',' || ch === ':' || ch === '"' || ch === "'" || ch === '@') break;
      if (!allowSeparators && (ch === '\\' || ch === '/')) break;
      if (ch.trim() === '') this.fail('white space is not allowed');
      this.pos++;
    }
    return t.slice(start, this.pos);
  }

  readValue(): RawValue {
    const t = this.text;
    const q = t[this.pos];
    if (q === '"' || q === "'") {
      let value = '';
      let i = this.pos + 1;
      let run = i;
      while (i < t.length) {
        const ch = t[i];
        if (ch === q) {
          this.pos = i + 1;
          return { kind: 'string', value: value + t.slice(run, i) };
        }
        if (ch === '\\') {
          const next = t[i + 1];
          // Only \\, \" and \' are escapes; any other backslash is kept as written, so a path
          // a client built without escaping (`InstanceID="Microsoft:GUID\0"`) still means what it says.
          if (next === '\\' || next === '"' || next === "'") {
            value += t.slice(run, i) + next;
            i += 2;
            run = i;
            continue;
          }
        }
        i++;
      }
      this.fail('unterminated quoted value');
    }
    const start = this.pos;
    while (this.pos < t.length && t[this.pos] !== ',') this.pos++;
    const raw = t.slice(start, this.pos);
    if (raw === '') this.fail('missing key value');
    if (/\s/.test(raw)) this.fail('white space is not allowed');
    const upper = raw.toUpperCase();
    if (upper === 'TRUE' || upper === 'FALSE') return { kind: 'boolean', value: upper === 'TRUE' };
    if (DECIMAL_RE.test(raw) || HEX_RE.test(raw)) return { kind: 'integer', text: raw };
    if (REAL_RE.test(raw)) return { kind: 'real', text: raw };
    this.pos = start;
    this.fail(`key value '${raw}' must be quoted`);
  }
}

/** Parse any object path. Throws a CimError (INVALID_PARAMETER / WBEM_E_INVALID_OBJECT_PATH, or INVALID_CLASS with a schema). */
export function parseObjectPath(text: string, opts: ParseObjectPathOptions = {}): ObjectPath {
  const s = new PathScanner(text);
  if (text === '') s.fail('the path is empty');
  let host: string | undefined;
  let namespace: string | undefined;
  const t = text;

  if ((t[0] === '\\' && t[1] === '\\') || (t[0] === '/' && t[1] === '/')) {
    s.pos = 2;
    const start = s.pos;
    while (s.pos < t.length && t[s.pos] !== '\\' && t[s.pos] !== '/') {
      if (t[s.pos].trim() === '') s.fail('white space is not allowed');
      s.pos++;
    }
    host = t.slice(start, s.pos);
    if (host === '') s.fail('missing server name');
    if (s.pos >= t.length) s.fail('missing namespace after the server name');
    s.pos++;
  }

  const run = s.readName(true);
  let className: string;
  if (t[s.pos] === ':') {
    const segments = run.split(/[\\/]/);
    if (segments.some((seg) => !NS_SEGMENT_RE.test(seg))) s.fail(`invalid namespace '${run}'`);
    namespace = segments.join('/');
    s.pos++;
    className = s.readName(false);
  } else {
    if (host !== undefined) s.fail("missing ':' between the namespace and the class name");
    className = run;
  }
  if (!IDENT_RE.test(className)) s.fail(className === '' ? 'missing class name' : `invalid class name '${className}'`);

  const rawKeys: Array<{ name: string; value: RawValue }> = [];
  const seen = new Set<string>();
  let kind: ObjectPathKind = 'class';
  if (s.pos < t.length) {
    const ch = t[s.pos];
    if (ch === '=') {
      s.pos++;
      if (t[s.pos] === '@') {
        s.pos++;
        kind = 'singleton';
      } else {
        rawKeys.push({ name: UNNAMED_KEY, value: s.readValue() });
        kind = 'instance';
      }
    } else if (ch === '.') {
      kind = 'instance';
      for (;;) {
        s.pos++;
        const name = s.readName(false);
        if (!IDENT_RE.test(name)) s.fail(name === '' ? 'missing key name' : `invalid key name '${name}'`);
        if (t[s.pos] !== '=') s.fail(`expected '=' after the key name '${name}'`);
        s.pos++;
        if (seen.has(nameKey(name))) s.fail(`duplicate key '${name}'`);
        seen.add(nameKey(name));
        rawKeys.push({ name, value: s.readValue() });
        if (t[s.pos] !== ',') break;
      }
    } else {
      s.fail(`unexpected '${ch}'`);
    }
    if (s.pos < t.length) s.fail(`unexpected '${t.slice(s.pos, s.pos + 10)}'`);
  }

  const cls = opts.schema?.getClass(className);
  if (opts.schema && !cls) {
    throw new CimError(CimStatus.INVALID_CLASS, `The class '${className}' in the object path '${text}' does not exist.`);
  }
  const keys: Record<string, CimScalar> = {};
  if (cls) {
    if (kind === 'singleton' && cls.keys.length > 0) {
      throw invalidPath(`Invalid object path '${text}': '${cls.name}' has keys, so it cannot be addressed as a singleton (=@).`);
    }
    for (const { name, value } of rawKeys) {
      let decl: CimPropertyDecl | undefined;
      if (name === UNNAMED_KEY) {
        if (cls.keys.length !== 1) {
          throw invalidPath(`Invalid object path '${text}': '${cls.name}' has ${cls.keys.length} keys, so the key name cannot be omitted.`);
        }
        decl = cls.keys[0];
      } else {
        decl = cls.properties.get(nameKey(name));
        if (!decl) throw invalidPath(`Invalid object path '${text}': '${name}' is not a property of '${cls.name}'.`);
        if (!decl.key) throw invalidPath(`Invalid object path '${text}': '${decl.name}' is not a key of '${cls.name}'.`);
      }
      keys[decl.name] = typeKeyValue(decl, value, text, opts.schema);
    }
  } else {
    for (const { name, value } of rawKeys) keys[name] = untypedKeyValue(value);
  }
  const ref: CimRef = {
    className: cls ? cls.name : className,
    keys,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(host !== undefined ? { host } : {}),
  };
  return { kind, ref };
}

/** Parse a path that must address an instance (keys or `=@`). */
export function parseInstancePath(text: string, opts: ParseObjectPathOptions = {}): CimRef {
  const p = parseObjectPath(text, opts);
  if (p.kind === 'class') throw invalidPath(`Invalid object path '${text}': it names a class, not an instance.`);
  return p.ref;
}

function untypedKeyValue(v: RawValue): CimScalar {
  switch (v.kind) {
    case 'string':
    case 'boolean':
      return v.value;
    case 'integer':
      return integerFromText(v.text);
    case 'real':
      return Number(v.text);
  }
}

function integerFromText(text: string): number | bigint {
  const negative = text.startsWith('-');
  const big = BigInt(text.replace(/^[+-]/, ''));
  const value = negative ? -big : big;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
}

function typeKeyValue(decl: CimPropertyDecl, v: RawValue, path: string, schema: ClassLookup | undefined): CimScalar {
  const bad = (why: string) => invalidPath(`Invalid object path '${path}': the value of key '${decl.name}' ${why}.`);
  const text = v.kind === 'string' ? v.value : v.kind === 'boolean' ? (v.value ? 'TRUE' : 'FALSE') : v.text;
  try {
    if (isIntType(decl.type)) {
      if (v.kind === 'boolean' || v.kind === 'real') throw bad(`is not a valid ${decl.type}`);
      return parseInteger(decl.type, text, decl.name, true);
    }
    switch (decl.type) {
      case 'real32':
      case 'real64':
        if (v.kind === 'boolean') throw bad(`is not a valid ${decl.type}`);
        return parseReal(decl.type, text, decl.name);
      case 'boolean': {
        const u = text.toUpperCase();
        if (u === 'TRUE' || u === '1') return true;
        if (u === 'FALSE' || u === '0') return false;
        throw bad('is not a valid boolean');
      }
      case 'string':
        return text;
      case 'char16':
        if (text.length !== 1) throw bad('is not a single character');
        return text;
      case 'datetime':
        if (v.kind !== 'string') throw bad('must be a quoted datetime');
        return parseDateTime(text, decl.name);
      case 'reference':
        if (v.kind !== 'string') throw bad('must be a quoted object path');
        return parseReferenceKey(text, schema, bad);
      case 'instance':
        throw bad('cannot be an embedded object');
    }
  } catch (e) {
    if (e instanceof CimValueError) throw bad(`is not a valid ${decl.type}`);
    throw e;
  }
  throw bad(`has an unsupported type ${decl.type}`);
}

function parseReferenceKey(text: string, schema: ClassLookup | undefined, bad: (why: string) => CimError): CimRef {
  let nested: ObjectPath;
  try {
    nested = parseObjectPath(text, { schema });
  } catch (e) {
    if (!(e instanceof CimError)) throw e;
    // A referenced class may live outside the schema (another namespace): keep that path untyped.
    if (e.status !== CimStatus.INVALID_CLASS) throw bad(`is not a valid object path (${e.message})`);
    try {
      nested = parseObjectPath(text);
    } catch (e2) {
      throw e2 instanceof CimError ? bad(`is not a valid object path (${e2.message})`) : e2;
    }
  }
  if (nested.kind === 'class') throw bad('must address an instance');
  return nested.ref;
}

// ---- formatting ---------------------------------------------------------------------------------

function quote(s: string): string {
  return '"' + s.replace(/[\\"]/g, (c) => '\\' + c) + '"';
}

function formatKeyValue(v: CimScalar, host: string | undefined, namespace: string | undefined): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (isDateTime(v)) return quote(formatDateTimeDmtf(v));
  if (isRef(v)) return quote(formatObjectPath(v, { host, namespace }));
  throw invalidPath(`An embedded instance of '${(v as CimInstance).className}' cannot be a key value.`);
}

/**
 * Format a ref as WMI writes it. A full path (`\\HOST\ns:…`) needs a host and a namespace (from the
 * ref or the options); with a namespace only it is namespace-relative; otherwise relative.
 */
export function formatObjectPath(ref: CimRef, opts: FormatObjectPathOptions = {}): string {
  const host = ref.host ?? opts.host;
  const namespace = ref.namespace ?? opts.namespace;
  let prefix = '';
  if (!opts.relative && namespace !== undefined) {
    prefix = (host !== undefined ? `\\\\${host}\\` : '') + wmiNamespace(namespace) + ':';
  }
  if (opts.kind === 'class') return prefix + ref.className;
  const names = Object.keys(ref.keys);
  if (names.length === 0) return `${prefix}${ref.className}=@`;
  if (names.length === 1 && names[0] === UNNAMED_KEY) {
    return `${prefix}${ref.className}=${formatKeyValue(ref.keys[UNNAMED_KEY], host, namespace)}`;
  }
  names.sort(ciCompare);
  const parts = names.map((n) => `${n}=${formatKeyValue(ref.keys[n], host, namespace)}`);
  return `${prefix}${ref.className}.${parts.join(',')}`;
}

/** `__RELPATH`: class and keys only. */
export function formatRelPath(ref: CimRef): string {
  return formatObjectPath(ref, { relative: true });
}

/**
 * The ref of an instance: its class's key values, or null when a key is missing (WMI has no path
 * for such an instance; `__PATH` is then NULL). Keyless classes get a singleton ref only when the
 * class carries the Singleton qualifier.
 */
export function refOfInstance(inst: CimInstance, cls: CimClass, where: { host?: string; namespace?: string } = {}): CimRef | null {
  if (cls.keys.length === 0 && !cls.qualifiers.get('singleton')?.value) return null;
  const keys: Record<string, CimScalar> = {};
  for (const k of cls.keys) {
    const v = inst.props[k.name];
    if (v === null || v === undefined || Array.isArray(v)) return null;
    keys[k.name] = v as CimScalar;
  }
  return {
    className: cls.name,
    keys,
    ...(where.namespace !== undefined ? { namespace: where.namespace } : {}),
    ...(where.host !== undefined ? { host: where.host } : {}),
  };
}

// ---- comparison ---------------------------------------------------------------------------------

const isSeparator = (c: number) => c === 0x2f || c === 0x5c;

/** Namespaces compare case-insensitively with `/` and `\` alike (and leading separators ignored), without allocating. */
function sameNamespace(a: string, b: string): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && isSeparator(a.charCodeAt(i))) i++;
  while (j < b.length && isSeparator(b.charCodeAt(j))) j++;
  if (a.length - i !== b.length - j) return false;
  for (; i < a.length; i++, j++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(j);
    if (x === y || (isSeparator(x) && isSeparator(y))) continue;
    if (foldChar(x) !== foldChar(y)) return false;
  }
  return true;
}

/**
 * Do two refs address the same instance? Object paths compare case-insensitively
 * (wmi-object-path-requirements.md). Host and namespace are compared only when both sides carry
 * them (a relative path matches the full one), and `.` stands for any host.
 */
export function refsEqual(a: CimRef, b: CimRef): boolean {
  if (!ciEquals(a.className, b.className)) return false;
  if (a.host !== undefined && b.host !== undefined && a.host !== '.' && b.host !== '.' && !ciEquals(a.host, b.host)) return false;
  if (a.namespace !== undefined && b.namespace !== undefined && !sameNamespace(a.namespace, b.namespace)) return false;
  let countA = 0;
  let countB = 0;
  for (const _ in a.keys) countA++;
  for (const _ in b.keys) countB++;
  if (countA !== countB) return false;
  for (const na in a.keys) {
    let found = false;
    for (const nb in b.keys) {
      // An unnamed key (`Class="v"`) matches the single key of the other side.
      if (ciEquals(na, nb) || (countA === 1 && (na === UNNAMED_KEY || nb === UNNAMED_KEY))) {
        if (!keyValuesEqual(a.keys[na], b.keys[nb])) return false;
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

function numericText(s: string): number | bigint | null {
  const t = s.trim();
  if (DECIMAL_RE.test(t) || HEX_RE.test(t)) return integerFromText(t);
  if (REAL_RE.test(t)) return Number(t);
  return null;
}

/**
 * Key values from a typed ref and an untyped one (parsed without a schema) may differ in JS type;
 * compare them the way WMI compares the path text: strings case-insensitively, numbers by value.
 */
export function keyValuesEqual(x: CimScalar, y: CimScalar): boolean {
  if (typeof x === 'string' && typeof y === 'string') return ciEquals(x, y);
  if ((typeof x === 'number' || typeof x === 'bigint') && (typeof y === 'number' || typeof y === 'bigint')) {
    // Loose equality compares number and bigint by mathematical value.
    return (x as number) == (y as number);
  }
  if (typeof x === 'boolean' && typeof y === 'boolean') return x === y;
  if (typeof x === 'string' || typeof y === 'string') {
    const s = (typeof x === 'string' ? x : y) as string;
    const o = typeof x === 'string' ? y : x;
    if (typeof o === 'number' || typeof o === 'bigint') {
      const n = numericText(s);
      return n !== null && (n as number) == (o as number);
    }
    if (typeof o === 'boolean') {
      const u = s.toUpperCase();
      return o ? u === 'TRUE' || u === '1' : u === 'FALSE' || u === '0';
    }
    if (isRef(o)) {
      try {
        const p = parseObjectPath(s);
        return p.kind !== 'class' && refsEqual(p.ref, o);
      } catch {
        return false;
      }
    }
    if (isDateTime(o)) {
      try {
        const d = parseDateTime(s);
        return d.kind === o.kind && dateTimeOrdinal(d) === dateTimeOrdinal(o);
      } catch {
        return false;
      }
    }
    return false;
  }
  if (isDateTime(x) && isDateTime(y)) return x.kind === y.kind && dateTimeOrdinal(x) === dateTimeOrdinal(y);
  if (isRef(x) && isRef(y)) return refsEqual(x, y);
  if (isInstance(x) || isInstance(y)) return false;
  return false;
}
