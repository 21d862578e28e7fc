/**
 * The CIM object manager of one host: the WMI service's role. It owns no data; it routes
 * operations to providers by class, handles polymorphism (a base class's instances are its
 * subclasses' instances), partial key resolution, method signature checks and association
 * traversal, all against the MOF-derived schema.
 */
import { CimError, CimStatus, CimValueError } from './errors.js';
import { matchesKeys, refEquals, refIdentity, refOf } from './compare.js';
import type { InstanceProvider, MethodResult, OperationContext, ProviderTable, SchemaRegistry } from './provider.js';
import type { CimClass, CimInstance, CimMethodDecl, CimRef, CimScalar, CimValue } from './types.js';
import { isRef } from './types.js';
import { checkValue } from './values.js';

export interface AssociationFilter {
  /** association class (and its subclasses) */
  readonly assocClass?: string;
  /** the class the far end must be (isA) */
  readonly resultClass?: string;
  /** the reference property that points at the source object */
  readonly role?: string;
  /** the reference property that points at the result */
  readonly resultRole?: string;
}

export class ObjectManager {
  constructor(
    readonly schema: SchemaRegistry,
    private readonly providers: ProviderTable,
  ) {}

  /** The class, or CimError INVALID_NAMESPACE / INVALID_CLASS. */
  requireClass(namespace: string, className: string): CimClass {
    if (!this.schema.hasNamespace(namespace)) {
      throw new CimError(CimStatus.INVALID_NAMESPACE, `The namespace ${namespace} does not exist.`);
    }
    const cls = this.schema.getClass(namespace, className);
    if (!cls) throw new CimError(CimStatus.INVALID_CLASS, `The class ${className} does not exist in the ${namespace} namespace.`);
    return cls;
  }

  providerFor(cls: CimClass): InstanceProvider | undefined {
    return this.providers.get(cls.name.toLowerCase());
  }

  /** deep subclasses (self first) per namespace and class: asked on every Get and Enumerate */
  private readonly families = new Map<string, WeakMap<CimClass, readonly CimClass[]>>();

  /** The class and all its subclasses in `namespace` (the schema's answer, remembered). */
  private family(namespace: string, cls: CimClass): readonly CimClass[] {
    let byClass = this.families.get(namespace);
    if (!byClass) this.families.set(namespace, (byClass = new WeakMap()));
    let f = byClass.get(cls);
    if (!f) byClass.set(cls, (f = this.schema.subclasses(namespace, cls.name, { deep: true, includeSelf: true })));
    return f;
  }

  /** Instances of a class and (when deep) of all its subclasses, lazily. */
  *enumerate(ctx: OperationContext, cls: CimClass, deep = true): Iterable<CimInstance> {
    const classes = deep ? this.family(ctx.namespace, cls) : [cls];
    for (const c of classes) {
      const p = this.providerFor(c);
      if (p) yield* p.enumerate(ctx, c);
    }
  }

  /**
   * `enumerate` filtered by `keep`, where `keep` reads only the properties `names`: providers that
   * can give those cheaply (`enumeratePartial`) are asked for partial instances, and only the kept
   * ones are built whole. Same instances, same order as filtering `enumerate`.
   */
  *enumerateMatching(ctx: OperationContext, cls: CimClass, names: readonly string[], keep: (inst: CimInstance) => boolean): Iterable<CimInstance> {
    for (const c of this.family(ctx.namespace, cls)) {
      const p = this.providerFor(c);
      if (!p) continue;
      const partials = p.enumeratePartial?.(ctx, c, names);
      if (partials) {
        for (const x of partials) if (keep(x.partial)) yield x.full();
      } else {
        for (const inst of p.enumerate(ctx, c)) if (keep(inst)) yield inst;
      }
    }
  }

  /** Cheap total of instances when providers can count; undefined otherwise. */
  count(ctx: OperationContext, cls: CimClass): number | undefined {
    let n = 0;
    for (const c of this.family(ctx.namespace, cls)) {
      const p = this.providerFor(c);
      if (!p) continue;
      if (!p.count) return undefined;
      n += p.count(ctx, c);
    }
    return n;
  }

  /**
   * Instances of `cls` (or subclasses) whose given keys match. With every key given and a
   * provider `get`, this is a direct lookup; otherwise a scan that stops after `limit` matches.
   */
  find(ctx: OperationContext, cls: CimClass, keys: Readonly<Record<string, CimScalar>>, limit = 2): CimInstance[] {
    const out: CimInstance[] = [];
    const complete = cls.keys.length > 0 && cls.keys.every((k) => keys[k.name] !== undefined);
    for (const c of this.family(ctx.namespace, cls)) {
      const p = this.providerFor(c);
      if (!p) continue;
      if (complete && p.get) {
        const inst = p.get(ctx, c, keys);
        if (inst && matchesKeys(inst, keys)) out.push(inst);
      } else {
        for (const inst of p.enumerate(ctx, c)) {
          if (matchesKeys(inst, keys)) {
            out.push(inst);
            if (out.length >= limit) return out;
          }
        }
      }
      if (out.length >= limit) return out;
    }
    return out;
  }

  /** Exactly one instance for a reference, or CimError NOT_FOUND. */
  get(ctx: OperationContext, ref: CimRef): { inst: CimInstance; cls: CimClass } {
    const ns = ref.namespace ? this.schema.canonicalNamespace(ref.namespace) ?? ref.namespace : ctx.namespace;
    const nctx = ns === ctx.namespace ? ctx : { ...ctx, namespace: ns };
    const cls = this.requireClass(ns, ref.className);
    const found = this.find(nctx, cls, ref.keys, 1);
    if (found.length === 0) {
      throw new CimError(CimStatus.NOT_FOUND, 'No instance found with given property values.', { operation: 'GetObject' });
    }
    const inst = found[0];
    return { inst, cls: this.schema.getClass(ns, inst.className) ?? cls };
  }

  refOf(ctx: OperationContext, inst: CimInstance): CimRef {
    const cls = this.schema.getClass(inst.namespace ?? ctx.namespace, inst.className);
    if (!cls) throw new CimError(CimStatus.INVALID_CLASS, `The class ${inst.className} does not exist.`);
    return refOf(inst, cls, inst.namespace ?? ctx.namespace);
  }

  /** Put: change writable properties of an existing instance. */
  modify(ctx: OperationContext, ref: CimRef, changes: Readonly<Record<string, CimValue>>): CimInstance {
    const { inst, cls } = this.get(ctx, ref);
    for (const [name, value] of Object.entries(changes)) {
      const decl = cls.properties.get(name.toLowerCase());
      if (!decl) throw new CimError(CimStatus.NO_SUCH_PROPERTY, `The property ${name} does not exist in class ${cls.name}.`);
      checkValue(decl, value);
    }
    const p = this.providerFor(cls);
    if (!p?.modify) throw new CimError(CimStatus.NOT_SUPPORTED, `Instances of ${cls.name} cannot be modified.`, { operation: 'PutInstance' });
    return p.modify(ctx, cls, inst, changes);
  }

  delete(ctx: OperationContext, ref: CimRef): void {
    const { inst, cls } = this.get(ctx, ref);
    const p = this.providerFor(cls);
    if (!p?.delete) throw new CimError(CimStatus.NOT_SUPPORTED, `Instances of ${cls.name} cannot be deleted.`, { operation: 'DeleteInstance' });
    p.delete(ctx, cls, inst);
  }

  create(ctx: OperationContext, cls: CimClass, inst: CimInstance): CimRef {
    const p = this.providerFor(cls);
    if (!p?.create) throw new CimError(CimStatus.NOT_SUPPORTED, `Instances of ${cls.name} cannot be created.`, { operation: 'PutInstance' });
    return p.create(ctx, cls, inst);
  }

  /**
   * Invoke an extrinsic method. `target` is undefined for static methods. Arguments must be in
   * parameters of the method, already typed; out values are checked against the MOF.
   */
  invoke(
    ctx: OperationContext,
    cls: CimClass,
    method: CimMethodDecl,
    target: CimInstance | undefined,
    args: Readonly<Record<string, CimValue>>,
  ): MethodResult {
    for (const [name, value] of Object.entries(args)) {
      const p = method.parameterMap.get(name.toLowerCase());
      if (!p || !p.in) throw new CimError(CimStatus.INVALID_PARAMETER, `The method ${method.name} has no in parameter ${name}.`);
      checkValue(p, value);
    }
    const owner = target ? this.schema.getClass(ctx.namespace, target.className) ?? cls : cls;
    const p = this.providerFor(owner);
    if (!p?.invoke) {
      throw new CimError(CimStatus.NOT_SUPPORTED, 'This method is not implemented in any class ', {
        hresult: 0x80041055, operation: 'ExecMethod',
      });
    }
    const result = p.invoke(ctx, owner, method, target, args);
    if (result.out) {
      for (const [name, value] of Object.entries(result.out)) {
        const decl = method.parameterMap.get(name.toLowerCase());
        if (!decl || !decl.out) throw new CimValueError(`Provider returned unknown out parameter ${name}.`);
        checkValue(decl, value);
      }
    }
    return result;
  }

  /** Association instances that reference `ref` (DMTF AssociationInstances / WQL REFERENCES OF). */
  *references(ctx: OperationContext, ref: CimRef, filter: Pick<AssociationFilter, 'assocClass' | 'role'>): Iterable<CimInstance> {
    for (const assoc of this.associationClasses(ctx, filter.assocClass)) {
      for (const inst of this.referencing(ctx, assoc, ref, filter.role)) yield inst;
    }
  }

  /** Instances associated with `ref` (DMTF AssociatedInstances / WQL ASSOCIATORS OF), de-duplicated. */
  *associators(ctx: OperationContext, ref: CimRef, filter: AssociationFilter): Iterable<CimInstance> {
    const seen = new Set<string>();
    for (const assoc of this.associationClasses(ctx, filter.assocClass)) {
      const refProps = assoc.sortedProperties.filter((p) => p.type === 'reference');
      for (const a of this.referencing(ctx, assoc, ref, filter.role)) {
        for (const near of refProps) {
          const nv = a.props[near.name];
          if (!isRef(nv) || !refEquals(nv, ref)) continue;
          if (filter.role && near.name.toLowerCase() !== filter.role.toLowerCase()) continue;
          for (const far of refProps) {
            if (far === near) continue;
            if (filter.resultRole && far.name.toLowerCase() !== filter.resultRole.toLowerCase()) continue;
            const fv = a.props[far.name];
            if (!isRef(fv)) continue;
            const id = refIdentity(fv);
            if (seen.has(id)) continue;
            let target: { inst: CimInstance; cls: CimClass };
            try {
              target = this.get(ctx, fv);
            } catch {
              continue; // a dangling end is skipped, as WMI does
            }
            if (filter.resultClass && !this.schema.isA(ctx.namespace, target.cls.name, filter.resultClass)) continue;
            seen.add(id);
            yield target.inst;
          }
        }
      }
    }
  }

  private associationClasses(ctx: OperationContext, assocClass: string | undefined): readonly CimClass[] {
    if (assocClass) {
      const cls = this.requireClass(ctx.namespace, assocClass);
      if (!cls.isAssociation) return [];
      return this.family(ctx.namespace, cls);
    }
    return this.schema.classes(ctx.namespace).filter((c) => c.isAssociation);
  }

  private *referencing(ctx: OperationContext, assoc: CimClass, ref: CimRef, role: string | undefined): Iterable<CimInstance> {
    const p = this.providerFor(assoc);
    if (!p) return;
    const source = p.referencesTo ? p.referencesTo(ctx, assoc, ref, role) : p.enumerate(ctx, assoc);
    for (const inst of source) {
      for (const decl of assoc.sortedProperties) {
        if (decl.type !== 'reference') continue;
        if (role && decl.name.toLowerCase() !== role.toLowerCase()) continue;
        const v = inst.props[decl.name];
        if (isRef(v) && refEquals(v, ref)) {
          yield inst;
          break;
        }
      }
    }
  }
}
