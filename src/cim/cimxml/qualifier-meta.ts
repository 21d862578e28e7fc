/**
 * What CIM-XML needs to know about a qualifier beyond its name and value: its TYPE (required on
 * every `<QUALIFIER>`) and its flavors (OVERRIDABLE / TOSUBCLASS / TRANSLATABLE, written only when
 * they differ from the DTD defaults, as Microsoft's MI class writer does — OMI xmlserializer.c
 * WriteBuffer_MiParamPropertyQualifierSet).
 *
 * Sources, first match wins:
 * 1. flavors the resolver attached to the qualifier object (src/cim/mof/qualifiers.ts
 *    EffectiveQualifier: `toSubclass`, `overridable`), read structurally;
 * 2. the namespace's qualifier declarations, when the caller passes a lookup;
 * 3. the standard qualifiers of DSP0004 (and the WMI ones Microsoft's MOF uses), below;
 * 4. the value itself (a number is an sint32, WMI's VT_I4, unless it needs more).
 */
import type { CimQualifier, CimType, QualifierValue } from '../types.js';
import { nameKey } from '../types.js';
import type { QualifierDeclInfo, QualifierDeclLookup } from './types.js';

type QualType = QualifierDeclInfo['type'];

/** `t` type, `a` array, `r` restricted, `d` disable-override, `x` translatable. */
interface Std {
  readonly t: QualType;
  readonly a?: true;
  readonly r?: true;
  readonly d?: true;
  readonly x?: true;
}

const STANDARD: Readonly<Record<string, Std>> = {
  // DSP0004 (2.7) standard qualifiers with their declared flavors
  abstract: { t: 'boolean', r: true },
  aggregate: { t: 'boolean', d: true },
  aggregation: { t: 'boolean', d: true },
  alias: { t: 'string', x: true },
  arraytype: { t: 'string', d: true },
  association: { t: 'boolean', d: true },
  bitmap: { t: 'string', a: true },
  bitvalues: { t: 'string', a: true, x: true },
  classconstraint: { t: 'string', a: true },
  composition: { t: 'boolean', d: true },
  correlatable: { t: 'string', a: true },
  counter: { t: 'boolean' },
  deprecated: { t: 'string', a: true, r: true },
  description: { t: 'string', x: true },
  displaydescription: { t: 'string', x: true },
  displayname: { t: 'string', x: true },
  dn: { t: 'boolean', d: true },
  embeddedinstance: { t: 'string' },
  embeddedobject: { t: 'boolean', d: true },
  exception: { t: 'boolean', d: true },
  expensive: { t: 'boolean' },
  experimental: { t: 'boolean', r: true },
  gauge: { t: 'boolean' },
  ifdeleted: { t: 'boolean' },
  in: { t: 'boolean', d: true },
  indication: { t: 'boolean', d: true },
  invisible: { t: 'boolean' },
  ispunit: { t: 'boolean' },
  key: { t: 'boolean', d: true },
  large: { t: 'boolean' },
  mappingstrings: { t: 'string', a: true },
  max: { t: 'uint32' },
  maxlen: { t: 'uint32' },
  maxvalue: { t: 'sint64' },
  methodconstraint: { t: 'string', a: true },
  min: { t: 'uint32' },
  minlen: { t: 'uint32' },
  minvalue: { t: 'sint64' },
  modelcorrespondence: { t: 'string', a: true },
  nullvalue: { t: 'string', d: true },
  octetstring: { t: 'boolean', d: true },
  out: { t: 'boolean', d: true },
  override: { t: 'string', r: true },
  propagated: { t: 'string', d: true },
  propertyconstraint: { t: 'string', a: true },
  propertyusage: { t: 'string' },
  read: { t: 'boolean' },
  required: { t: 'boolean', d: true },
  revision: { t: 'string', r: true, x: true },
  schema: { t: 'string', d: true },
  static: { t: 'boolean', d: true },
  terminal: { t: 'boolean' },
  umlpackagepath: { t: 'string' },
  units: { t: 'string', x: true },
  unknownvalues: { t: 'string', a: true, d: true },
  unsupportedvalues: { t: 'string', a: true, d: true },
  valuemap: { t: 'string', a: true },
  values: { t: 'string', a: true, x: true },
  version: { t: 'string', r: true, x: true },
  weak: { t: 'boolean', d: true },
  write: { t: 'boolean' },
  // WMI qualifiers found in Microsoft's MOF (WMI SDK "WMI Qualifiers")
  amendment: { t: 'boolean' },
  cimtype: { t: 'string' },
  dynamic: { t: 'boolean' },
  id: { t: 'sint32' },
  implemented: { t: 'boolean' },
  locale: { t: 'sint32' },
  privileges: { t: 'string', a: true },
  provider: { t: 'string' },
  singleton: { t: 'boolean' },
  supportsupdate: { t: 'boolean' },
};

export interface QualifierInfo {
  readonly type: QualType;
  readonly overridable: boolean;
  readonly toSubclass: boolean;
  readonly translatable: boolean;
}

const INT_TYPES: ReadonlySet<CimType> = new Set(['uint8', 'sint8', 'uint16', 'sint16', 'uint32', 'sint32', 'uint64', 'sint64']);

function items(v: QualifierValue): ReadonlyArray<boolean | string | number | bigint> {
  return (Array.isArray(v) ? v : [v]).filter((x): x is boolean | string | number | bigint => x !== null);
}

function fits(type: QualType, v: QualifierValue): boolean {
  return items(v).every((x) => {
    if (type === 'boolean') return typeof x === 'boolean';
    if (type === 'string' || type === 'char16' || type === 'datetime') return typeof x === 'string';
    if (INT_TYPES.has(type)) return typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x));
    return typeof x === 'number';
  });
}

function inferType(v: QualifierValue): QualType {
  const xs = items(v);
  if (xs.length === 0 || typeof xs[0] === 'string') return 'string';
  if (typeof xs[0] === 'boolean') return 'boolean';
  if (xs.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= -2147483648 && x <= 2147483647)) return 'sint32';
  if (xs.every((x) => typeof x === 'bigint' || (typeof x === 'number' && Number.isInteger(x)))) return 'sint64';
  return 'real64';
}

/** Flavor booleans the resolver may have attached to the qualifier object. */
function ownFlag(q: CimQualifier, key: 'toSubclass' | 'overridable'): boolean | undefined {
  const v = (q as unknown as Record<string, unknown>)[key];
  return typeof v === 'boolean' ? v : undefined;
}

export function qualifierInfo(q: CimQualifier, lookup?: QualifierDeclLookup): QualifierInfo {
  const decl = lookup?.(q.name);
  const std = STANDARD[nameKey(q.name)];
  const declared = decl?.type ?? std?.t;
  return {
    type: declared !== undefined && fits(declared, q.value) ? declared : inferType(q.value),
    overridable: ownFlag(q, 'overridable') ?? decl?.overridable ?? !std?.d,
    toSubclass: ownFlag(q, 'toSubclass') ?? decl?.toSubclass ?? !std?.r,
    translatable: decl?.translatable ?? std?.x === true,
  };
}

/** A qualifier type declaration as the MOF compiler keeps it (src/cim/mof/ast.ts MofQualifierTypeDecl). */
export interface QualifierTypeDeclLike {
  readonly name: string;
  readonly type: string;
  readonly array?: unknown;
  readonly flavors: readonly string[];
}

const DECL_TYPES: ReadonlySet<string> = new Set(['boolean', 'string', 'char16', 'datetime', 'real32', 'real64', ...INT_TYPES]);

/**
 * A {@link QualifierDeclLookup} over a namespace's qualifier declarations, e.g.
 * `qualifierDeclLookup(registry.qualifierDeclarations(ns))`.
 */
export function qualifierDeclLookup(decls: readonly QualifierTypeDeclLike[]): QualifierDeclLookup {
  const byName = new Map<string, QualifierDeclInfo>();
  for (const d of decls) {
    if (!DECL_TYPES.has(d.type)) continue;
    const has = (f: string) => d.flavors.some((x) => x.toLowerCase() === f);
    byName.set(nameKey(d.name), {
      type: d.type as QualType,
      isArray: d.array !== undefined,
      translatable: has('translatable'),
      overridable: !has('disableoverride'),
      toSubclass: !(has('restricted') || has('nottosubclass')),
    });
  }
  return (name) => byName.get(nameKey(name));
}
