/**
 * Binding a parsed SELECT to a schema and compiling its WHERE clause into one closure.
 *
 * Everything that can be decided once is decided here: property names are resolved against the
 * FROM class, constants are typed for their property (see literals.ts), LIKE patterns become
 * matchers, and each leaf becomes a small function. `matches()` then only reads property values and
 * compares; nothing is parsed, looked up by name, or lower-cased per instance.
 *
 * NULL semantics (the WMI pages only say NULL "is not equivalent to zero or blank" and that IS
 * tests it): a comparison, LIKE or ISA on a NULL value is neither true nor false, as in SQL — it
 * fails, and so does its negation (`NOT EnabledState = 2` does not match an instance whose
 * EnabledState is NULL). This is implemented by compiling NOT away: each leaf is compiled for the
 * polarity it appears under (De Morgan for AND/OR), and a leaf with a NULL or incomparable value is
 * false in both polarities. IS [NOT] NULL is always two-valued.
 *
 * Arrays: "WQL does not support queries of array datatypes" (WmiSdk/querying-with-wql.md), so a
 * comparison, LIKE or ISA on an array property is WBEM_E_INVALID_QUERY; IS [NOT] NULL is allowed.
 *
 * Unknown properties, in the select list or in WHERE, are WBEM_E_INVALID_QUERY, not
 * WBEM_E_NOT_FOUND: a query naming a property its class lacks fails as a whole on Windows
 * (ohadravid/wmi-rs#96: `SELECT Model FROM CIM_DiskDrive` fails where `SELECT *` works, because
 * CIM_DiskDrive has no Model). Members of an embedded object are the exception:
 * select-statement-for-data-queries.md says an invalid embedded path returns "no error or any results".
 */
import { CimStatus } from '../errors.js';
import { formatObjectPath, parseObjectPath, refsEqual } from '../objectpath.js';
import type { CimClass, CimDateTime, CimInstance, CimRef, CimType, CimValue } from '../types.js';
import { isDateTime, isInstance, isRef, nameKey } from '../types.js';
import { formatDateTimeDmtf } from '../values.js';
import type { ComparisonOp, Literal, PropertyRef, SelectStatement, WhereExpr } from './ast.js';
import { ciCompare, ciCompareFolded, ciEquals, ciEqualsFolded, foldString } from './casefold.js';
import { invalidClass, invalidQuery, queryError } from './errors.js';
import { compileLike, LikePatternError, type LikeMatcher } from './like.js';
import { coerceLiteral, integerValue, numberFromText, parseWqlDateTime, type Comparand } from './literals.js';
import type { WqlSchema } from './schema.js';
import { stats } from './stats.js';
import { systemProperty, type EvalContext, type Getter } from './system-props.js';

export type { EvalContext };

export type Predicate = (inst: CimInstance, cls: CimClass, ctx: EvalContext) => boolean;

/** How a (possibly dotted) property reference reads its value. */
interface Accessor {
  /** declared spelling, for messages */
  readonly label: string;
  /** 'dynamic': a member of an untyped embedded object, typed by its runtime value; 'this': __THIS */
  readonly type: CimType | 'dynamic' | 'this';
  readonly isArray: boolean;
  /** holds an embedded object (type 'instance', or a string with EmbeddedInstance/EmbeddedObject) */
  readonly embedded: boolean;
  /** the class named by REF / EmbeddedInstance, when declared */
  readonly targetClass?: string;
  /** false for a member an embedded class does not declare: such a leaf never matches */
  readonly resolvable: boolean;
  readonly get: Getter;
}

/** A three-way comparison result; NaN when the value is NULL or not comparable. */
type Cmp = (v: unknown) => number;

const TRUE: Predicate = () => true;
const FALSE: Predicate = () => false;

/** [positive, negated] tests of a comparison result; NaN fails both. */
const TESTS: Readonly<Record<ComparisonOp, readonly [(r: number) => boolean, (r: number) => boolean]>> = {
  '=': [(r) => r === 0, (r) => r < 0 || r > 0],
  '<>': [(r) => r < 0 || r > 0, (r) => r === 0],
  '<': [(r) => r < 0, (r) => r >= 0],
  '<=': [(r) => r <= 0, (r) => r > 0],
  '>': [(r) => r > 0, (r) => r <= 0],
  '>=': [(r) => r >= 0, (r) => r < 0],
};

// ---- comparators --------------------------------------------------------------------------------

function numericCmp(lit: number | bigint): Cmp {
  // Relational operators compare number and bigint by value, so uint64 values held as bigint and
  // literals beyond 2^53 need no conversion.
  return (v) => {
    if (typeof v === 'number') return v !== v ? NaN : v < lit ? -1 : v > lit ? 1 : 0;
    if (typeof v === 'bigint') return v < lit ? -1 : v > lit ? 1 : 0;
    return NaN;
  };
}

function stringCmp(lit: string, equalityOnly: boolean): Cmp {
  const folded = foldString(lit);
  return equalityOnly
    ? // An exact match is a memcmp; most stored values are spelled as the query spells them.
      (v) => (typeof v === 'string' ? (v === lit || ciEqualsFolded(v, folded) ? 0 : 1) : NaN)
    : (v) => (typeof v === 'string' ? ciCompareFolded(v, folded) : NaN);
}

function booleanCmp(lit: boolean): Cmp {
  return (v) => (typeof v === 'boolean' ? (v === lit ? 0 : 1) : NaN);
}

function datetimeCmp(lit: CimDateTime): Cmp {
  if (lit.kind === 'interval') {
    const micros = lit.totalMicros;
    return (v) => {
      if (!isDateTime(v) || v.kind !== 'interval') return NaN;
      return v.totalMicros < micros ? -1 : v.totalMicros > micros ? 1 : 0;
    };
  }
  const { epochMs, micros } = lit;
  return (v) => {
    // A timestamp and an interval do not compare.
    if (!isDateTime(v) || v.kind !== 'timestamp') return NaN;
    if (v.epochMs !== epochMs) return v.epochMs < epochMs ? -1 : 1;
    return v.micros < micros ? -1 : v.micros > micros ? 1 : 0;
  };
}

function referenceCmp(lit: CimRef): Cmp {
  return (v) => (isRef(v) ? (refsEqual(v, lit) ? 0 : 1) : NaN);
}

function comparandCmp(c: Comparand, op: ComparisonOp): Cmp {
  switch (c.family) {
    case 'numeric':
      return numericCmp(c.value);
    case 'string':
      return stringCmp(c.value, op === '=' || op === '<>');
    case 'boolean':
      return booleanCmp(c.value);
    case 'datetime':
      return datetimeCmp(c.value);
    case 'reference':
      return referenceCmp(c.value);
  }
}

/**
 * For members of untyped embedded objects the constant is prepared in every family it can belong
 * to, and the runtime value's kind picks one.
 */
function dynamicCmp(lit: Literal, op: ComparisonOp): Cmp {
  const equality = op === '=' || op === '<>';
  const text = lit.kind === 'string' ? lit.value : lit.kind === 'boolean' ? null : lit.text;
  const num = lit.kind === 'integer' ? integerValue(lit.value) : lit.kind === 'real' ? lit.value : lit.kind === 'string' ? numberFromText(lit.value) : null;
  let bool: boolean | null = null;
  if (lit.kind === 'boolean') bool = lit.value;
  else if (lit.kind === 'integer' && (lit.value === 0n || lit.value === 1n)) bool = lit.value === 1n;
  else if (lit.kind === 'string') {
    const u = lit.value.trim().toUpperCase();
    bool = u === 'TRUE' || u === '1' ? true : u === 'FALSE' || u === '0' ? false : null;
  }
  const dt = lit.kind === 'string' ? parseWqlDateTime(lit.value) : null;
  let ref: CimRef | null = null;
  if (lit.kind === 'string') {
    try {
      const p = parseObjectPath(lit.value);
      if (p.kind !== 'class') ref = p.ref;
    } catch {
      ref = null;
    }
  }
  const onString = text !== null ? stringCmp(text, equality) : null;
  const onNumber = num !== null ? numericCmp(num) : null;
  const onBoolean = bool !== null && equality ? booleanCmp(bool) : null;
  const onDate = dt !== null ? datetimeCmp(dt) : null;
  const onRef = ref !== null && equality ? referenceCmp(ref) : null;
  return (v) => {
    switch (typeof v) {
      case 'string':
        return onString ? onString(v) : NaN;
      case 'number':
      case 'bigint':
        return onNumber ? onNumber(v) : NaN;
      case 'boolean':
        return onBoolean ? onBoolean(v) : NaN;
      case 'object':
        if (isDateTime(v)) return onDate ? onDate(v) : NaN;
        if (isRef(v)) return onRef ? onRef(v) : NaN;
        return NaN;
      default:
        return NaN;
    }
  };
}

// ---- the compiler -------------------------------------------------------------------------------

function propertyByName(props: Record<string, CimValue>, name: string): CimValue | undefined {
  const exact = props[name];
  if (exact !== undefined) return exact;
  for (const k in props) if (ciEquals(k, name)) return props[k];
  return undefined;
}

class SelectCompiler {
  constructor(
    private readonly stmt: SelectStatement,
    private readonly fromClass: CimClass,
    private readonly schema: WqlSchema,
  ) {}

  private fail(message: string): never {
    throw invalidQuery(message, this.stmt.text);
  }

  resolve(prop: PropertyRef): Accessor {
    const [first, ...rest] = prop.path;
    if (first.startsWith('__')) {
      if (rest.length > 0) this.fail(`The system property '${first}' has no members ('${prop.path.join('.')}').`);
      if (first.toUpperCase() === '__THIS') {
        return { label: '__THIS', type: 'this', isArray: false, embedded: false, resolvable: true, get: () => null };
      }
      const sp = systemProperty(first);
      if (!sp) this.fail(`'${first}' is not a WMI system property.`);
      return { label: sp.name, type: sp.type, isArray: sp.isArray, embedded: false, resolvable: true, get: sp.get };
    }
    const decl = this.fromClass.properties.get(nameKey(first));
    if (!decl) this.fail(`'${first}' is not a property of class '${this.fromClass.name}'.`);
    const name = decl.name;
    let acc: Accessor = {
      label: name,
      type: decl.type,
      isArray: decl.isArray,
      embedded: decl.type === 'instance' || (decl.type === 'string' && (decl.embeddedInstance !== undefined || decl.embeddedObject === true)),
      targetClass: decl.refClass ?? decl.embeddedInstance,
      resolvable: true,
      get: (inst) => inst.props[name],
    };
    for (const seg of rest) acc = this.member(acc, seg);
    return acc;
  }

  /** `acc.seg`: a member of an embedded object. */
  private member(acc: Accessor, seg: string): Accessor {
    if (!acc.resolvable) return acc;
    if (acc.isArray) this.fail(`'${acc.label}' is an array; WQL does not query into arrays ('${acc.label}.${seg}').`);
    if (!acc.embedded && acc.type !== 'dynamic') {
      this.fail(`'${acc.label}' is not an embedded object, so '.${seg}' cannot follow it.`);
    }
    const parent = acc.get;
    const embeddedCls = acc.type !== 'dynamic' && acc.targetClass ? this.schema.getClass(acc.targetClass) : undefined;
    if (!embeddedCls) {
      return {
        label: `${acc.label}.${seg}`,
        type: 'dynamic',
        isArray: false,
        embedded: false,
        resolvable: true,
        get: (i, c, x) => {
          const e = parent(i, c, x);
          return isInstance(e) ? propertyByName(e.props, seg) : null;
        },
      };
    }
    const sub = embeddedCls.properties.get(nameKey(seg));
    if (!sub) return { ...acc, label: `${acc.label}.${seg}`, resolvable: false };
    const subName = sub.name;
    return {
      label: `${acc.label}.${subName}`,
      type: sub.type,
      isArray: sub.isArray,
      embedded: sub.type === 'instance' || (sub.type === 'string' && (sub.embeddedInstance !== undefined || sub.embeddedObject === true)),
      targetClass: sub.refClass ?? sub.embeddedInstance,
      resolvable: true,
      get: (i, c, x) => {
        const e = parent(i, c, x);
        return isInstance(e) ? e.props[subName] : null;
      },
    };
  }

  /** Reject what no leaf but IS [NOT] NULL accepts. */
  private scalarOnly(acc: Accessor, what: string): void {
    if (acc.type === 'this') this.fail(`__THIS can only be used with ISA ('__THIS ISA "Class"'), not with ${what}.`);
    if (acc.isArray) {
      this.fail(`'${acc.label}' is an array property; WQL does not support ${what} on arrays (only IS [NOT] NULL).`);
    }
  }

  compile(expr: WhereExpr, negated: boolean): Predicate {
    switch (expr.kind) {
      case 'and':
      case 'or': {
        // Under NOT, AND and OR swap (De Morgan) and the operands are compiled negated.
        const conjunction = (expr.kind === 'and') !== negated;
        const parts = expr.operands.map((op) => this.compile(op, negated));
        return conjunction ? allOf(parts) : anyOf(parts);
      }
      case 'not':
        return this.compile(expr.operand, !negated);
      case 'isNull':
        return this.compileIsNull(expr.property, expr.negated !== negated);
      case 'compare':
        return this.compileCompare(expr.property, expr.op, expr.value, negated);
      case 'like':
        return this.compileLikeLeaf(expr.property, expr.pattern, negated);
      case 'isa':
        return this.compileIsa(expr.property, expr.className, negated);
    }
  }

  private compileIsNull(prop: PropertyRef, isNotNull: boolean): Predicate {
    const acc = this.resolve(prop);
    if (acc.type === 'this') this.fail('__THIS can only be used with ISA, not with IS NULL.');
    if (!acc.resolvable) return FALSE;
    const get = acc.get;
    return isNotNull ? (i, c, x) => get(i, c, x) != null : (i, c, x) => get(i, c, x) == null;
  }

  private compileCompare(prop: PropertyRef, op: ComparisonOp, lit: Literal, negated: boolean): Predicate {
    const acc = this.resolve(prop);
    this.scalarOnly(acc, `'${op}'`);
    if (!acc.resolvable) return FALSE;
    let cmp: Cmp;
    if (acc.type === 'dynamic') {
      cmp = dynamicCmp(lit, op);
    } else {
      const type = acc.type as CimType;
      if (acc.embedded && type === 'instance') {
        this.fail(`'${acc.label}' is an embedded object; it can only be tested with IS [NOT] NULL or ISA, or through its members (${acc.label}.Property).`);
      }
      cmp = comparandCmp(coerceLiteral(lit, { name: acc.label, type }, op, this.stmt.text, this.schema), op);
    }
    const test = TESTS[op][negated ? 1 : 0];
    const get = acc.get;
    return (i, c, x) => test(cmp(get(i, c, x)));
  }

  private compileLikeLeaf(prop: PropertyRef, pattern: string, negated: boolean): Predicate {
    const acc = this.resolve(prop);
    this.scalarOnly(acc, 'LIKE');
    if (acc.type !== 'string' && acc.type !== 'char16' && acc.type !== 'reference' && acc.type !== 'datetime' && acc.type !== 'dynamic') {
      this.fail(`LIKE compares strings; '${acc.label}' is ${acc.type === 'instance' ? 'an embedded object' : acc.type}.`);
    }
    if (!acc.resolvable) return FALSE;
    let matcher: LikeMatcher;
    try {
      matcher = compileLike(pattern);
    } catch (e) {
      if (e instanceof LikePatternError) this.fail(`Invalid LIKE pattern '${pattern}': ${e.message}.`);
      throw e;
    }
    const get = acc.get;
    if (acc.type === 'string' || acc.type === 'char16') {
      return negated
        ? (i, c, x) => {
            const v = get(i, c, x);
            return typeof v === 'string' && !matcher(v);
          }
        : (i, c, x) => {
            const v = get(i, c, x);
            return typeof v === 'string' && matcher(v);
          };
    }
    // References match as the full path WMI stores; datetimes as their DMTF text.
    const asText = (v: unknown, ctx: EvalContext): string | null => {
      if (typeof v === 'string') return v;
      if (isRef(v)) return formatObjectPath(v, { host: ctx.host, namespace: ctx.namespace });
      if (isDateTime(v)) return formatDateTimeDmtf(v);
      return null;
    };
    return (i, c, x) => {
      const s = asText(get(i, c, x), x);
      return s !== null && matcher(s) !== negated;
    };
  }

  private compileIsa(prop: PropertyRef, className: string, negated: boolean): Predicate {
    const acc = this.resolve(prop);
    const target = this.schema.getClass(className);
    if (acc.type === 'this' || acc.label === '__CLASS') {
      if (!target) throw invalidClass(className, this.stmt.text);
      const targetName = target.name;
      // Derivation of the instance's own class, computed once per class object.
      const cache = new WeakMap<CimClass, boolean>();
      const derives = (cls: CimClass): boolean => {
        let hit = cache.get(cls);
        if (hit === undefined) {
          hit = cls.ancestry.some((a) => ciEquals(a, targetName));
          cache.set(cls, hit);
        }
        return hit;
      };
      return negated ? (_i, c) => !derives(c) : (_i, c) => derives(c);
    }
    if (acc.isArray) this.fail(`'${acc.label}' is an array property; WQL does not support ISA on arrays.`);
    if (!acc.embedded && acc.type !== 'reference' && acc.type !== 'dynamic') {
      this.fail(`ISA tests __CLASS, __THIS, embedded objects and references; '${acc.label}' is ${acc.type}.`);
    }
    if (!target) throw invalidClass(className, this.stmt.text);
    if (!acc.resolvable) return FALSE;
    const targetName = target.name;
    const schema = this.schema;
    const known = new Map<string, boolean>();
    const classIsA = (name: string): boolean => {
      let hit = known.get(name);
      if (hit === undefined) {
        hit = schema.isA(name, targetName);
        known.set(name, hit);
      }
      return hit;
    };
    const get = acc.get;
    return (i, c, x) => {
      const v = get(i, c, x);
      if (!isInstance(v) && !isRef(v)) return false;
      return classIsA(v.className) !== negated;
    };
  }
}

function allOf(parts: Predicate[]): Predicate {
  if (parts.length === 1) return parts[0];
  if (parts.length === 2) {
    const [a, b] = parts;
    return (i, c, x) => a(i, c, x) && b(i, c, x);
  }
  return (i, c, x) => {
    for (let k = 0; k < parts.length; k++) if (!parts[k](i, c, x)) return false;
    return true;
  };
}

function anyOf(parts: Predicate[]): Predicate {
  if (parts.length === 1) return parts[0];
  if (parts.length === 2) {
    const [a, b] = parts;
    return (i, c, x) => a(i, c, x) || b(i, c, x);
  }
  return (i, c, x) => {
    for (let k = 0; k < parts.length; k++) if (parts[k](i, c, x)) return true;
    return false;
  };
}

// ---- the compiled query -------------------------------------------------------------------------

export class CompiledSelect {
  readonly kind = 'select' as const;
  /** `'*'`, or the selected non-system properties: declared spelling, de-duplicated, sorted case-insensitively (the order Windows writes a w:XmlFragment in) */
  readonly properties: '*' | readonly string[];
  /** system properties named in the select list (canonical spelling); WMI returns them always */
  readonly systemProperties: readonly string[];
  /** true for `*` or when every key of the FROM class is selected (the projection can still be addressed) */
  readonly keysSelected: boolean;
  /** the WHERE clause compiled once; evaluate through {@link matches} */
  readonly predicate: Predicate;
  /**
   * The declared names of the properties the WHERE reads (empty without a WHERE), or undefined when
   * it reads system properties: the predicate then needs only these to decide, so it can be tried
   * on a partial instance before the whole one is built.
   */
  readonly whereProperties: readonly string[] | undefined;
  private readonly memberCache = new WeakMap<CimClass, boolean>();

  constructor(
    readonly text: string,
    /** the FROM class as the schema spells it */
    readonly fromClass: CimClass,
    readonly where: WhereExpr | null,
    properties: '*' | readonly string[],
    systemProperties: readonly string[],
    predicate: Predicate,
  ) {
    this.properties = properties;
    this.systemProperties = systemProperties;
    this.predicate = predicate;
    this.whereProperties = where ? propertiesRead(where, fromClass) : [];
    this.keysSelected =
      properties === '*' || fromClass.keys.every((k) => (properties as readonly string[]).some((p) => ciEquals(p, k.name)));
  }

  get className(): string {
    return this.fromClass.name;
  }

  /** Is `cls` the FROM class or one of its subclasses (polymorphic enumeration)? */
  private isMember(cls: CimClass): boolean {
    if (cls === this.fromClass) return true;
    let hit = this.memberCache.get(cls);
    if (hit === undefined) {
      const name = this.fromClass.name;
      hit = cls.ancestry.some((a) => ciEquals(a, name));
      this.memberCache.set(cls, hit);
    }
    return hit;
  }

  /**
   * Does the instance belong to the result? `cls` is the instance's own class (the FROM class or a
   * subclass; anything else never matches).
   */
  matches(instance: CimInstance, cls: CimClass, ctx: EvalContext): boolean {
    return this.isMember(cls) && this.predicate(instance, cls, ctx);
  }

  /**
   * The instance as the select list shapes it: itself for `*`, otherwise a new instance holding
   * only the selected properties (NULL when absent). Keys are not added: Windows writes only the
   * selected properties in the w:XmlFragment (wire notes §4.2); address the result with the
   * original instance.
   */
  project(instance: CimInstance, _cls?: CimClass): CimInstance {
    if (this.properties === '*') return instance;
    const props: Record<string, CimValue> = {};
    for (const name of this.properties) props[name] = instance.props[name] ?? null;
    return instance.namespace !== undefined
      ? { className: instance.className, namespace: instance.namespace, props }
      : { className: instance.className, props };
  }
}

/** What `whereProperties` says: top-level declared names, or undefined for a system property. */
function propertiesRead(where: WhereExpr, cls: CimClass): string[] | undefined {
  const names = new Set<string>();
  let system = false;
  const visit = (e: WhereExpr): void => {
    if ('operands' in e) e.operands.forEach(visit);
    else if (e.kind === 'not') visit(e.operand);
    else {
      const first = e.property.path[0];
      const decl = cls.properties.get(nameKey(first));
      if (first.startsWith('__') || !decl) system = true;
      else names.add(decl.name);
    }
  };
  visit(where);
  return system ? undefined : [...names];
}

/** Bind a parsed SELECT to the schema and compile it. */
export function compileSelect(stmt: SelectStatement, schema: WqlSchema): CompiledSelect {
  const cls = schema.getClass(stmt.className);
  if (!cls) {
    if (stmt.className.toLowerCase() === 'meta_class') {
      throw queryError(CimStatus.NOT_SUPPORTED, 'Schema queries (SELECT … FROM meta_class) are not supported.', stmt.text);
    }
    throw invalidClass(stmt.className, stmt.text);
  }
  stats.compiled++;
  const compiler = new SelectCompiler(stmt, cls, schema);

  let properties: '*' | string[] = '*';
  const systemProperties: string[] = [];
  if (stmt.properties !== '*') {
    properties = [];
    for (const prop of stmt.properties) {
      if (prop.path.length > 1) {
        throw invalidQuery(`Members of embedded objects cannot be selected ('${prop.path.join('.')}').`, stmt.text);
      }
      const acc = compiler.resolve(prop);
      if (acc.type === 'this') throw invalidQuery('__THIS cannot be selected.', stmt.text);
      const list = prop.path[0].startsWith('__') ? systemProperties : properties;
      if (!list.some((p) => ciEquals(p, acc.label))) list.push(acc.label);
    }
    properties.sort(ciCompare);
  }
  const predicate = stmt.where ? compiler.compile(stmt.where, false) : TRUE;
  return new CompiledSelect(stmt.text, cls, stmt.where, properties, systemProperties, predicate);
}

