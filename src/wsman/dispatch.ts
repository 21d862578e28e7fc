/**
 * Routes a parsed request to its operation by Action (wire notes §1.2), after the checks every
 * operation shares: MessageID and ReplyTo present (Identify excepted), MaxEnvelopeSize and
 * OperationTimeout within the service's limits.
 */
import { WsmanFault } from '../faults/catalogue.js';
import { faultFromError, type WmiOperation } from '../faults/cim-mapping.js';
import { clientKind, type WsmanCall } from './call.js';
import { NS, ACTIONS } from './namespaces.js';
import { enumerate, pull, release } from './ops/enumeration.js';
import { identify } from './ops/identify.js';
import { invoke } from './ops/invoke.js';
import { create, del, get, put } from './ops/transfer.js';
import type { WsmanResponse } from './request.js';


const IDENTIFY_ACTION = 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity/Identify';
/** The smallest MaxEnvelopeSize Windows accepts (MS-WSMV 3.1.4.1.20). */
export const MIN_ENVELOPE_SIZE = 8192;

export function isIdentify(call: WsmanCall): boolean {
  const { req } = call;
  const a = req.headers.action;
  if (a !== undefined && a !== IDENTIFY_ACTION) return false;
  if (req.emptyBody) return a === undefined || a === IDENTIFY_ACTION;
  return req.body !== undefined && req.body.ns === NS.wsmid && req.body.local === 'Identify';
}

function checkCommonHeaders(call: WsmanCall): void {
  const h = call.req.headers;
  if (h.messageId === undefined) {
    throw new WsmanFault('InvalidMessageInformationHeader', {
      detailMessage: 'The WS-Management service cannot process the request. The SOAP packet contains a WS-Addressing MessageID element that was either invalid, duplicated, or too long. ',
    });
  }
  if (h.maxEnvelopeSize !== undefined && h.maxEnvelopeSize < MIN_ENVELOPE_SIZE) {
    throw new WsmanFault('EncodingLimitMinimumEnvelope');
  }
  if (h.operationTimeoutMs !== undefined && h.operationTimeoutMs === 0) {
    throw new WsmanFault('InvalidTimeout', {
      detailMessage: 'The WS-Management service cannot process the request. The XML contains an invalid timeout field in the SOAP header: a zero timeout. ',
    });
  }
}

/** The intrinsic WMI operation a request amounts to (__ExtendedStatus.Operation). */
export function wmiOperationOf(call: WsmanCall): WmiOperation {
  const { req } = call;
  switch (req.headers.action) {
    case ACTIONS.get: return 'GetObject';
    case ACTIONS.put: return 'PutInstance';
    case ACTIONS.delete: return 'DeleteInstance';
    case ACTIONS.create: return 'CreateInstance';
    case ACTIONS.enumerate:
    case ACTIONS.pull:
      return req.body && req.body.children.some((c) => c.kind === 'element' && c.local === 'Filter') ? 'ExecQuery' : 'EnumerateInstances';
    default:
      return 'ExecMethod';
  }
}

/**
 * Route the request; whatever an operation throws leaves as the fault Windows would send this
 * client (the detail form depends on who asked: src/faults/cim-mapping.ts).
 */
export function dispatch(call: WsmanCall): WsmanResponse {
  if (isIdentify(call)) return identify(call);
  try {
    return route(call);
  } catch (e) {
    throw faultFromError(e, { operation: wmiOperationOf(call), client: clientKind(call) });
  }
}

function route(call: WsmanCall): WsmanResponse {
  checkCommonHeaders(call);
  const action = call.req.headers.action;
  if (action === undefined) throw new WsmanFault('MessageInformationHeaderRequired');
  switch (action) {
    case ACTIONS.get: return get(call);
    case ACTIONS.put: return put(call);
    case ACTIONS.delete: return del(call);
    case ACTIONS.create: return create(call);
    case ACTIONS.enumerate: return enumerate(call);
    case ACTIONS.pull: return pull(call);
    case ACTIONS.release: return release(call);
  }
  if (action.startsWith('http://schemas.xmlsoap.org/ws/')) throw new WsmanFault('ActionNotSupported');
  return invoke(call);
}
