/**
 * WMI system properties usable in WHERE and select lists (WmiSdk/wmi-system-properties.md).
 * Each one is computed from the instance, its class and the evaluation context; the path-valued
 * ones build a string, so they cost an allocation per instance only in queries that use them.
 *
 * `__THIS` is not a value: it only appears as `__THIS ISA "Class"` (schema-query syntax that WMI
 * also accepts in data queries); the evaluator treats it like `__CLASS ISA`.
 */
import { formatObjectPath, formatRelPath, refOfInstance, wmiNamespace } from '../objectpath.js';
import type { CimClass, CimInstance, CimType, CimValue } from '../types.js';

export interface EvalContext {
  /** the host answering the query (`__SERVER`, the server part of `__PATH`) */
  readonly host: string;
  /** the query's namespace, `root/virtualization/v2` or `root\virtualization\v2` */
  readonly namespace: string;
}

export type Getter = (inst: CimInstance, cls: CimClass, ctx: EvalContext) => CimValue | undefined;

export interface SystemProperty {
  /** canonical spelling */
  readonly name: string;
  readonly type: CimType;
  readonly isArray: boolean;
  readonly get: Getter;
}

/** `__NAMESPACE` text for a context, remembered because the context rarely changes. */
function namespaceGetter(): Getter {
  let lastIn = '';
  let lastOut = '';
  return (_i, _c, ctx) => {
    if (ctx.namespace !== lastIn) {
      lastIn = ctx.namespace;
      lastOut = wmiNamespace(ctx.namespace);
    }
    return lastOut;
  };
}

function define(name: string, type: CimType, isArray: boolean, get: Getter): [string, SystemProperty] {
  return [name, { name, type, isArray, get }];
}

/** Keyed by upper-case name. */
export const SYSTEM_PROPERTIES: ReadonlyMap<string, SystemProperty> = new Map([
  define('__CLASS', 'string', false, (_i, cls) => cls.name),
  define('__SUPERCLASS', 'string', false, (_i, cls) => cls.superClass ?? null),
  define('__DYNASTY', 'string', false, (_i, cls) => cls.ancestry[cls.ancestry.length - 1] ?? cls.name),
  define('__DERIVATION', 'string', true, (_i, cls) => cls.ancestry.slice(1)),
  // 2 = WBEM_GENUS_INSTANCE: data queries only return instances
  define('__GENUS', 'sint32', false, () => 2),
  define('__PROPERTY_COUNT', 'sint32', false, (_i, cls) => cls.properties.size),
  define('__SERVER', 'string', false, (_i, _c, ctx) => ctx.host),
  define('__NAMESPACE', 'string', false, namespaceGetter()),
  define('__RELPATH', 'string', false, (inst, cls) => {
    const ref = refOfInstance(inst, cls);
    return ref ? formatRelPath(ref) : null;
  }),
  define('__PATH', 'string', false, (inst, cls, ctx) => {
    const ref = refOfInstance(inst, cls, { host: ctx.host, namespace: ctx.namespace });
    return ref ? formatObjectPath(ref) : null;
  }),
]);

export function systemProperty(name: string): SystemProperty | undefined {
  return SYSTEM_PROPERTIES.get(name.toUpperCase());
}
