/**
 * The class registry: every CIM class the emulator knows, per namespace, built from the compiled
 * MOF (schemas/*.mof is the single source of truth). Lookups are case-insensitive; namespaces
 * accept `\` or `/` and any casing, and answer with the repository's own spelling.
 *
 * Everything is resolved once at load; the only lazily computed (and cached) answer is
 * {@link CimRegistry.subclasses}, which polymorphic enumeration asks on the hot path.
 */
import { CimError, CimStatus } from './errors.js';
import type { CimClass } from './types.js';
import { nameKey } from './types.js';
import type { MofCompilation } from './mof/compiler.js';
import { normaliseNamespace } from './mof/compiler.js';
import type { MofPos, MofQualifierTypeDecl } from './mof/ast.js';
import { resolveSchema, type MofDeclaredInstance, type ResolvedNamespace, type ResolvedSchema } from './mof/resolver.js';

export interface SubclassOptions {
  /** all descendants (true) or direct subclasses only (false) */
  readonly deep: boolean;
  /** put the class itself first */
  readonly includeSelf: boolean;
}

interface NamespaceEntry {
  readonly resolved: ResolvedNamespace;
  /** lower-cased class name → direct subclasses, in declaration order */
  readonly children: ReadonlyMap<string, readonly CimClass[]>;
  readonly subclassCache: Map<string, readonly CimClass[]>;
}

const EMPTY: readonly CimClass[] = Object.freeze([]);

export class CimRegistry {
  private readonly byNs = new Map<string, NamespaceEntry>();
  private readonly nsNames: readonly string[];

  private constructor(namespaces: readonly ResolvedNamespace[]) {
    for (const r of namespaces) {
      const children = new Map<string, CimClass[]>();
      for (const c of r.classes) {
        if (c.superClass === undefined) continue;
        const k = nameKey(c.superClass);
        let list = children.get(k);
        if (!list) children.set(k, (list = []));
        list.push(c);
      }
      this.byNs.set(nsKey(r.name), { resolved: r, children, subclassCache: new Map() });
    }
    this.nsNames = namespaces.map((r) => r.name);
  }

  /** Resolve and validate a compilation. Throws MofSchemaError (file:line for each problem). */
  static fromCompilation(comp: MofCompilation): CimRegistry {
    return new CimRegistry(resolveSchema(comp).namespaces);
  }

  /** From an already resolved schema (e.g. read back from the schema cache). */
  static fromResolved(schema: ResolvedSchema): CimRegistry {
    return new CimRegistry(schema.namespaces);
  }

  /** The repository spelling of a namespace (`root\Virtualization\V2` → `root/virtualization/v2`), if known. */
  canonicalNamespace(ns: string): string | undefined {
    return this.byNs.get(nsKey(ns))?.resolved.name;
  }

  hasNamespace(ns: string): boolean {
    return this.byNs.has(nsKey(ns));
  }

  namespaces(): readonly string[] {
    return this.nsNames;
  }

  /** Classes of a namespace in declaration order (empty for an unknown namespace). */
  classes(ns: string): readonly CimClass[] {
    return this.byNs.get(nsKey(ns))?.resolved.classes ?? EMPTY;
  }

  getClass(ns: string, name: string): CimClass | undefined {
    return this.byNs.get(nsKey(ns))?.resolved.byName.get(nameKey(name));
  }

  /** Like getClass, but an unknown namespace or class is the CIM error WMI reports for it. */
  requireClass(ns: string, name: string): CimClass {
    const entry = this.byNs.get(nsKey(ns));
    if (!entry) throw new CimError(CimStatus.INVALID_NAMESPACE, `Invalid namespace '${ns}'.`);
    const cls = entry.resolved.byName.get(nameKey(name));
    if (!cls) throw new CimError(CimStatus.INVALID_CLASS, `Invalid class '${name}'.`);
    return cls;
  }

  /** True when `className` is `ancestor` or derives from it (false if either is unknown). */
  isA(ns: string, className: string, ancestor: string): boolean {
    const cls = this.getClass(ns, className);
    if (!cls) return false;
    const a = nameKey(ancestor);
    for (const n of cls.ancestry) if (nameKey(n) === a) return true;
    return false;
  }

  /**
   * Subclasses of a class: pre-order (a class before its own subclasses), siblings in declaration
   * order. Unknown class or namespace → empty. The answer is cached per (class, options).
   */
  subclasses(ns: string, name: string, opts: SubclassOptions): readonly CimClass[] {
    const entry = this.byNs.get(nsKey(ns));
    if (!entry) return EMPTY;
    const k = nameKey(name);
    const cacheKey = `${k}|${opts.deep ? 1 : 0}${opts.includeSelf ? 1 : 0}`;
    const hit = entry.subclassCache.get(cacheKey);
    if (hit) return hit;
    const self = entry.resolved.byName.get(k);
    if (!self) return EMPTY;
    const out: CimClass[] = [];
    if (opts.includeSelf) out.push(self);
    const walk = (c: CimClass) => {
      for (const child of entry.children.get(nameKey(c.name)) ?? EMPTY) {
        out.push(child);
        if (opts.deep) walk(child);
      }
    };
    walk(self);
    const frozen = Object.freeze(out);
    entry.subclassCache.set(cacheKey, frozen);
    return frozen;
  }

  /** Instances declared in MOF (`instance of X { … };`) for a namespace, in declaration order. */
  declaredInstances(ns: string): readonly MofDeclaredInstance[] {
    return this.byNs.get(nsKey(ns))?.resolved.instances ?? [];
  }

  /** Qualifier declarations of a namespace (for class metadata output). */
  qualifierDeclarations(ns: string): readonly MofQualifierTypeDecl[] {
    return this.byNs.get(nsKey(ns))?.resolved.qualifiers.all() ?? [];
  }

  /** Where a class was declared (for diagnostics and tooling). */
  sourceOf(ns: string, className: string): MofPos | undefined {
    return this.byNs.get(nsKey(ns))?.resolved.sources.get(nameKey(className));
  }
}

function nsKey(ns: string): string {
  return normaliseNamespace(ns).toLowerCase();
}
