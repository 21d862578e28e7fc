/**
 * One WS-Man call as the operations see it: the parsed request, the host, the caller and the
 * resolved resource, plus the helpers every operation needs (operation context, render context,
 * read context, options).
 */
import { CimError, CimStatus } from '../cim/errors.js';
import type { OperationContext } from '../cim/provider.js';
import type { CimClass, CimInstance } from '../cim/types.js';
import { WsmanFault } from '../faults/catalogue.js';
import type { ClientKind } from '../faults/cim-mapping.js';
import type { Caller, WsmanHost } from './host.js';
import type { ReadContext } from './read/values.js';
import type { RenderContext } from './render/context.js';
import type { SoapRequest } from './request.js';
import type { UriForm } from './uris.js';

export interface WsmanCall {
  readonly req: SoapRequest;
  readonly host: WsmanHost;
  readonly caller: Caller;
}

export function operationContext(call: WsmanCall, namespace: string): OperationContext {
  return { host: call.host.name, namespace, user: call.caller.user };
}

/** The value of a WS-Man option (case-insensitive name, with or without its string prefix). */
export function optionValue(call: WsmanCall, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const o of call.req.headers.options) {
    const n = o.name.toLowerCase();
    if (n === want || n.slice(n.indexOf(':') + 1) === want) return o.value;
  }
  return undefined;
}

/** Every value of a repeated (`wmiarray:`) option, in order. */
export function optionValues(call: WsmanCall, name: string): string[] {
  const want = name.toLowerCase();
  const out: string[] = [];
  for (const o of call.req.headers.options) {
    const n = o.name.toLowerCase();
    if (n === want || n.slice(n.indexOf(':') + 1) === want) out.push(o.value);
  }
  return out;
}

export function optionFlag(call: WsmanCall, name: string): boolean {
  const v = optionValue(call, name);
  return v !== undefined && (v.toLowerCase() === 'true' || v === '1');
}

export function renderContext(call: WsmanCall, form: UriForm, namespace: string): RenderContext {
  const host = call.host;
  return {
    uriForm: form,
    namespace,
    address: (h) => host.endpointAddress(h),
    preciseArrays: optionFlag(call, 'UsePreciseArrays'),
    classOf: (name) => host.om.schema.getClass(namespace, name),
    embeddedText: (inst: CimInstance) => {
      const cls = host.om.schema.getClass(inst.namespace ?? namespace, inst.className);
      return cls ? host.writeEmbedded(inst, cls) : '';
    },
  };
}

export function readContext(call: WsmanCall, namespace: string): ReadContext {
  return {
    schema: call.host.om.schema,
    namespace,
    parseEmbedded: (text, expected) => call.host.parseEmbedded(text, expected, namespace),
  };
}

/**
 * The Windows MI client (PowerShell's CIM cmdlets) marks every request with its OptionSet:
 * `msftwinrm:UsePreciseArrays` and the `__MI_…` options (climbe, omi and MS-WSMV 4.11 captures).
 * Other clients never send these.
 */
export function clientKind(call: WsmanCall): ClientKind {
  for (const o of call.req.headers.options) {
    const n = o.name.toLowerCase();
    const local = n.slice(n.indexOf(':') + 1);
    if (local === 'useprecisearrays' || local.startsWith('__mi')) return 'mi';
  }
  return 'wsman';
}

/**
 * Operations that change state are refused to read-only users. For WS-Man clients WinRM answers
 * w:AccessDenied; the MI client gets WMI's own denial (WBEM_E_ACCESS_DENIED in an MSFT_WmiError),
 * which PowerShell shows as "Access denied", PermissionDenied, HRESULT 0x80041003.
 */
export function requireWrite(call: WsmanCall): void {
  if (!call.caller.readOnly) return;
  if (clientKind(call) === 'mi') throw new CimError(CimStatus.ACCESS_DENIED, 'Access denied');
  throw new WsmanFault('AccessDenied');
}

export function requireClassResource<T extends { kind: string }>(r: T): asserts r is Extract<T, { kind: 'class' }> {
  if (r.kind !== 'class') throw new WsmanFault('ActionNotSupported');
}

export type { CimClass };
