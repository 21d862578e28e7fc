/**
 * Identify (MS-WSMV 3.1.4.1.23, DSP0226 §11): no Action, body `wsmid:Identify`. Unauthenticated
 * callers (allowed only with `WSMANIDENTIFY: unauthenticated`) get version 0.0.0 and no security
 * profiles, as 2012+ Windows answers (V knife-windows fixtures).
 */
import { escapeText } from '../../xml/escape.js';
import type { WsmanCall } from '../call.js';
import { NS } from '../namespaces.js';
import type { WsmanResponse } from '../request.js';

export const IDENTIFY_UNAUTHENTICATED_VERSION = 'OS: 0.0.0 SP: 0.0 Stack: 3.0';

export function identify(call: WsmanCall): WsmanResponse {
  const authed = call.caller.authenticated;
  let body =
    `<wsmid:IdentifyResponse xmlns:wsmid="${NS.wsmid}">` +
    `<wsmid:ProtocolVersion>${NS.w}</wsmid:ProtocolVersion>` +
    `<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>` +
    `<wsmid:ProductVersion>${escapeText(authed ? call.host.productVersion : IDENTIFY_UNAUTHENTICATED_VERSION)}</wsmid:ProductVersion>`;
  if (authed && call.host.securityProfiles.length) {
    body += '<wsmid:SecurityProfiles>';
    for (const p of call.host.securityProfiles) body += `<wsmid:SecurityProfileName>${escapeText(p)}</wsmid:SecurityProfileName>`;
    body += '</wsmid:SecurityProfiles>';
  }
  body += '</wsmid:IdentifyResponse>';
  return { kind: 'identify', body };
}
