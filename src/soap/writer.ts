/**
 * Response envelopes, written as strings in the exact shape Windows WinRM uses (wire notes §2.3):
 * `xml:lang` then the namespace declarations on the Envelope, header order Action, MessageID,
 * ActivityId, To, RelatesTo, no mustUnderstand, no DataLocale, no OperationID echo.
 *
 * Why strings and not an XML builder: the prefixes, declaration placement and order are part of
 * what clients depend on (libvirt's XPath, wsl's line-based parsing), and a builder costs about as
 * much as the whole request otherwise does. Every variable piece goes through src/xml/escape.ts.
 */
import { randomUUID } from 'node:crypto';
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

export function newMessageId(): string {
  return 'uuid:' + randomUUID().toUpperCase();
}

export function newActivityId(): string {
  return randomUUID().toUpperCase();
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
