/**
 * WS-Transfer on CIM instances: Get, Put (writable properties only), Delete and Create
 * (MS-WSMV 3.1.4.2–3.1.4.5; examples 4.1.1, 4.1.3).
 */
import { CimError, CimStatus } from '../../cim/errors.js';
import { scalarEquals } from '../../cim/compare.js';
import type { CimClass, CimInstance, CimScalar, CimValue } from '../../cim/types.js';
import { WsmanFault } from '../../faults/catalogue.js';
import { operationContext, optionValues, readContext, renderContext, requireClassResource, requireWrite, type WsmanCall } from '../call.js';
import { readFeature, groupChildren } from '../read/values.js';
import { renderEprContent, renderInstance } from '../render/instance.js';
import type { WsmanResponse } from '../request.js';
import { resolveResource } from '../resource-uri.js';
import { resolveInstance, typedKeys } from '../selectors.js';
import { dmtfClassUri, wmiClassUri } from '../uris.js';
import { getClassMetadata } from './class-metadata.js';
import { renderConfig } from './config.js';

const T = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/';

function target(call: WsmanCall) {
  const { resource, keySelectors } = resolveResource(call.req.headers.resourceUri, call.req.headers.selectors, call.host.om.schema);
  return { resource, keySelectors };
}

/** The instance a request addresses; `resolved` is the request's resource when already resolved. */
function resolveTarget(call: WsmanCall, resolved: ReturnType<typeof target> = target(call)) {
  const { resource, keySelectors } = resolved;
  requireClassResource(resource);
  const ctx = operationContext(call, resource.namespace);
  const keys = typedKeys(resource.cls, keySelectors, call.host.om.schema, resource.namespace);
  const found = resolveInstance(call.host.om, ctx, resource.cls, keys);
  return { resource, ctx, ...found };
}

export function get(call: WsmanCall): WsmanResponse {
  const resolved = target(call);
  const { resource, keySelectors } = resolved;
  if (resource.kind === 'config') return { kind: 'transfer', action: T + 'GetResponse', body: renderConfig(call.host) };
  if (resource.kind === 'cimxml') return getClassMetadata(call, resource.namespace, resource.className, keySelectors);
  const { inst, cls, resource: r } = resolveTarget(call, resolved);
  const body = renderInstance(inst, cls, renderContext(call, r.form, r.namespace));
  return { kind: 'transfer', action: T + 'GetResponse', body };
}

/** The properties a Put representation changes, checked against the MOF's Write qualifiers. */
function changedProperties(call: WsmanCall, cls: CimClass, current: CimInstance, namespace: string): Record<string, CimValue> {
  const body = call.req.body;
  if (!body) throw new WsmanFault('InvalidRepresentationMissing');
  const ns = body.ns.toLowerCase();
  const okNs = [wmiClassUri(namespace, cls.name), dmtfClassUri(cls.name)].some((u) => u.toLowerCase() === ns);
  if (!okNs || body.local.toLowerCase() !== cls.name.toLowerCase()) {
    throw new WsmanFault('InvalidRepresentationNamespace', {
      detailMessage: `Cannot update an instance of class ${cls.name} using a representation of an instance for class ${body.local}; please provide a representation of an instance for class ${cls.name}. `,
    });
  }
  const rc = readContext(call, namespace);
  const changes: Record<string, CimValue> = {};
  // Set-CimInstance names the properties it changed (wmiarray:__MIInstanceModifiedPropertiesList)
  // and sends the rest as it last read them; only the named ones are changes then.
  const modified = optionValues(call, '__MIInstanceModifiedPropertiesList').map((n) => n.toLowerCase());
  for (const [key, els] of groupChildren(body)) {
    if (els[0].ns !== body.ns) continue; // cim:Location and other foreign elements are not properties
    if (modified.length && !modified.includes(key)) continue;
    const decl = cls.properties.get(key);
    if (!decl) {
      throw new WsmanFault('InvalidRepresentation', {
        detailMessage: `The WS-Management service cannot process the request. The input XML contains an unrecognized XML element: "${els[0].local}". Ensure that the spelling of the element name is correct. `,
      });
    }
    const value = readFeature(decl, els, rc);
    if (valuesEqual(current.props[decl.name] ?? null, value)) continue;
    if (decl.key || !decl.writeable) {
      throw new WsmanFault('InvalidRepresentation', {
        detailMessage: `The property ${decl.name} of class ${cls.name} is read-only and cannot be changed by Put. `,
      });
    }
    changes[decl.name] = value;
  }
  return changes;
}

function valuesEqual(a: CimValue, b: CimValue): boolean {
  if (a === null || b === null) return a === b;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => scalarEquals(v, (b as readonly CimScalar[])[i]));
  }
  return scalarEquals(a as CimScalar, b as CimScalar);
}

export function put(call: WsmanCall): WsmanResponse {
  requireWrite(call);
  const { inst, cls, resource, ctx } = resolveTarget(call);
  const changes = changedProperties(call, cls, inst, resource.namespace);
  const updated = Object.keys(changes).length ? call.host.om.modify(ctx, call.host.om.refOf(ctx, inst), changes) : inst;
  const body = renderInstance(updated, cls, renderContext(call, resource.form, resource.namespace));
  return { kind: 'transfer', action: T + 'PutResponse', body };
}

export function del(call: WsmanCall): WsmanResponse {
  requireWrite(call);
  const { inst, ctx } = resolveTarget(call);
  call.host.om.delete(ctx, call.host.om.refOf(ctx, inst));
  return { kind: 'transfer', action: T + 'DeleteResponse', body: '' };
}

export function create(call: WsmanCall): WsmanResponse {
  requireWrite(call);
  const { resource } = target(call);
  requireClassResource(resource);
  const body = call.req.body;
  if (!body) throw new WsmanFault('InvalidRepresentationMissing');
  const cls = resource.cls;
  const rc = readContext(call, resource.namespace);
  const props: Record<string, CimValue> = {};
  for (const [key, els] of groupChildren(body)) {
    const decl = cls.properties.get(key);
    if (!decl) throw new WsmanFault('InvalidRepresentation');
    props[decl.name] = readFeature(decl, els, rc);
  }
  const ctx = operationContext(call, resource.namespace);
  if (cls.isAbstract) throw new CimError(CimStatus.INVALID_CLASS, `The class ${cls.name} is abstract.`);
  const ref = call.host.om.create(ctx, cls, { className: cls.name, namespace: resource.namespace, props });
  const rctx = renderContext(call, resource.form, resource.namespace);
  const epr = renderEprContent(ref, rctx);
  return { kind: 'transfer', action: T + 'CreateResponse', body: `<x:ResourceCreated>${epr}</x:ResourceCreated>` };
}
