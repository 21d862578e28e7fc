/**
 * What an Enumerate enumerates: the instances of a class (polymorphic), a WQL query, a
 * SelectorFilter, or an association traversal (DSP0227 §8.2), each as a lazy sequence.
 */
import { scalarEquals } from '../../cim/compare.js';
import { CimError, CimStatus, CimValueError } from '../../cim/errors.js';
import type { OperationContext } from '../../cim/provider.js';
import type { CimClass, CimInstance, CimPropertyDecl, CimScalar } from '../../cim/types.js';
import { parseScalarText } from '../../cim/values.js';
import { prepareQuery, type WqlSchema } from '../../cim/wql/index.js';
import { WsmanFault } from '../../faults/catalogue.js';
import { attr, childElements, textOf, type XmlElement } from '../../xml/dom.js';
import type { WsmanCall } from '../call.js';
import { parseEpr, parseSelectorSet, type Selector } from '../epr.js';
import { classMetadataItems } from './class-metadata.js';
import { NS } from '../namespaces.js';
import type { Resource } from '../resource-uri.js';
import { eprToRef } from '../selectors.js';

export const DIALECT = {
  wql: 'http://schemas.microsoft.com/wbem/wsman/1/wql',
  selector: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/selectorfilter',
  association: 'http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationfilter',
} as const;

export interface Item {
  readonly inst: CimInstance;
  readonly cls: CimClass;
}

export interface EnumerationSource {
  readonly instances: Iterable<Item>;
  /** a WQL select list: the properties to write, as w:XmlFragment */
  readonly projection?: readonly string[];
  /** association filter IncludeResultProperty: instances written with only these properties */
  readonly includeProperties?: readonly string[];
  /** a custom item writer (class metadata), replacing the instance writers */
  readonly render?: (inst: CimInstance, cls: CimClass) => string;
}

type EnumerableResource = Exclude<Resource, { kind: 'config' }>;

function noFilterMessage(): WsmanFault {
  return new WsmanFault('CannotProcessFilter', {
    detailMessage: 'There is no filter specified for the given dialect. ',
  });
}

/** Instances with their classes, resolving each instance's own class once per class name. */
function* withClasses(instances: Iterable<CimInstance>, call: WsmanCall, ns: string): Iterable<Item> {
  const cache = new Map<string, CimClass | undefined>();
  for (const inst of instances) {
    let cls = cache.get(inst.className);
    if (cls === undefined && !cache.has(inst.className)) {
      cls = call.host.om.schema.getClass(inst.namespace ?? ns, inst.className);
      cache.set(inst.className, cls);
    }
    if (cls) yield { inst, cls };
  }
}

function* filtered(items: Iterable<Item>, keep: (i: Item) => boolean): Iterable<Item> {
  for (const i of items) if (keep(i)) yield i;
}

export function wqlSchema(call: WsmanCall, ns: string): WqlSchema {
  const schema = call.host.om.schema;
  return {
    getClass: (name) => schema.getClass(ns, name),
    isA: (name, ancestor) => schema.isA(ns, name, ancestor),
  };
}

export function buildSource(
  call: WsmanCall,
  resource: EnumerableResource,
  filterEl: XmlElement | undefined,
  octx: OperationContext,
  keys: readonly Selector[] = [],
): EnumerationSource {
  const om = call.host.om;
  const ns = resource.namespace;
  if (resource.kind === 'cimxml') {
    if (filterEl) throw new WsmanFault('FilteringNotSupported');
    const { items, render } = classMetadataItems(call, ns, resource.className, keys);
    return { instances: items, render };
  }
  if (!filterEl) {
    if (resource.kind !== 'class') throw noFilterMessage();
    return { instances: withClasses(om.enumerate(octx, resource.cls, true), call, ns) };
  }
  const dialect = (attr(filterEl, 'Dialect') ?? '').trim().toLowerCase();
  switch (dialect) {
    case DIALECT.wql:
      return wqlSource(call, resource, textOf(filterEl).trim(), octx);
    case DIALECT.selector:
      if (resource.kind !== 'class') throw new WsmanFault('CannotProcessFilter', { detailMessage: 'A SelectorFilter needs a class-specific resource URI. ' });
      return selectorSource(call, resource.cls, filterEl, octx);
    case DIALECT.association:
      if (resource.kind !== 'all') throw new WsmanFault('CannotProcessFilter', { detailMessage: 'An association filter needs the all-classes resource URI. ' });
      return associationSource(call, filterEl, octx);
    default:
      throw new WsmanFault('FilterDialectRequestedUnavailable');
  }
}

function wqlSource(call: WsmanCall, resource: EnumerableResource, query: string, octx: OperationContext): EnumerationSource {
  const ns = resource.namespace;
  if (resource.kind === 'class' && resource.form === 'wmi') throw new WsmanFault('WqlRequiresStarUri');
  if (!query) throw noFilterMessage();
  const q = prepareQuery(query, wqlSchema(call, ns));
  const om = call.host.om;
  if (q.kind === 'select') {
    if (resource.kind === 'class' && !om.schema.isA(ns, q.fromClass.name, resource.cls.name)) {
      throw new CimError(CimStatus.INVALID_QUERY, `The query class ${q.fromClass.name} is not the class of the resource URI.`, { parameterInfo: query });
    }
    const ectx = { host: call.host.name, namespace: ns };
    const names = q.whereProperties;
    if (names !== undefined && q.where) {
      // the WHERE reads plain properties only: decide on partial instances, build the kept ones
      const classes = new Map<string, CimClass | undefined>();
      const classOf = (inst: CimInstance): CimClass | undefined => {
        let c = classes.get(inst.className);
        if (c === undefined && !classes.has(inst.className)) classes.set(inst.className, (c = om.schema.getClass(inst.namespace ?? ns, inst.className)));
        return c;
      };
      const keep = (inst: CimInstance): boolean => {
        const c = classOf(inst);
        return c !== undefined && q.matches(inst, c, ectx);
      };
      const items = withClasses(om.enumerateMatching(octx, q.fromClass, names, keep), call, ns);
      return { instances: items, projection: q.properties === '*' ? undefined : q.properties };
    }
    const items = filtered(withClasses(om.enumerate(octx, q.fromClass, true), call, ns), (i) => q.matches(i.inst, i.cls, ectx));
    return { instances: items, projection: q.properties === '*' ? undefined : q.properties };
  }
  const ref = { ...q.object, namespace: q.object.namespace ?? ns };
  if (q.kind === 'associators') {
    return {
      instances: withClasses(om.associators(octx, ref, {
        assocClass: q.assocClass, resultClass: q.resultClass, role: q.role, resultRole: q.resultRole,
      }), call, ns),
    };
  }
  return { instances: withClasses(om.references(octx, ref, { assocClass: q.resultClass, role: q.role }), call, ns) };
}

/** SelectorFilter (MS-WSMV 3.1.4.1.13): equality on scalar, non-datetime, non-reference properties. */
function selectorSource(call: WsmanCall, cls: CimClass, filterEl: XmlElement, octx: OperationContext): EnumerationSource {
  const setEl = childElements(filterEl).find((c) => c.ns === NS.w && c.local === 'SelectorSet');
  if (!setEl) throw noFilterMessage();
  let selectors;
  try {
    selectors = parseSelectorSet(setEl);
  } catch {
    throw new WsmanFault('CannotProcessFilter');
  }
  const wanted: Array<[CimPropertyDecl, CimScalar]> = [];
  const seen = new Set<string>();
  for (const s of selectors) {
    const decl = cls.properties.get(s.name.toLowerCase());
    const bad = (why: string) => new WsmanFault('CannotProcessFilter', { detailMessage: `The selector ${s.name} cannot be used in a SelectorFilter: ${why}. ` });
    if (!decl) throw bad('the class has no such property');
    if (seen.has(decl.name)) throw bad('it is given twice');
    seen.add(decl.name);
    if (decl.isArray || decl.type === 'datetime' || decl.type === 'reference' || decl.type === 'instance') throw bad(`its type (${decl.type}${decl.isArray ? '[]' : ''}) is not supported`);
    if (typeof s.value !== 'string' || /["']/.test(s.value)) throw bad('the value is not a plain value');
    try {
      wanted.push([decl, parseScalarText(decl.type, s.value, decl.name)]);
    } catch (e) {
      if (e instanceof CimValueError) throw bad('the value does not fit the property type');
      throw e;
    }
  }
  const om = call.host.om;
  const items = filtered(withClasses(om.enumerate(octx, cls, true), call, octx.namespace), ({ inst }) =>
    wanted.every(([d, v]) => {
      const have = inst.props[d.name];
      return have !== null && have !== undefined && !Array.isArray(have) && scalarEquals(have as CimScalar, v);
    }),
  );
  return { instances: items };
}

function assocText(el: XmlElement, local: string): string | undefined {
  const c = childElements(el).find((x) => x.ns === NS.b && x.local === local);
  const t = c ? textOf(c).trim() : undefined;
  return t ? t : undefined;
}

/** DMTF association filter (DSP0227 §8.2): AssociatedInstances / AssociationInstances. */
function associationSource(call: WsmanCall, filterEl: XmlElement, octx: OperationContext): EnumerationSource {
  const kids = childElements(filterEl);
  if (kids.length !== 1 || kids[0].ns !== NS.b) throw noFilterMessage();
  const f = kids[0];
  const objEl = childElements(f).find((c) => c.ns === NS.b && c.local === 'Object');
  if (!objEl) throw new WsmanFault('CannotProcessFilter', { detailMessage: 'The association filter has no Object. ' });
  const ref = eprToRef(parseEpr(objEl), call.host.om.schema, octx.namespace);
  const om = call.host.om;
  const include = childElements(f).filter((c) => c.ns === NS.b && c.local === 'IncludeResultProperty').map((c) => textOf(c).trim());
  const checkClass = (name: string | undefined) => {
    if (name && !om.schema.getClass(octx.namespace, name)) {
      throw new CimError(CimStatus.INVALID_CLASS, `The class ${name} does not exist in the ${octx.namespace} namespace.`, { operation: 'ExecQuery' });
    }
  };
  // the source object must exist (WMI answers NOT_FOUND otherwise)
  om.get(octx, ref);
  if (f.local === 'AssociatedInstances') {
    const assocClass = assocText(f, 'AssociationClassName');
    const resultClass = assocText(f, 'ResultClassName');
    checkClass(assocClass);
    checkClass(resultClass);
    return {
      instances: withClasses(om.associators(octx, ref, {
        assocClass, resultClass, role: assocText(f, 'Role'), resultRole: assocText(f, 'ResultRole'),
      }), call, octx.namespace),
      includeProperties: include.length ? include : undefined,
    };
  }
  if (f.local === 'AssociationInstances') {
    const resultClass = assocText(f, 'ResultClassName');
    checkClass(resultClass);
    return {
      instances: withClasses(om.references(octx, ref, { assocClass: resultClass, role: assocText(f, 'Role') }), call, octx.namespace),
      includeProperties: include.length ? include : undefined,
    };
  }
  throw noFilterMessage();
}
