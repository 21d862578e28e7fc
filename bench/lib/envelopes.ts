/**
 * Request envelopes as WinRM clients send them (header order and options of the MI client /
 * pywinrm: To, ResourceURI, ReplyTo, Action, MaxEnvelopeSize, MessageID, Locale, DataLocale,
 * SessionId, OperationID, SequenceId, SelectorSet, OperationTimeout). The MessageID is fixed: a
 * load generator resends the same bytes, and the server never caches by MessageID.
 */
import { ACTIONS, NS } from '../../src/wsman/namespaces.js';
import { DIALECT } from '../../src/wsman/ops/enum-source.js';
import { WMI_URI_PREFIX } from '../../src/wsman/uris.js';

// the product's URIs, so the bench sends exactly what the server expects
export const WMI = WMI_URI_PREFIX;

/** The bare Identify of ../shared/tools/bench/identify.xml (what the OMI figures used). */
export const IDENTIFY =
  `<s:Envelope xmlns:s="${NS.s}" xmlns:wsmid="${NS.wsmid}"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`;

export interface RequestShape {
  readonly action: string;
  readonly resourceUri: string;
  readonly selectors?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly messageId?: string;
}

export function request(o: RequestShape): string {
  const sel = o.selectors
    ? `<w:SelectorSet>${Object.entries(o.selectors).map(([k, v]) => `<w:Selector Name="${k}">${v}</w:Selector>`).join('')}</w:SelectorSet>`
    : '';
  return (
    `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:n="${NS.n}" xmlns:w="${NS.w}" xmlns:p="${NS.p}" xmlns:b="${NS.b}">` +
    '<s:Header>' +
    '<a:To>http://127.0.0.1:5985/wsman</a:To>' +
    `<w:ResourceURI s:mustUnderstand="true">${o.resourceUri}</w:ResourceURI>` +
    `<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
    `<a:Action s:mustUnderstand="true">${o.action}</a:Action>` +
    '<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>' +
    `<a:MessageID>${o.messageId ?? 'uuid:6C1A2E4F-0B57-4C43-9E55-7D2F8A3B1C01'}</a:MessageID>` +
    '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>' +
    '<p:DataLocale xml:lang="en-US" s:mustUnderstand="false"/>' +
    '<p:SessionId s:mustUnderstand="false">uuid:2C8E0E46-6D2A-4B0E-8F4B-3A9A7E0C5D10</p:SessionId>' +
    '<p:OperationID s:mustUnderstand="false">uuid:9D6E5C4B-3A29-4F18-8E07-6D5C4B3A2918</p:OperationID>' +
    '<p:SequenceId s:mustUnderstand="false">1</p:SequenceId>' +
    sel +
    '<w:OperationTimeout>PT60.000S</w:OperationTimeout>' +
    '</s:Header>' +
    `<s:Body>${o.body ?? ''}</s:Body></s:Envelope>`
  );
}

export function get(resourceUri: string, selectors: Readonly<Record<string, string>>): string {
  return request({ action: ACTIONS.get, resourceUri, selectors });
}

export function invoke(resourceUri: string, method: string, selectors: Readonly<Record<string, string>> | undefined, input: string): string {
  return request({
    action: `${resourceUri}/${method}`,
    resourceUri,
    selectors,
    body: `<p:${method}_INPUT xmlns:p="${resourceUri}">${input}</p:${method}_INPUT>`,
  });
}

export interface EnumerateShape {
  readonly optimize?: boolean;
  readonly maxElements?: number;
  readonly wql?: string;
}

export function enumerate(resourceUri: string, o: EnumerateShape = {}): string {
  const filter = o.wql ? `<w:Filter Dialect="${DIALECT.wql}">${o.wql.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</w:Filter>` : '';
  const opt = o.optimize ? `<w:OptimizeEnumeration/><w:MaxElements>${o.maxElements ?? 32000}</w:MaxElements>` : '';
  return request({ action: ACTIONS.enumerate, resourceUri, body: `<n:Enumerate>${opt}${filter}</n:Enumerate>` });
}

export function pull(resourceUri: string, context: string, maxElements: number): string {
  return request({
    action: ACTIONS.pull,
    resourceUri,
    body: `<n:Pull><n:EnumerationContext>${context}</n:EnumerationContext><n:MaxElements>${maxElements}</n:MaxElements></n:Pull>`,
  });
}

/** `uuid:…` of the n:EnumerationContext in an Enumerate or Pull answer ('' at the end). */
export function contextOf(answer: string): string {
  const i = answer.indexOf('<n:EnumerationContext>');
  if (i < 0) return '';
  const j = answer.indexOf('</n:EnumerationContext>', i);
  return answer.slice(i + 22, j);
}

/** Occurrences of `needle` in `hay` (items in a page). */
export function count(hay: string, needle: string): number {
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) n++;
  return n;
}
