/**
 * A raw WS-Man client for tests: envelopes built by hand (so tests control every byte) and sent
 * over a real keep-alive HTTP connection; answers parsed with the project's namespace-aware tree.
 */
import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { ACTIONS, NS } from '../../src/wsman/namespaces.js';
import { childElements, descendantsNamed, parseXml, textOf, type XmlElement } from '../../src/xml/dom.js';

// the product's URIs (src/wsman/namespaces.ts), under the names the tests use
export { NS };
export const ACTION = ACTIONS;

/** A bare Identify, as the OMI figures' identify.xml and most clients send it. */
export const IDENTIFY = `<s:Envelope xmlns:s="${NS.s}" xmlns:wsmid="${NS.wsmid}"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`;

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  rawHeaders: string[];
  body: Buffer;
  text: string;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

export function basic(user = 'Administrator', password = 'Passw0rd!'): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

export function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
  opts: { ca?: string; agent?: http.Agent | false; method?: string } = {},
): Promise<HttpAnswer> {
  const u = new URL(url);
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const lib = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {
        method: opts.method ?? 'POST',
        hostname: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        agent: opts.agent === undefined ? (u.protocol === 'https:' ? undefined : agent) : opts.agent,
        ca: opts.ca,
        headers: {
          'Content-Type': 'application/soap+xml;charset=UTF-8',
          Authorization: basic(),
          'Content-Length': String(buf.length),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const b = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: b, text: b.toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(buf);
  });
}

export interface EnvelopeOptions {
  action?: string;
  resourceUri?: string;
  selectors?: Record<string, string>;
  /** raw XML inserted in the header */
  extraHeaders?: string;
  body?: string;
  messageId?: string;
  maxEnvelopeSize?: number;
  operationTimeout?: string;
  options?: string;
}

export function envelope(o: EnvelopeOptions): { xml: string; messageId: string } {
  const messageId = o.messageId ?? 'uuid:' + randomUUID().toUpperCase();
  const sel = o.selectors
    ? `<w:SelectorSet>${Object.entries(o.selectors).map(([k, v]) => `<w:Selector Name="${k}">${v}</w:Selector>`).join('')}</w:SelectorSet>`
    : '';
  const xml =
    `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:w="${NS.w}" xmlns:n="${NS.n}" xmlns:p="${NS.p}" xmlns:b="${NS.b}">` +
    '<s:Header>' +
    '<a:To>http://windows-host:5985/wsman</a:To>' +
    (o.resourceUri ? `<w:ResourceURI s:mustUnderstand="true">${o.resourceUri}</w:ResourceURI>` : '') +
    `<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>` +
    (o.action ? `<a:Action s:mustUnderstand="true">${o.action}</a:Action>` : '') +
    `<w:MaxEnvelopeSize s:mustUnderstand="true">${o.maxEnvelopeSize ?? 512000}</w:MaxEnvelopeSize>` +
    `<a:MessageID>${messageId}</a:MessageID>` +
    '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>' +
    sel +
    (o.options ?? '') +
    `<w:OperationTimeout>${o.operationTimeout ?? 'PT60.000S'}</w:OperationTimeout>` +
    (o.extraHeaders ?? '') +
    '</s:Header>' +
    `<s:Body>${o.body ?? ''}</s:Body></s:Envelope>`;
  return { xml, messageId };
}

export function parse(text: string): XmlElement {
  return parseXml(text);
}

export function bodyOf(doc: XmlElement): XmlElement {
  return childElements(doc).find((e) => e.local === 'Body')!;
}

export function headerOf(doc: XmlElement): XmlElement {
  return childElements(doc).find((e) => e.local === 'Header')!;
}

/** Descendant elements matching ns/local (depth first); the tests' short name for the product's walk. */
export const find = descendantsNamed;

export function findOne(el: XmlElement, ns: string, local: string): XmlElement {
  const r = find(el, ns, local);
  if (r.length === 0) throw new Error(`no ${local} in answer`);
  return r[0];
}

export function text(el: XmlElement): string {
  return textOf(el);
}

export interface FaultSummary {
  code: string;
  subcode?: string;
  reason: string;
  action: string;
  detail?: string;
  wsmanCode?: string;
  relatesTo?: string;
}

export function faultOf(answer: HttpAnswer): FaultSummary {
  const doc = parse(answer.text);
  const fault = findOne(doc, NS.s, 'Fault');
  const code = findOne(fault, NS.s, 'Code');
  const values = find(code, NS.s, 'Value').map((v) => textOf(v).trim());
  const wf = find(fault, NS.f, 'WSManFault')[0];
  const det = find(fault, NS.w, 'FaultDetail')[0];
  const rel = find(headerOf(doc), NS.a, 'RelatesTo')[0];
  return {
    code: values[0],
    subcode: values[1],
    reason: textOf(findOne(fault, NS.s, 'Text')),
    action: textOf(findOne(headerOf(doc), NS.a, 'Action')),
    detail: det ? textOf(det) : undefined,
    wsmanCode: wf?.attrs.find((a) => a.local === 'Code')?.value,
    relatesTo: rel ? textOf(rel) : undefined,
  };
}
