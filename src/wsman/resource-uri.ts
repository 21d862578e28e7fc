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

/** Resolve a request's ResourceURI and SelectorSet. Throws WsmanFault or CimError. */
export function resolveResource(uri: string | undefined, selectors: readonly Selector[], schema: SchemaRegistry): ResolvedResource {
  if (!uri) throw invalidUri('');
  const { cimNamespace, keys } = splitSelectors(selectors);
  const lc = lower(uri);

  if (lc.startsWith(WMI_LC)) {
    const path = uri.slice(WMI_URI_PREFIX.length);
    const slash = path.lastIndexOf('/');
    if (slash <= 0) throw invalidUri(uri);
    const ns = requireNamespace(schema, normaliseNamespace(path.slice(0, slash)));
    if (cimNamespace !== undefined && lower(cimNamespace) !== lower(ns)) throw new WsmanFault('DifferentCimSelector');
    const className = path.slice(slash + 1);
    if (className === '*') return { resource: { kind: 'all', form: 'wmi', namespace: ns }, keySelectors: keys };
    if (!className) throw invalidUri(uri);
    return { resource: { kind: 'class', form: 'wmi', namespace: ns, cls: requireClass(schema, ns, className) }, keySelectors: keys };
  }
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
