/**
 * Selector sets → typed CIM keys, and EPRs → CIM references (wire notes §1.3, §3.3). Selector
 * names and string values are case-insensitive; a partial key set resolves when it matches one
 * instance (libvirt addresses the management service by CreationClassName alone).
 */
import { CimError, CimStatus, CimValueError } from '../cim/errors.js';
import type { ObjectManager } from '../cim/object-manager.js';
import type { OperationContext, SchemaRegistry } from '../cim/provider.js';
import type { CimClass, CimInstance, CimRef, CimScalar } from '../cim/types.js';
import { parseScalarText } from '../cim/values.js';
import { WsmanFault } from '../faults/catalogue.js';
import type { Epr, Selector } from './epr.js';
import { resolveResource } from './resource-uri.js';

/** Typed key values (declared names) from selectors. Throws WsmanFault InvalidSelectors. */
export function typedKeys(cls: CimClass, selectors: readonly Selector[], schema: SchemaRegistry, namespace: string): Record<string, CimScalar> {
  const keys: Record<string, CimScalar> = {};
  for (const s of selectors) {
    const decl = cls.properties.get(s.name.toLowerCase());
    if (!decl || !decl.key) {
      throw new WsmanFault('InvalidSelectorsUnexpected', {
        detailMessage: `The following selector is not a key property of the resource accessed : ${s.name}.  Use selectors that are key properties for the resource that you want to access. `,
      });
    }
    if (keys[decl.name] !== undefined) throw new WsmanFault('InvalidSelectorsDuplicate');
    if (typeof s.value !== 'string') {
      if (decl.type !== 'reference') throw new WsmanFault('InvalidSelectorsTypeMismatch');
      keys[decl.name] = eprToRef(s.value, schema, namespace);
      continue;
    }
    if (decl.type === 'reference' || decl.type === 'instance') throw new WsmanFault('InvalidSelectorsTypeMismatch');
    try {
      keys[decl.name] = parseScalarText(decl.type, s.value, decl.name);
    } catch (e) {
      if (e instanceof CimValueError) {
        throw new WsmanFault('InvalidSelectorsTypeMismatch', {
          detailMessage: `The WS-Management service cannot process the request because a value for a selector is of the wrong type: ${s.name}. `,
        });
      }
      throw e;
    }
  }
  return keys;
}

/** An EPR (from a REF parameter, selector value or association filter) as a CIM reference. */
export function eprToRef(epr: Epr, schema: SchemaRegistry, defaultNamespace: string): CimRef {
  if (!epr.resourceUri) {
    throw new WsmanFault('InvalidParameter', {
      detailMessage: 'The WS-Management service cannot process the request because the Endpoint Reference does not contain a WS-Management ResourceURI element. ',
    });
  }
  const { resource, keySelectors } = resolveResource(epr.resourceUri, epr.selectors, schema);
  if (resource.kind !== 'class') {
    throw new WsmanFault('InvalidParameter', {
      detailMessage: `The endpoint reference does not address a class: ${epr.resourceUri}. `,
    });
  }
  const keys = typedKeys(resource.cls, keySelectors, schema, resource.namespace ?? defaultNamespace);
  return { className: resource.cls.name, namespace: resource.namespace, keys };
}

function isSingleton(cls: CimClass): boolean {
  const q = cls.qualifiers.get('singleton');
  return cls.keys.length === 0 || (q !== undefined && q.value === true);
}

/**
 * The one instance the selectors address. Complete keys → a lookup; a partial set → resolved when
 * unique (AmbiguousSelectors otherwise); no keys → only for singletons.
 */
export function resolveInstance(
  om: ObjectManager,
  ctx: OperationContext,
  cls: CimClass,
  keys: Readonly<Record<string, CimScalar>>,
): { inst: CimInstance; cls: CimClass } {
  const given = Object.keys(keys).length;
  if (given === 0 && !isSingleton(cls)) throw new WsmanFault('InvalidSelectorsSingleton');
  const found = om.find(ctx, cls, keys, 2);
  if (found.length === 0) {
    throw new CimError(CimStatus.NOT_FOUND, 'No instance found with given property values.', {
      parameterInfo: pathText(cls.name, keys),
    });
  }
  if (found.length > 1) throw new WsmanFault('InvalidSelectorsAmbiguous');
  const inst = found[0];
  return { inst, cls: om.schema.getClass(ctx.namespace, inst.className) ?? cls };
}

/** `Class.Key="v",…` for __ExtendedStatus.ParameterInfo (WMI relative path form). */
export function pathText(className: string, keys: Readonly<Record<string, CimScalar>>): string {
  const parts = Object.entries(keys).map(([k, v]) => `${k}=${typeof v === 'string' ? JSON.stringify(v) : String(v)}`);
  return parts.length ? `${className}.${parts.join(',')}` : className;
}
