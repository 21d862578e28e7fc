/**
 * Response envelopes, written as strings in the exact shape Windows WinRM uses (wire notes §2.3):
 * `xml:lang` then the namespace declarations on the Envelope, header order Action, MessageID,
 * ActivityId, To, RelatesTo, no mustUnderstand, no DataLocale, no OperationID echo.
 *
 * Why strings and not an XML builder: the prefixes, declaration placement and order are part of
 * what clients depend on (libvirt's XPath, wsl's line-based parsing), and a builder costs about as
 * much as the whole request otherwise does. Every variable piece goes through src/xml/escape.ts.
 */
import { randomFillSync } from 'node:crypto';
import { escapeText } from '../xml/escape.js';
import { ANONYMOUS, NS } from '../wsman/namespaces.js';

import type { ResponseKind } from '../wsman/request.js';

export type EnvelopeKind = ResponseKind;

const DECLS: Readonly<Record<EnvelopeKind, string>> = {
  transfer: `xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:x="${NS.x}" xmlns:w="${NS.w}" xmlns:p="${NS.p}"`,
  enumeration: `xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:n="${NS.n}" xmlns:w="${NS.w}" xmlns:p="${NS.p}"`,
  // V: MS-WSMV 4.11.2, a 2012 Invoke answer declares the transfer set too
  invoke: `xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:x="${NS.x}" xmlns:w="${NS.w}" xmlns:p="${NS.p}"`,
  fault: `xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:x="${NS.x}" xmlns:e="${NS.e}" xmlns:n="${NS.n}" xmlns:w="${NS.w}" xmlns:p="${NS.p}"`,
};

export interface ResponseHeaderInfo {
  /** the request's MessageID, echoed verbatim in RelatesTo (absent if the request had none) */
  relatesTo?: string;
  /** Windows 2012 R2+ sends p:ActivityId; we echo the client's or make one */
  activityId?: string;
}

/** Upper-case hex of each byte value. */
const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));
/** Random bytes for 256 ids at a time (crypto.randomFillSync: the same source as randomUUID). */
const pool = Buffer.alloc(16 * 256);
let poolAt = pool.length;

/**
 * A random (version 4) UUID in upper case, as `randomUUID().toUpperCase()` gives, without the
 * extra string: every answer carries two of them.
 */
export function upperUuid(): string {
  if (poolAt === pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const b = pool;
  const o = poolAt;
  poolAt += 16;
  return (
    HEX[b[o]] + HEX[b[o + 1]] + HEX[b[o + 2]] + HEX[b[o + 3]] + '-' +
    HEX[b[o + 4]] + HEX[b[o + 5]] + '-' +
    HEX[(b[o + 6] & 0x0f) | 0x40] + HEX[b[o + 7]] + '-' +
    HEX[(b[o + 8] & 0x3f) | 0x80] + HEX[b[o + 9]] + '-' +
    HEX[b[o + 10]] + HEX[b[o + 11]] + HEX[b[o + 12]] + HEX[b[o + 13]] + HEX[b[o + 14]] + HEX[b[o + 15]]
  );
}

export function newMessageId(): string {
  return 'uuid:' + upperUuid();
}

export function newActivityId(): string {
  return upperUuid();
}

/** A full response envelope around an already-serialised body. */
export function writeEnvelope(
  kind: EnvelopeKind,
  action: string,
  body: string,
  info: ResponseHeaderInfo,
  extraHeaders = '',
): string {
  const relates = info.relatesTo !== undefined ? `<a:RelatesTo>${escapeText(info.relatesTo)}</a:RelatesTo>` : '';
  const activity = `<p:ActivityId>${escapeText(info.activityId ?? newActivityId())}</p:ActivityId>`;
  return (
    `<s:Envelope xml:lang="en-US" ${DECLS[kind]}><s:Header>` +
    `<a:Action>${escapeText(action)}</a:Action>` +
    `<a:MessageID>${newMessageId()}</a:MessageID>` +
    activity +
    `<a:To>${ANONYMOUS}</a:To>` +
    relates +
    extraHeaders +
    `</s:Header><s:Body>${body}</s:Body></s:Envelope>`
  );
}

/** Identify answers have an empty header and declare only s (wsmid sits on the response element). */
export function writeIdentifyEnvelope(body: string): string {
  return `<s:Envelope xmlns:s="${NS.s}"><s:Header/><s:Body>${body}</s:Body></s:Envelope>`;
}
