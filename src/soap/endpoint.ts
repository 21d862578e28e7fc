/**
 * One SOAP exchange: request text in, response envelope out. Parses the envelope, hands the typed
 * request to the WS-Man dispatcher, and turns whatever is thrown into the Windows fault (never a
 * stack trace). The transport below only deals in bytes, charsets and authentication.
 */
import { WsmanFault } from '../faults/catalogue.js';
import { faultFromError } from '../faults/cim-mapping.js';
import { dispatch, isIdentify, wmiOperationOf } from '../wsman/dispatch.js';
import type { Caller, WsmanHost } from '../wsman/host.js';
import type { SoapRequest } from '../wsman/request.js';
import { parseEnvelope } from './envelope.js';
import { writeFault } from './fault-writer.js';
import { writeEnvelope, writeIdentifyEnvelope } from './writer.js';

export interface SoapResult {
  readonly status: number;
  /** empty for 401 */
  readonly xml: string;
  /** what the request asked for, for logs and metrics */
  readonly action?: string;
  readonly resourceUri?: string;
  /** catalogue kind of the fault answered, if any */
  readonly faultKind?: string;
}

/** Bytes of the answer in the caller's charset: exact when it could matter, else a safe bound. */
function answerSize(xml: string, caller: Caller, max: number): number {
  if (caller.encoding === 'utf-16') return xml.length * 2 + 2;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: below max/3 units the answer fits, uncounted
  return xml.length * 3 <= max ? xml.length : Buffer.byteLength(xml, 'utf8');
}

export function handleSoap(text: string, host: WsmanHost, caller: Caller): SoapResult {
  // the fault environment, built only for faults
  const faultEnv = () => ({
    machine: caller.localAddress,
    hostName: host.fqdn,
    classOf: (ns: string, name: string) => host.om.schema.getClass(ns, name),
  });
  let req: SoapRequest;
  try {
    req = parseEnvelope(text);
  } catch (e) {
    // an unauthenticated caller gets nothing but the 401, whatever it sent
    if (!caller.authenticated) return { status: 401, xml: '' };
    const fault = faultFromError(e, { operation: 'ExecMethod' });
    const { status, body } = writeFault(fault, { ...faultEnv(), relatesTo: fault.relatesTo });
    return { status, xml: body, faultKind: fault.kind };
  }
  const h = req.headers;
  const call = { req, host, caller };
  const base = { action: h.action, resourceUri: h.resourceUri };
  if (!caller.authenticated && !isIdentify(call)) return { status: 401, xml: '', ...base };
  try {
    const res = dispatch(call);
    if (res.kind === 'identify') return { status: 200, xml: writeIdentifyEnvelope(res.body), ...base };
    const xml = writeEnvelope(res.kind, res.action, res.body, { relatesTo: h.messageId, activityId: h.activityId });
    const max = Math.min(h.maxEnvelopeSize ?? host.limits.maxEnvelopeSize, host.limits.maxEnvelopeSize);
    if (answerSize(xml, caller, max) > max) throw new WsmanFault('EncodingLimitExceeded');
    return { status: 200, xml, ...base };
  } catch (e) {
    const fault = faultFromError(e, { operation: wmiOperationOf(call) });
    const { status, body } = writeFault(fault, { ...faultEnv(), relatesTo: h.messageId, activityId: h.activityId });
    return { status, xml: body, faultKind: fault.kind, ...base };
  }
}
