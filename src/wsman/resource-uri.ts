/**
 * Request resource URIs → what they address (wire notes §1.3): a class in the WMI form
 * (`…/wsman/1/wmi/<ns>/<Class>`) or the DMTF form (`…/cim-schema/2/<Class>` + `__cimnamespace`),
 * the all-classes forms (`…/wmi/<ns>/*`, `…/wscim/1/*`), the CIM-XML class metadata forms and the
 * WinRM configuration. URIs are matched case-insensitively; what we write back uses the
 * repository's spelling.
 */
import { CimError, CimStatus } from '../cim/errors.js';
import type { SchemaRegistry } from '../cim/provider.js';
import type { CimClass } from '../cim/types.js';
import { WsmanFault } from '../faults/catalogue.js';
import type { Selector } from './epr.js';
import {
  CIMXML_CLASS_URI_PREFIX, DMTF_ALL_CLASSES_URI, DMTF_CLASS_URI_PREFIX, WMI_URI_PREFIX, WSMAN_CONFIG_URI, type UriForm,
} from './uris.js';

export const CIM_NAMESPACE_SELECTOR = '__cimnamespace';

/** Windows' default namespace for a DMTF-form URI without __cimnamespace (MS-WSMV 3.1.4.1.1). */
export const DMTF_DEFAULT_NAMESPACE = 'root/hardware';

export type Resource =
  | { readonly kind: 'class'; readonly form: UriForm; readonly namespace: string; readonly cls: CimClass }
  | { readonly kind: 'all'; readonly form: UriForm; readonly namespace: string }
  | { readonly kind: 'cimxml'; readonly namespace: string; readonly className?: string }
  | { readonly kind: 'config' };

export interface ResolvedResource {
  readonly resource: Resource;
  /** the selectors other than __cimnamespace (the instance keys) */
  readonly keySelectors: readonly Selector[];
}

const lower = (s: string) => s.toLowerCase();
const WMI_LC = lower(WMI_URI_PREFIX);
const DMTF_LC = lower(DMTF_CLASS_URI_PREFIX);
const DMTF_ALL_LC = lower(DMTF_ALL_CLASSES_URI);
const CIMXML_LC = lower(CIMXML_CLASS_URI_PREFIX);
const CONFIG_LC = lower(WSMAN_CONFIG_URI);

function normaliseNamespace(ns: string): string {
  return ns.replace(/\\/g, '/').replace(/^\/+|\/+$/g, '');
}

function invalidUri(uri: string): WsmanFault {
  return new WsmanFault('InvalidResourceURI', {
    detailMessage: `The WS-Management service cannot process the request. The resource URI (${uri}) was not found in the WS-Management catalog. The catalog contains the metadata that describes resources, or logical endpoints. `,
  });
}

/** Split selectors into __cimnamespace and the rest; duplicates are a fault. */
export function splitSelectors(selectors: readonly Selector[]): { cimNamespace?: string; keys: Selector[] } {
  if (selectors.length === 0) return { keys: [] };
  const seen = new Set<string>();
  let cimNamespace: string | undefined;
  const keys: Selector[] = [];
  for (const s of selectors) {
    const k = lower(s.name);
    if (seen.has(k)) throw new WsmanFault('InvalidSelectorsDuplicate');
    seen.add(k);
    if (k === CIM_NAMESPACE_SELECTOR) {
      if (typeof s.value !== 'string') throw new WsmanFault('InvalidSelectorsTypeMismatch');
      cimNamespace = normaliseNamespace(s.value);
    } else {
      keys.push(s);
    }
  }
  return { cimNamespace, keys };
}

function requireNamespace(schema: SchemaRegistry, ns: string): string {
  const canonical = schema.canonicalNamespace(ns);
  if (!canonical) throw new CimError(CimStatus.INVALID_NAMESPACE, `The CIM namespace ${ns} is invalid.`);
  return canonical;
}

function requireClass(schema: SchemaRegistry, ns: string, name: string): CimClass {
  const cls = schema.getClass(ns, name);
  if (!cls) throw new CimError(CimStatus.INVALID_CLASS, `The class ${name} does not exist in the ${ns} namespace.`);
  return cls;
}

/**
 * WMI-form URIs already resolved, per schema: the same few URIs arrive on every request, and
 * resolving one (lower-casing, namespace normalisation, class lookup) costs more than looking it
 * up. Only URIs that resolved are kept; schemas never change once loaded. Bounded: emptied when full.
 */
const WMI_CACHE_SIZE = 1024;
const wmiResolved = new WeakMap<SchemaRegistry, Map<string, Resource>>();

/** Resolve a request's ResourceURI and SelectorSet. Throws WsmanFault or CimError. */
export function resolveResource(uri: string | undefined, selectors: readonly Selector[], schema: SchemaRegistry): ResolvedResource {
  if (!uri) throw invalidUri('');
  const { cimNamespace, keys } = splitSelectors(selectors);
  let cache = wmiResolved.get(schema);
  const hit = cache?.get(uri);
  if (hit && hit.kind !== 'config' && hit.kind !== 'cimxml') {
    if (cimNamespace !== undefined && lower(cimNamespace) !== lower(hit.namespace)) throw new WsmanFault('DifferentCimSelector');
    return { resource: hit, keySelectors: keys };
  }
  const lc = lower(uri);

  if (lc.startsWith(WMI_LC)) {
    const resource = resolveWmi(uri, cimNamespace, schema);
    if (!cache) wmiResolved.set(schema, (cache = new Map()));
    if (cache.size >= WMI_CACHE_SIZE) cache.clear();
    cache.set(uri, resource);
    return { resource, keySelectors: keys };
  }
  return resolveOther(uri, lc, cimNamespace, keys, schema);
}

/** A WMI-form URI: `…/wsman/1/wmi/<namespace>/<Class or *>`. */
function resolveWmi(uri: string, cimNamespace: string | undefined, schema: SchemaRegistry): Resource {
  const path = uri.slice(WMI_URI_PREFIX.length);
  const slash = path.lastIndexOf('/');
  if (slash <= 0) throw invalidUri(uri);
  const ns = requireNamespace(schema, normaliseNamespace(path.slice(0, slash)));
  if (cimNamespace !== undefined && lower(cimNamespace) !== lower(ns)) throw new WsmanFault('DifferentCimSelector');
  const className = path.slice(slash + 1);
  if (className === '*') return { kind: 'all', form: 'wmi', namespace: ns };
  if (!className) throw invalidUri(uri);
  return { kind: 'class', form: 'wmi', namespace: ns, cls: requireClass(schema, ns, className) };
}

function resolveOther(uri: string, lc: string, cimNamespace: string | undefined, keys: Selector[], schema: SchemaRegistry): ResolvedResource {
  if (lc === DMTF_ALL_LC) {
    const ns = requireNamespace(schema, cimNamespace ?? DMTF_DEFAULT_NAMESPACE);
    return { resource: { kind: 'all', form: 'dmtf', namespace: ns }, keySelectors: keys };
  }
  if (lc.startsWith(DMTF_LC)) {
    const className = uri.slice(DMTF_CLASS_URI_PREFIX.length);
    if (!className || className.includes('/')) throw invalidUri(uri);
    const ns = requireNamespace(schema, cimNamespace ?? DMTF_DEFAULT_NAMESPACE);
    if (className === '*') return { resource: { kind: 'all', form: 'dmtf', namespace: ns }, keySelectors: keys };
    return { resource: { kind: 'class', form: 'dmtf', namespace: ns, cls: requireClass(schema, ns, className) }, keySelectors: keys };
  }
  if (lc.startsWith(CIMXML_LC)) {
    const className = uri.slice(CIMXML_CLASS_URI_PREFIX.length);
    const ns = requireNamespace(schema, cimNamespace ?? DMTF_DEFAULT_NAMESPACE);
    return { resource: { kind: 'cimxml', namespace: ns, className: className === '*' || !className ? undefined : className }, keySelectors: keys };
  }
  if (lc === CONFIG_LC || lc.startsWith(CONFIG_LC + '/')) {
    return { resource: { kind: 'config' }, keySelectors: keys };
  }
  throw invalidUri(uri);
}
