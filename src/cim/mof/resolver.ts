/**
 * Resolver: compiled MOF declarations → the {@link CimClass} objects of src/cim/types.ts, one set
 * per namespace, with inheritance applied and the schema validated.
 *
 * Inheritance rules (DSP0004 with WMI's leniency where Microsoft's MOF relies on it):
 * - A property or method re-declared in a subclass overrides the inherited one, with or without
 *   an Override qualifier (WMI semantics); Override("X") must name an inherited element X.
 * - An override keeps the type (REF classes may narrow to a subclass); method overrides keep the
 *   parameter list (names, order, types; REF classes may narrow).
 * - Qualifiers propagate by flavor: ToSubclass ones are inherited, Restricted ones (Abstract,
 *   Override, Version …) are not; a DisableOverride qualifier (Key, Association …) cannot change.
 * - `classOrigin` is the class that first declared the element; `propagated` is true when the
 *   class does not re-declare it.
 * - Key: a class may turn an inherited non-key property into a key only while no ancestor has
 *   keys (this is how CIM_ConcreteJob keys InstanceID); once keys exist they are fixed.
 * - Parameters: `in` unless only [Out] is given (DSP0004's In defaults to true, but every MOF
 *   writer means `[Out]` as out-only); qualifiers of an overriding method's parameter merge with
 *   those of the same-named parameter of the overridden method.
 * - `implemented`: the effective Implemented qualifier, i.e. written on this class's declaration
 *   of the method or on the nearest ancestor declaration it inherits unchanged.
 * - Properties are sorted the way WMI writes instances: case-insensitively (lower-case folding;
 *   a Win32_Process capture has CreationDate before CSCreationClassName, so the sort is not
 *   ordinal). Note: the MSFT_WmiError fault-detail captures list the error_* members last, an
 *   order no case-insensitive sort produces; whoever writes that detail should follow the capture.
 */
import type {
  CimClass,
  CimMethodDecl,
  CimParameterDecl,
  CimPropertyDecl,
  CimQualifier,
  CimRef,
  CimScalar,
  CimType,
  CimValue,
  CimInstance,
  QualifierMap,
} from '../types.js';
import { nameKey } from '../types.js';
import type {
  MofClassDecl,
  MofInstanceDecl,
  MofMethodDecl,
  MofParameterDecl,
  MofPos,
  MofPropertyDecl,
  MofQualifier,
  MofTypeRef,
  MofValue,
} from './ast.js';
import type { MofCompilation, Namespaced } from './compiler.js';
import { MofSchemaError, type MofDiagnostic } from './errors.js';
import { LiteralTypeError, sameQualifierValue, typedLiteral } from './literals.js';
import {
  Q,
  QualifierTable,
  QualifierUseError,
  qBool,
  qString,
  qStrings,
  type EffectiveQualifier,
  type EffectiveQualifiers,
  type ElementKind,
} from './qualifiers.js';

/** An instance declared in MOF (`instance of X { … };`), typed against its class. */
export interface MofDeclaredInstance extends CimInstance {
  readonly namespace: string;
  readonly alias?: string;
  readonly pos: MofPos;
}

export interface ResolvedNamespace {
  /** spelling of the first `#pragma namespace` that named it (normalised slashes) */
  readonly name: string;
  /** classes in declaration order */
  readonly classes: readonly CimClass[];
  readonly byName: ReadonlyMap<string, CimClass>;
  readonly qualifiers: QualifierTable;
  readonly instances: readonly MofDeclaredInstance[];
  /** where each class was declared, keyed by lower-cased class name */
  readonly sources: ReadonlyMap<string, MofPos>;
}

export interface ResolvedSchema {
  readonly namespaces: readonly ResolvedNamespace[];
}

/** Case-insensitive name order used for sortedProperties and keys (see module comment). */
export function propertyOrder(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Resolve a compilation; throws {@link MofSchemaError} listing every problem found. */
export function resolveSchema(comp: MofCompilation): ResolvedSchema {
  const groups = new Map<string, { name: string; classes: MofClassDecl[]; instances: MofInstanceDecl[]; quals: Namespaced<unknown>[] }>();
  const group = (ns: string) => {
    const k = nameKey(ns);
    let g = groups.get(k);
    if (!g) {
      g = { name: ns, classes: [], instances: [], quals: [] };
      groups.set(k, g);
    }
    return g;
  };
  const diags: MofDiagnostic[] = [];
  const tables = new Map<string, QualifierTable>();
  for (const q of comp.qualifiers) {
    const g = group(q.namespace);
    let t = tables.get(nameKey(g.name));
    if (!t) tables.set(nameKey(g.name), (t = new QualifierTable()));
    const prev = t.add(q.decl);
    if (prev && !sameQualifierDecl(prev, q.decl)) {
      diags.push({ pos: q.decl.pos, message: `qualifier ${q.decl.name} is declared again with a different type, scope or flavor (first at ${prev.pos.file}:${prev.pos.line})` });
    }
  }
  for (const c of comp.classes) group(c.namespace).classes.push(c.decl);
  for (const i of comp.instances) group(i.namespace).instances.push(i.decl);

  const namespaces: ResolvedNamespace[] = [];
  for (const [k, g] of groups) {
    const table = tables.get(k) ?? new QualifierTable();
    namespaces.push(new NamespaceResolver(g.name, g.classes, g.instances, table, diags).run());
  }
  if (diags.length) throw new MofSchemaError(diags);
  return { namespaces };
}

function sameQualifierDecl(a: import('./ast.js').MofQualifierTypeDecl, b: import('./ast.js').MofQualifierTypeDecl): boolean {
  return (
    a.type === b.type &&
    (a.array === undefined) === (b.array === undefined) &&
    [...a.scopes].sort().join() === [...b.scopes].sort().join() &&
    [...a.flavors].sort().join() === [...b.flavors].sort().join()
  );
}

// ------------------------------------------------------------------------------------------------

interface ClassWork {
  readonly decl: MofClassDecl;
  state: 'pending' | 'resolving' | 'done' | 'failed';
  cls?: CimClass;
  /** effective class qualifiers (own + inherited), for propagation */
  classQuals?: Map<string, EffectiveQualifier>;
}

/** Deferred checks that need every class of the namespace. */
interface PendingRefCheck {
  readonly pos: MofPos;
  readonly what: string;
  readonly className: string;
  /** for an override: the inherited REF class it must narrow */
  readonly mustBeA?: string;
  readonly kind: 'REF' | 'EmbeddedInstance' | 'embedded object';
}

class NamespaceResolver {
  private readonly work = new Map<string, ClassWork>();
  private readonly order: ClassWork[] = [];
  private readonly refChecks: PendingRefCheck[] = [];

  constructor(
    private readonly ns: string,
    private readonly classDecls: readonly MofClassDecl[],
    private readonly instanceDecls: readonly MofInstanceDecl[],
    private readonly table: QualifierTable,
    private readonly diags: MofDiagnostic[],
  ) {}

  private error(pos: MofPos, message: string): void {
    this.diags.push({ pos, message });
  }

  run(): ResolvedNamespace {
    for (const d of this.classDecls) {
      const k = nameKey(d.name);
      const prev = this.work.get(k);
      if (prev) {
        this.error(d.pos, `class ${d.name} is already declared in namespace ${this.ns} (at ${prev.decl.pos.file}:${prev.decl.pos.line})`);
        continue;
      }
      const w: ClassWork = { decl: d, state: 'pending' };
      this.work.set(k, w);
      this.order.push(w);
    }
    for (const w of this.order) this.resolve(w);

    const byName = new Map<string, CimClass>();
    const classes: CimClass[] = [];
    const sources = new Map<string, MofPos>();
    for (const w of this.order) {
      if (!w.cls) continue;
      byName.set(nameKey(w.cls.name), w.cls);
      classes.push(w.cls);
      sources.set(nameKey(w.cls.name), w.decl.pos);
    }
    this.checkRefs(byName);
    for (const c of classes) this.checkAssociation(c, sources.get(nameKey(c.name))!);
    const instances = new InstanceResolver(this.ns, byName, this.instanceDecls, this.diags).run();
    return { name: this.ns, classes, byName, qualifiers: this.table, instances, sources };
  }

  // ---- one class ---------------------------------------------------------------------------------

  private resolve(w: ClassWork): CimClass | undefined {
    if (w.state === 'done') return w.cls;
    if (w.state === 'failed') return undefined;
    const d = w.decl;
    if (w.state === 'resolving') {
      this.error(d.pos, `class ${d.name} inherits from itself (superclass cycle)`);
      w.state = 'failed';
      return undefined;
    }
    w.state = 'resolving';
    let sup: ClassWork | undefined;
    if (d.superClass !== undefined) {
      sup = this.work.get(nameKey(d.superClass));
      if (!sup) {
        this.error(d.pos, `class ${d.name}: superclass ${d.superClass} is not declared in namespace ${this.ns}`);
        w.state = 'failed';
        return undefined;
      }
      if (!this.resolve(sup)) {
        if (w.state === 'resolving') {
          this.error(d.pos, `class ${d.name}: superclass ${d.superClass} could not be resolved`);
          w.state = 'failed';
        }
        return undefined;
      }
    }
    if (w.state !== 'resolving') return w.cls; // failed through a cycle reported above
    try {
      const built = this.build(d, sup?.cls, sup?.classQuals);
      w.cls = built.cls;
      w.classQuals = built.classQuals;
      w.state = 'done';
      return w.cls;
    } catch (e) {
      if (e instanceof ClassFailure) {
        w.state = 'failed';
        return undefined;
      }
      throw e;
    }
  }

  private build(d: MofClassDecl, sup: CimClass | undefined, supQuals: Map<string, EffectiveQualifier> | undefined): { cls: CimClass; classQuals: Map<string, EffectiveQualifier> } {
    const before = this.diags.length;
    const supName = sup?.name;

    // class qualifiers: own (contract: CimClass.qualifiers) and effective (for propagation)
    const inheritedAssoc = supQuals ? qBool(supQuals, Q.association) : false;
    const inheritedIndic = supQuals ? qBool(supQuals, Q.indication) : false;
    const ownAssoc = d.qualifiers.some((q) => nameKey(q.name) === Q.association && (q.value === undefined || (q.value.kind === 'boolean' && q.value.value)));
    const ownIndic = d.qualifiers.some((q) => nameKey(q.name) === Q.indication && (q.value === undefined || (q.value.kind === 'boolean' && q.value.value)));
    const classKind: ElementKind = inheritedAssoc || ownAssoc ? 'association' : inheritedIndic || ownIndic ? 'indication' : 'class';
    const own = this.useQualifiers(d.qualifiers, classKind, d.name);
    const classQuals = this.merge(supQuals, own, `class ${d.name}`, d.pos);

    if (sup && qBool(supQuals ?? new Map(), Q.association) && !qBool(classQuals, Q.association)) {
      this.error(d.pos, `class ${d.name}: an association's subclass must be an association`);
    }
    if (sup && !qBool(supQuals ?? new Map(), Q.association) && qBool(classQuals, Q.association)) {
      this.error(d.pos, `class ${d.name}: an association cannot derive from the non-association class ${sup.name}`);
    }
    const isAssociation = qBool(classQuals, Q.association);

    // ---- properties
    const props = new Map<string, CimPropertyDecl>();
    if (sup) for (const [k, p] of sup.properties) props.set(k, this.propagateProperty(p));
    const supHasKeys = sup ? sup.keys.length > 0 : false;
    const localNames = new Map<string, MofPos>();
    for (const pd of d.properties) {
      const k = nameKey(pd.name);
      if (localNames.has(k)) {
        this.error(pd.pos, `class ${d.name}: property ${pd.name} is declared twice`);
        continue;
      }
      localNames.set(k, pd.pos);
      const inherited = sup?.properties.get(k);
      const p = this.buildProperty(d.name, pd, inherited, supHasKeys);
      if (p) props.set(k, p);
    }

    // ---- methods
    const methods = new Map<string, CimMethodDecl>();
    if (sup) for (const [k, m] of sup.methods) methods.set(k, this.propagateMethod(m));
    const localMethods = new Set<string>();
    for (const md of d.methods) {
      const k = nameKey(md.name);
      if (localMethods.has(k)) {
        this.error(md.pos, `class ${d.name}: method ${md.name} is declared twice`);
        continue;
      }
      if (localNames.has(k)) {
        this.error(md.pos, `class ${d.name}: ${md.name} is both a property and a method`);
        continue;
      }
      localMethods.add(k);
      const m = this.buildMethod(d.name, md, sup?.methods.get(k));
      if (m) methods.set(k, m);
    }
    for (const k of localNames.keys()) {
      if (!localMethods.has(k) && sup?.methods.has(k)) this.error(localNames.get(k)!, `class ${d.name}: property ${d.properties.find((p) => nameKey(p.name) === k)!.name} has the name of an inherited method`);
    }

    if (this.diags.length !== before) throw new ClassFailure();

    const sortedProperties = [...props.values()].sort((a, b) => propertyOrder(a.name, b.name));
    const keys = sortedProperties.filter((p) => p.key);
    const cls: CimClass = {
      name: d.name,
      ...(supName !== undefined ? { superClass: supName } : {}),
      namespace: this.ns,
      qualifiers: own,
      properties: props,
      sortedProperties,
      keys,
      methods,
      isAbstract: qBool(own, Q.abstract),
      isAssociation,
      isIndication: qBool(classQuals, Q.indication),
      ancestry: sup ? [d.name, ...sup.ancestry] : [d.name],
    };
    return { cls, classQuals };
  }

  // ---- qualifiers --------------------------------------------------------------------------------

  private useQualifiers(list: readonly MofQualifier[], kind: ElementKind, className: string): Map<string, EffectiveQualifier> {
    const out = new Map<string, EffectiveQualifier>();
    for (const q of list) {
      const k = nameKey(q.name);
      if (out.has(k)) {
        this.error(q.pos, `qualifier ${q.name} is given twice`);
        continue;
      }
      try {
        out.set(k, this.table.use(q, kind, className));
      } catch (e) {
        if (e instanceof QualifierUseError) {
          this.error(q.pos, e.message);
          continue;
        }
        throw e;
      }
    }
    return out;
  }

  /** Inherited (ToSubclass) qualifiers overlaid with local ones; DisableOverride is enforced. */
  private merge(
    inherited: EffectiveQualifiers | undefined,
    local: ReadonlyMap<string, EffectiveQualifier>,
    what: string,
    pos: MofPos,
  ): Map<string, EffectiveQualifier> {
    const out = new Map<string, EffectiveQualifier>();
    if (inherited) for (const [k, q] of inherited) if (q.toSubclass) out.set(k, q);
    for (const [k, q] of local) {
      const prev = out.get(k);
      if (prev && !prev.overridable && !sameQualifierValue(prev.value, q.value)) {
        this.error(pos, `${what}: qualifier ${prev.name} cannot be changed (DisableOverride; set in ${prev.definedIn})`);
        continue;
      }
      out.set(k, q);
    }
    return out;
  }

  private inheritedOnly(qs: QualifierMap): { map: Map<string, EffectiveQualifier>; changed: boolean } {
    const map = new Map<string, EffectiveQualifier>();
    let changed = false;
    for (const [k, q] of qs) {
      const e = q as EffectiveQualifier;
      if (e.toSubclass === false) {
        changed = true;
        continue;
      }
      map.set(k, e);
    }
    return { map, changed };
  }

  // ---- properties --------------------------------------------------------------------------------

  private propagateProperty(p: CimPropertyDecl): CimPropertyDecl {
    const { map, changed } = this.inheritedOnly(p.qualifiers);
    if (p.propagated && !changed) return p;
    return makeProperty({
      name: p.name,
      type: p.type,
      isArray: p.isArray,
      arraySize: p.arraySize,
      refClass: p.refClass,
      classOrigin: p.classOrigin,
      propagated: true,
      qualifiers: map,
      defaultValue: p.defaultValue,
    });
  }

  private buildProperty(className: string, pd: MofPropertyDecl, inherited: CimPropertyDecl | undefined, supHasKeys: boolean): CimPropertyDecl | undefined {
    const t = mapType(pd.type);
    const kind: ElementKind = t.type === 'reference' ? 'reference' : 'property';
    const local = this.useQualifiers(pd.qualifiers, kind, className);
    const what = `${className}.${pd.name}`;
    const override = qString(local, Q.override);
    if (override !== undefined && nameKey(overriddenName(override)) !== nameKey(pd.name)) {
      this.error(pd.pos, `${what}: Override("${override}") must name the property itself`);
    }
    if (!inherited && local.has(Q.override)) {
      this.error(pd.pos, `${what}: Override, but no superclass declares a property ${pd.name}`);
    }
    // DSP0004 allows REF properties only in associations, but Microsoft's MOF has them elsewhere
    // (Msvm_SummaryInformation.TestReplicaSystem), and Windows is the reference: no check here.
    const isArray = pd.array !== undefined;
    if (inherited) {
      if (inherited.type !== t.type || inherited.isArray !== isArray) {
        this.error(pd.pos, `${what}: override changes the type from ${typeText(inherited)} to ${typeText({ type: t.type, isArray, refClass: t.refClass })}`);
      } else if (t.refClass && inherited.refClass && nameKey(t.refClass) !== nameKey(inherited.refClass)) {
        this.refChecks.push({ pos: pd.pos, what, className: t.refClass, mustBeA: inherited.refClass, kind: t.type === 'reference' ? 'REF' : 'embedded object' });
      }
    }
    if (t.refClass && !(inherited && inherited.refClass && nameKey(inherited.refClass) === nameKey(t.refClass))) {
      this.refChecks.push({ pos: pd.pos, what, className: t.refClass, kind: t.type === 'reference' ? 'REF' : 'embedded object' });
    }
    const quals = this.merge(inherited?.qualifiers as EffectiveQualifiers | undefined, local, what, pd.pos);
    const isKey = qBool(quals, Q.key);
    if (local.has(Q.key) && qBool(local, Q.key) && !(inherited?.key ?? false) && supHasKeys) {
      this.error(pd.pos, `${what}: Key is declared on ${inherited ? 'an override of a non-key property' : 'a new property'}, but the superclass already has keys`);
    }
    if (isKey && (isArray || t.type === 'instance')) this.error(pd.pos, `${what}: a key cannot be an array or an embedded object`);
    this.checkEmbedded(quals, t.type, what, pd.pos, !!local.get(Q.embeddedInstance), inherited);
    this.checkValueMap(quals, what, pd.pos);

    let defaultValue: CimValue | undefined = inherited?.defaultValue;
    if (pd.defaultValue !== undefined) {
      defaultValue = this.typedDefault(t.type, isArray, pd.defaultValue, what, pd.pos);
    }
    return makeProperty({
      name: pd.name,
      type: t.type,
      isArray,
      arraySize: pd.array?.size,
      refClass: t.refClass,
      classOrigin: inherited?.classOrigin ?? className,
      propagated: false,
      qualifiers: quals,
      defaultValue,
      embeddedObjectType: pd.type.kind === 'object',
    });
  }

  private typedDefault(type: CimType, isArray: boolean, v: MofValue, what: string, pos: MofPos): CimValue | undefined {
    if (v.kind === 'null') return null;
    if (type === 'reference' || type === 'instance') {
      this.error(pos, `${what}: default values are not supported for ${type === 'reference' ? 'references' : 'embedded objects'}`);
      return undefined;
    }
    try {
      return typedLiteral(type, isArray, v);
    } catch (e) {
      if (e instanceof LiteralTypeError) {
        this.error(pos, `${what}: default value: ${e.message}`);
        return undefined;
      }
      throw e;
    }
  }

  /**
   * EmbeddedInstance must name a class of the namespace; an override may narrow it only to a
   * subclass (Msvm_VirtualSystemMigrationSettingData for CIM_VirtualSystemMigrationSettingData).
   */
  private checkEmbedded(
    quals: EffectiveQualifiers,
    type: CimType,
    what: string,
    pos: MofPos,
    local: boolean,
    inherited: { embeddedInstance?: string } | undefined,
  ): void {
    const ei = quals.get(Q.embeddedInstance);
    if (ei) {
      if (type !== 'string') this.error(pos, `${what}: EmbeddedInstance applies only to string elements`);
      else if (typeof ei.value === 'string' && local) {
        const base = inherited?.embeddedInstance;
        const narrows = base !== undefined && nameKey(base) !== nameKey(ei.value);
        this.refChecks.push({ pos, what, className: ei.value, kind: 'EmbeddedInstance', ...(narrows ? { mustBeA: base } : {}) });
      }
    }
    const eo = quals.get(Q.embeddedObject);
    if (eo && eo.value === true && type !== 'string') this.error(pos, `${what}: EmbeddedObject applies only to string elements`);
  }

  private checkValueMap(quals: EffectiveQualifiers, what: string, pos: MofPos): void {
    const vm = qStrings(quals, Q.valueMap);
    const vs = qStrings(quals, Q.values);
    if (vm && vs && vm.length !== vs.length) {
      this.error(pos, `${what}: ValueMap has ${vm.length} entries but Values has ${vs.length}`);
    }
  }

  // ---- methods -----------------------------------------------------------------------------------

  private propagateMethod(m: CimMethodDecl): CimMethodDecl {
    const { map, changed } = this.inheritedOnly(m.qualifiers);
    let paramsChanged = false;
    const params = m.parameters.map((p) => {
      const r = this.inheritedOnly(p.qualifiers);
      if (!r.changed) return p;
      paramsChanged = true;
      return makeParameter({ name: p.name, type: p.type, isArray: p.isArray, arraySize: p.arraySize, refClass: p.refClass, qualifiers: r.map });
    });
    if (m.propagated && !changed && !paramsChanged) return m;
    return makeMethod({ name: m.name, returnType: m.returnType, parameters: params, qualifiers: map, classOrigin: m.classOrigin, propagated: true });
  }

  private buildMethod(className: string, md: MofMethodDecl, inherited: CimMethodDecl | undefined): CimMethodDecl | undefined {
    const what = `${className}.${md.name}()`;
    const local = this.useQualifiers(md.qualifiers, 'method', className);
    const override = qString(local, Q.override);
    if (override !== undefined && nameKey(overriddenName(override)) !== nameKey(md.name)) {
      this.error(md.pos, `${what}: Override("${override}") must name the method itself`);
    }
    if (!inherited && local.has(Q.override)) this.error(md.pos, `${what}: Override, but no superclass declares a method ${md.name}`);
    if (md.returnType.kind !== 'intrinsic') {
      this.error(md.pos, `${what}: a method must return an intrinsic type`);
      return undefined;
    }
    const returnType = md.returnType.name;
    if (inherited && inherited.returnType !== returnType) {
      this.error(md.pos, `${what}: override changes the return type from ${inherited.returnType} to ${returnType}`);
    }
    const quals = this.merge(inherited?.qualifiers as EffectiveQualifiers | undefined, local, what, md.pos);
    this.checkValueMap(quals, what, md.pos);

    if (inherited) {
      const sig = (ps: readonly { name: string }[]) => ps.map((p) => nameKey(p.name)).join(',');
      if (sig(inherited.parameters) !== sig(md.parameters)) {
        this.error(md.pos, `${what}: override changes the parameter list from (${inherited.parameters.map((p) => p.name).join(', ')}) to (${md.parameters.map((p) => p.name).join(', ')})`);
      }
    }
    const seen = new Set<string>();
    const parameters: CimParameterDecl[] = [];
    for (const pd of md.parameters) {
      const k = nameKey(pd.name);
      if (seen.has(k)) {
        this.error(pd.pos, `${what}: parameter ${pd.name} is declared twice`);
        continue;
      }
      seen.add(k);
      const p = this.buildParameter(className, md.name, pd, inherited?.parameterMap.get(k));
      if (p) parameters.push(p);
    }
    return makeMethod({
      name: md.name,
      returnType,
      parameters,
      qualifiers: quals,
      classOrigin: inherited?.classOrigin ?? className,
      propagated: false,
    });
  }

  private buildParameter(className: string, method: string, pd: MofParameterDecl, inherited: CimParameterDecl | undefined): CimParameterDecl | undefined {
    const what = `${className}.${method}(${pd.name})`;
    const t = mapType(pd.type);
    const local = this.useQualifiers(pd.qualifiers, 'parameter', className);
    const isArray = pd.array !== undefined;
    if (inherited) {
      if (inherited.type !== t.type || inherited.isArray !== isArray) {
        this.error(pd.pos, `${what}: override changes the parameter type from ${typeText(inherited)} to ${typeText({ type: t.type, isArray, refClass: t.refClass })}`);
      } else if (t.refClass && inherited.refClass && nameKey(t.refClass) !== nameKey(inherited.refClass)) {
        this.refChecks.push({ pos: pd.pos, what, className: t.refClass, mustBeA: inherited.refClass, kind: t.type === 'reference' ? 'REF' : 'embedded object' });
      }
    }
    if (t.refClass && !(inherited && inherited.refClass && nameKey(inherited.refClass) === nameKey(t.refClass))) {
      this.refChecks.push({ pos: pd.pos, what, className: t.refClass, kind: t.type === 'reference' ? 'REF' : 'embedded object' });
    }
    const quals = this.merge(inherited?.qualifiers as EffectiveQualifiers | undefined, local, what, pd.pos);
    this.checkEmbedded(quals, t.type, what, pd.pos, !!local.get(Q.embeddedInstance), inherited);
    this.checkValueMap(quals, what, pd.pos);
    if (pd.defaultValue !== undefined) this.typedDefault(t.type, isArray, pd.defaultValue, what, pd.pos);
    return makeParameter({ name: pd.name, type: t.type, isArray, arraySize: pd.array?.size, refClass: t.refClass, qualifiers: quals, embeddedObjectType: pd.type.kind === 'object' });
  }

  // ---- namespace-wide checks ---------------------------------------------------------------------

  private checkRefs(byName: ReadonlyMap<string, CimClass>): void {
    for (const c of this.refChecks) {
      const target = byName.get(nameKey(c.className));
      if (!target) {
        this.error(c.pos, `${c.what}: ${c.kind} names class ${c.className}, which is not declared in namespace ${this.ns}`);
        continue;
      }
      if (c.mustBeA && !target.ancestry.some((a) => nameKey(a) === nameKey(c.mustBeA!))) {
        this.error(c.pos, `${c.what}: an override may narrow ${c.mustBeA} only to a subclass, and ${c.className} is not one`);
      }
    }
  }

  private checkAssociation(c: CimClass, pos: MofPos): void {
    if (!c.isAssociation) return;
    let refs = 0;
    for (const p of c.properties.values()) if (p.type === 'reference') refs++;
    if (refs < 2) this.error(pos, `association ${c.name} must have at least two REF properties (has ${refs})`);
  }
}

class ClassFailure extends Error {}

// ---- instances -----------------------------------------------------------------------------------

class InstanceResolver {
  private readonly aliases = new Map<string, MofInstanceDecl>();
  private readonly refCache = new Map<string, CimRef>();

  constructor(
    private readonly ns: string,
    private readonly classes: ReadonlyMap<string, CimClass>,
    private readonly decls: readonly MofInstanceDecl[],
    private readonly diags: MofDiagnostic[],
  ) {}

  run(): MofDeclaredInstance[] {
    for (const d of this.decls) {
      if (d.alias === undefined) continue;
      const k = nameKey(d.alias);
      if (this.aliases.has(k)) this.diags.push({ pos: d.pos, message: `alias $${d.alias} is already defined` });
      else this.aliases.set(k, d);
    }
    const out: MofDeclaredInstance[] = [];
    for (const d of this.decls) {
      const inst = this.instance(d, true);
      if (inst) out.push({ ...inst, namespace: this.ns, ...(d.alias !== undefined ? { alias: d.alias } : {}), pos: d.pos });
    }
    return out;
  }

  private instance(d: MofInstanceDecl, topLevel: boolean): CimInstance | undefined {
    const cls = this.classes.get(nameKey(d.className));
    if (!cls) {
      this.diags.push({ pos: d.pos, message: `instance of ${d.className}: class is not declared in namespace ${this.ns}` });
      return undefined;
    }
    if (cls.isAbstract && topLevel) {
      this.diags.push({ pos: d.pos, message: `instance of ${cls.name}: the class is abstract` });
      return undefined;
    }
    const props: Record<string, CimValue> = {};
    for (const p of cls.properties.values()) if (p.defaultValue !== undefined) props[p.name] = p.defaultValue;
    const seen = new Set<string>();
    for (const init of d.properties) {
      const p = cls.properties.get(nameKey(init.name));
      if (!p) {
        this.diags.push({ pos: init.pos, message: `instance of ${cls.name}: class has no property ${init.name}` });
        continue;
      }
      if (seen.has(nameKey(init.name))) {
        this.diags.push({ pos: init.pos, message: `instance of ${cls.name}: property ${init.name} is set twice` });
        continue;
      }
      seen.add(nameKey(init.name));
      const v = this.value(p, init.value, init.pos, `${cls.name}.${p.name}`);
      if (v !== undefined) props[p.name] = v;
    }
    return { className: cls.name, namespace: this.ns, props };
  }

  private value(p: CimPropertyDecl, v: MofValue, pos: MofPos, what: string): CimValue | undefined {
    if (v.kind === 'null') return null;
    if (p.isArray && v.kind === 'array') {
      const items: CimScalar[] = [];
      for (const item of v.items) {
        const s = this.value({ ...p, isArray: false }, item, pos, what);
        if (s === undefined) return undefined;
        if (s === null || Array.isArray(s)) {
          this.diags.push({ pos, message: `${what}: array elements cannot be NULL or arrays` });
          return undefined;
        }
        items.push(s as CimScalar);
      }
      return items;
    }
    if (v.kind === 'alias') {
      if (p.type !== 'reference') {
        this.diags.push({ pos, message: `${what}: an alias can only be assigned to a reference` });
        return undefined;
      }
      return this.aliasRef(v.name, pos, what, 0);
    }
    if (v.kind === 'instance') {
      if (p.type !== 'instance' && !(p.type === 'string' && (p.embeddedInstance || p.embeddedObject))) {
        this.diags.push({ pos, message: `${what}: an embedded instance can only be assigned to an embedded-object property` });
        return undefined;
      }
      return this.instance(v.instance, false);
    }
    if (p.type === 'reference') {
      this.diags.push({ pos, message: `${what}: give references as $alias (object-path strings are not supported here)` });
      return undefined;
    }
    if (p.type === 'instance') {
      this.diags.push({ pos, message: `${what}: give embedded objects as 'instance of …'` });
      return undefined;
    }
    try {
      return typedLiteral(p.type, p.isArray, v);
    } catch (e) {
      if (e instanceof LiteralTypeError) {
        this.diags.push({ pos, message: `${what}: ${e.message}` });
        return undefined;
      }
      throw e;
    }
  }

  private aliasRef(alias: string, pos: MofPos, what: string, depth: number): CimRef | undefined {
    const k = nameKey(alias);
    const cached = this.refCache.get(k);
    if (cached) return cached;
    const d = this.aliases.get(k);
    if (!d) {
      this.diags.push({ pos, message: `${what}: alias $${alias} is not defined` });
      return undefined;
    }
    if (depth > 16) {
      this.diags.push({ pos, message: `${what}: alias $${alias} refers back to itself through its keys` });
      return undefined;
    }
    const cls = this.classes.get(nameKey(d.className));
    if (!cls) return undefined;
    const keys: Record<string, CimScalar> = {};
    for (const kp of cls.keys) {
      const init = d.properties.find((i) => nameKey(i.name) === nameKey(kp.name));
      let v: CimValue | undefined = kp.defaultValue;
      if (init) {
        v = init.value.kind === 'alias' ? this.aliasRef(init.value.name, init.pos, what, depth + 1) : this.value(kp, init.value, init.pos, `${cls.name}.${kp.name}`);
      }
      if (v === undefined || v === null || Array.isArray(v)) {
        this.diags.push({ pos, message: `${what}: alias $${alias} has no value for key ${kp.name}` });
        return undefined;
      }
      keys[kp.name] = v as CimScalar;
    }
    const ref: CimRef = { className: cls.name, namespace: this.ns, keys };
    this.refCache.set(k, ref);
    return ref;
  }
}

// ---- construction helpers ------------------------------------------------------------------------

/** Override("X") or WMI's Override("CIM_Class.X"): the element name. */
function overriddenName(value: string): string {
  const dot = value.lastIndexOf('.');
  return dot >= 0 ? value.slice(dot + 1) : value;
}

function mapType(t: MofTypeRef): { type: CimType; refClass?: string } {
  switch (t.kind) {
    case 'intrinsic':
      return { type: t.name };
    case 'ref':
      return { type: 'reference', refClass: t.className };
    case 'class':
      return { type: 'instance', refClass: t.className };
    case 'object':
      return { type: 'instance' };
  }
}

function typeText(t: { type: CimType; isArray: boolean; refClass?: string }): string {
  const base = t.type === 'reference' ? `${t.refClass} REF` : t.type === 'instance' ? (t.refClass ?? 'object') : t.type;
  return t.isArray ? `${base}[]` : base;
}

function valueMapOf(quals: EffectiveQualifiers): { valueMap?: readonly string[]; values?: readonly string[] } {
  const valueMap = qStrings(quals, Q.valueMap);
  const values = qStrings(quals, Q.values);
  // Values without ValueMap enumerate 0..n-1 (DSP0004 Values qualifier); make the map explicit
  const vm = valueMap ?? (values ? values.map((_, i) => String(i)) : undefined);
  return { ...(vm ? { valueMap: vm } : {}), ...(values ? { values } : {}) };
}

/** What a property and a method parameter declare alike. */
interface FeatureParts {
  name: string;
  type: CimType;
  isArray: boolean;
  arraySize?: number;
  refClass?: string;
  qualifiers: Map<string, EffectiveQualifier>;
  embeddedObjectType?: boolean;
}

interface PropertyParts extends FeatureParts {
  classOrigin: string;
  propagated: boolean;
  defaultValue?: CimValue;
}

function embeddedParts(quals: EffectiveQualifiers, embeddedObjectType: boolean | undefined): { embeddedInstance?: string; embeddedObject?: boolean } {
  const ei = qString(quals, Q.embeddedInstance);
  const eo = qBool(quals, Q.embeddedObject) || embeddedObjectType === true;
  return { ...(ei !== undefined ? { embeddedInstance: ei } : {}), ...(eo ? { embeddedObject: true } : {}) };
}

/** The leading fields of a property or parameter declaration, in the order both write them. */
function featureFields(p: FeatureParts) {
  return {
    name: p.name,
    type: p.type,
    isArray: p.isArray,
    ...(p.arraySize !== undefined ? { arraySize: p.arraySize } : {}),
    ...(p.refClass !== undefined ? { refClass: p.refClass } : {}),
    ...embeddedParts(p.qualifiers, p.embeddedObjectType),
    qualifiers: p.qualifiers as ReadonlyMap<string, CimQualifier>,
  };
}

function makeProperty(p: PropertyParts): CimPropertyDecl {
  const q = p.qualifiers;
  return {
    ...featureFields(p),
    classOrigin: p.classOrigin,
    propagated: p.propagated,
    key: qBool(q, Q.key),
    required: qBool(q, Q.required),
    writeable: qBool(q, Q.write),
    ...valueMapOf(q),
    ...(p.defaultValue !== undefined ? { defaultValue: p.defaultValue } : {}),
  };
}

function makeParameter(p: FeatureParts): CimParameterDecl {
  const q = p.qualifiers;
  const inQ = q.get(Q.in);
  const outQ = q.get(Q.out);
  const out = outQ?.value === true;
  const isIn = inQ ? inQ.value === true : !out;
  return {
    ...featureFields(p),
    in: isIn,
    out,
    required: qBool(q, Q.required),
    ...valueMapOf(q),
  };
}

function makeMethod(m: { name: string; returnType: CimType; parameters: readonly CimParameterDecl[]; qualifiers: Map<string, EffectiveQualifier>; classOrigin: string; propagated: boolean }): CimMethodDecl {
  const q = m.qualifiers;
  return {
    name: m.name,
    returnType: m.returnType,
    parameters: m.parameters,
    parameterMap: new Map(m.parameters.map((p) => [nameKey(p.name), p])),
    qualifiers: q as ReadonlyMap<string, CimQualifier>,
    classOrigin: m.classOrigin,
    propagated: m.propagated,
    isStatic: qBool(q, Q.static),
    implemented: qBool(q, Q.implemented),
    ...valueMapOf(q),
  };
}
