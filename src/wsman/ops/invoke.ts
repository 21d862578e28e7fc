/**
 * Invoke (custom actions; MS-WSMV 3.1.4.1.32, DSP0230 §10.3, wire notes §3): Action =
 * ResourceURI + "/" + Method, body `<p:{Method}_INPUT>` with one element per in parameter,
 * answer `<p:{Method}_OUTPUT>` with the out parameters and ReturnValue in alphabetical order, in
 * the URI form the request used.
 */
import type { CimMethodDecl, CimValue } from '../../cim/types.js';
import { WsmanFault } from '../../faults/catalogue.js';
import { escapeAttr } from '../../xml/escape.js';
import { operationContext, readContext, renderContext, requireWrite, type WsmanCall } from '../call.js';
import { NS } from '../namespaces.js';
import { groupChildren, readFeature } from '../read/values.js';
import { renderValue } from '../render/instance.js';
import type { WsmanResponse } from '../request.js';
import { resolveResource } from '../resource-uri.js';
import { resolveInstance, typedKeys } from '../selectors.js';
import { classUri } from '../uris.js';

/** `localeCompare(b, 'en', { sensitivity: 'base' })` without building a collator per comparison. */
const byName = new Intl.Collator('en', { sensitivity: 'base' }).compare;

/** The method name an Action names for a resource URI, or undefined when it is not `uri/Method`. */
export function methodFromAction(action: string, resourceUri: string): string | undefined {
  const prefix = resourceUri.replace(/\/+$/, '') + '/';
  if (action.length <= prefix.length || action.slice(0, prefix.length).toLowerCase() !== prefix.toLowerCase()) return undefined;
  const m = action.slice(prefix.length);
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(m) ? m : undefined;
}

const RETURN_VALUE = { name: 'ReturnValue', type: 'uint32', isArray: false, qualifiers: new Map() } as const;

export function invoke(call: WsmanCall): WsmanResponse {
  const h = call.req.headers;
  const action = h.action ?? '';
  const uri = h.resourceUri ?? '';
  const { resource, keySelectors } = resolveResource(uri, h.selectors, call.host.om.schema);
  if (resource.kind !== 'class') throw new WsmanFault('ActionNotSupported');
  const methodName = methodFromAction(action, uri);
  if (!methodName) throw new WsmanFault('ActionMismatch');
  const cls = resource.cls;
  const method = cls.methods.get(methodName.toLowerCase());
  if (!method) {
    throw new WsmanFault('ActionNotSupported', {
      detailMessage: `The WS-Management service cannot process the request. The action URI (${action}) is invalid. Method ${methodName} does not exist in class ${cls.name}. `,
    });
  }
  requireWrite(call);
  const ns = resource.namespace;
  const ctx = operationContext(call, ns);
  const args = readArguments(call, method, ns);

  let target;
  if (!method.isStatic) {
    const keys = typedKeys(cls, keySelectors, call.host.om.schema, ns);
    target = resolveInstance(call.host.om, ctx, cls, keys).inst;
  }
  const result = call.host.om.invoke(ctx, cls, method, target, args);

  const rctx = renderContext(call, resource.form, ns);
  const outs: Array<[string, string]> = [];
  for (const p of method.parameters) {
    if (!p.out) continue;
    const v = result.out?.[p.name];
    if (v === undefined || v === null) continue; // a null out parameter is omitted
    outs.push([p.name, renderValue('p', p, v, rctx)]);
  }
  outs.push(['ReturnValue', renderValue('p', { ...RETURN_VALUE, type: method.returnType }, result.returnValue, rctx)]);
  outs.sort((a, b) => byName(a[0], b[0]));
  const outUri = classUri(resource.form, ns, cls.name);
  const body =
    `<p:${method.name}_OUTPUT xmlns:xsi="${NS.xsi}" xmlns:p="${escapeAttr(outUri)}" xmlns:cim="${NS.cim}">` +
    outs.map((o) => o[1]).join('') +
    `</p:${method.name}_OUTPUT>`;
  return { kind: 'invoke', action: action + 'Response', body };
}

function readArguments(call: WsmanCall, method: CimMethodDecl, namespace: string): Record<string, CimValue> {
  const body = call.req.body;
  const args: Record<string, CimValue> = {};
  if (!body) return args;
  if (body.local.toLowerCase() !== `${method.name}_input`.toLowerCase()) {
    throw new WsmanFault('SchemaValidationError', {
      detailMessage: `The WS-Management service cannot process the request. The body must be ${method.name}_INPUT, not ${body.local}. `,
    });
  }
  const rc = readContext(call, namespace);
  for (const [key, els] of groupChildren(body)) {
    const p = method.parameterMap.get(key);
    if (!p || !p.in) {
      throw new WsmanFault('InvalidParameterName', {
        detailMessage: `The WS-Management service cannot process the request. The object contains an unrecognized argument: "${els[0].local}". Verify that the spelling of the argument name is correct. `,
      });
    }
    if (els[0].ns.toLowerCase() !== body.ns.toLowerCase()) {
      throw new WsmanFault('SchemaValidationError', {
        detailMessage: `The WS-Management service cannot process the request. The argument ${els[0].local} is not in the namespace of ${body.local}. `,
      });
    }
    args[p.name] = readFeature(p, els, rc);
  }
  return args;
}
