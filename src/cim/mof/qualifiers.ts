/**
 * Qualifier semantics: typing qualifier values by their declarations, flavors (DSP0004 §5.6.1.3)
 * and scopes. The declarations themselves live in MOF (schemas/cim/qualifiers.mof); this module
 * only knows the rules, never a particular qualifier — except the handful whose *meaning* the
 * resolver needs (Key, Override, Abstract …), named in {@link Q}.
 */
import type { CimQualifier, QualifierValue } from '../types.js';
import { nameKey } from '../types.js';
import type { MofFlavor, MofQualifier, MofQualifierTypeDecl, MofScope } from './ast.js';
import { LiteralTypeError, qualifierLiteral } from './literals.js';

/** Lower-cased names of the qualifiers whose meaning the resolver implements. */
export const Q = {
  abstract: 'abstract',
  association: 'association',
  indication: 'indication',
  key: 'key',
  override: 'override',
  required: 'required',
  write: 'write',
  valueMap: 'valuemap',
  values: 'values',
  embeddedInstance: 'embeddedinstance',
  embeddedObject: 'embeddedobject',
  implemented: 'implemented',
  static: 'static',
  in: 'in',
  out: 'out',
} as const;

/** A qualifier in effect on an element, with what the flavors say about inheritance. */
export interface EffectiveQualifier extends CimQualifier {
  /** ToSubclass (true) vs Restricted (false) */
  readonly toSubclass: boolean;
  /** EnableOverride (true) vs DisableOverride (false) */
  readonly overridable: boolean;
  /** class whose MOF wrote this value */
  readonly definedIn: string;
}

export type EffectiveQualifiers = ReadonlyMap<string, EffectiveQualifier>;

/** Element kinds a qualifier can be applied to (matched against Scope(...)). */
export type ElementKind = Exclude<MofScope, 'any' | 'qualifier'>;

export class QualifierUseError extends Error {}

/** The qualifier declarations of one namespace, keyed by lower-cased name. */
export class QualifierTable {
  private readonly decls = new Map<string, MofQualifierTypeDecl>();

  add(decl: MofQualifierTypeDecl): MofQualifierTypeDecl | undefined {
    const k = nameKey(decl.name);
    const prev = this.decls.get(k);
    if (!prev) this.decls.set(k, decl);
    return prev;
  }

  get(name: string): MofQualifierTypeDecl | undefined {
    return this.decls.get(nameKey(name));
  }

  all(): readonly MofQualifierTypeDecl[] {
    return [...this.decls.values()];
  }

  /**
   * Type one qualifier as written on an element of `kind` in class `className`.
   * Throws {@link QualifierUseError} for an undeclared qualifier, a scope violation or a bad value.
   */
  use(q: MofQualifier, kind: ElementKind, className: string): EffectiveQualifier {
    const decl = this.get(q.name);
    if (!decl) throw new QualifierUseError(`qualifier ${q.name} is not declared (add it to the namespace's qualifier declarations)`);
    if (!scopeAllows(decl.scopes, kind)) {
      throw new QualifierUseError(`qualifier ${decl.name} cannot be used on a ${kind} (its scope is ${decl.scopes.join(', ')})`);
    }
    let value: QualifierValue;
    if (q.value === undefined) {
      if (decl.type !== 'boolean' || decl.array) throw new QualifierUseError(`qualifier ${decl.name} needs a value`);
      value = true;
    } else {
      try {
        value = qualifierLiteral(decl.type, decl.array !== undefined, q.value);
      } catch (e) {
        if (e instanceof LiteralTypeError) throw new QualifierUseError(`qualifier ${decl.name}: ${e.message}`);
        throw e;
      }
    }
    const fl = effectiveFlavors(decl.flavors, q.flavors);
    return { name: q.name, value, toSubclass: fl.toSubclass, overridable: fl.overridable, definedIn: className };
  }
}

function scopeAllows(scopes: readonly MofScope[], kind: ElementKind): boolean {
  if (scopes.includes('any') || scopes.includes(kind)) return true;
  // DSP0004: an association or indication is a class; Scope(class) alone does not admit them,
  // but WMI schemas routinely put class-scoped qualifiers on associations, and so do we.
  return (kind === 'association' || kind === 'indication') && scopes.includes('class');
}

/** Flavors written on a use override the declared defaults; DSP0004 defaults are ToSubclass + EnableOverride. */
function effectiveFlavors(declared: readonly MofFlavor[], used: readonly MofFlavor[]): { toSubclass: boolean; overridable: boolean } {
  let toSubclass = true;
  let overridable = true;
  for (const f of [...declared, ...used]) {
    switch (f) {
      case 'restricted':
      case 'nottosubclass':
        toSubclass = false;
        break;
      case 'tosubclass':
        toSubclass = true;
        break;
      case 'disableoverride':
        overridable = false;
        break;
      case 'enableoverride':
        overridable = true;
        break;
      default:
        break; // translatable / amended / toinstance: no effect on the class model
    }
  }
  return { toSubclass, overridable };
}

/** Read helpers over effective qualifier maps. */
export function qBool(qs: EffectiveQualifiers, key: string): boolean {
  return qs.get(key)?.value === true;
}

export function qString(qs: EffectiveQualifiers, key: string): string | undefined {
  const v = qs.get(key)?.value;
  return typeof v === 'string' ? v : undefined;
}

export function qStrings(qs: EffectiveQualifiers, key: string): readonly string[] | undefined {
  const v = qs.get(key)?.value;
  if (!Array.isArray(v)) return undefined;
  return v.map((x) => String(x));
}
