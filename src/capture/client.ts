/**
 * A small WS-Management client for `vmms-emu capture`: Identify, Enumerate + Pull, Invoke, over
 * HTTP or HTTPS with Basic or NTLM (Negotiate). With NTLM over HTTP every message is sealed
 * (HTTP-SPNEGO-session-encrypted), as pywinrm does and as a Windows host with AllowUnencrypted
 * false requires; over HTTPS the channel binding of the server's certificate is sent and TLS
 * protects the messages. One keep-alive connection carries everything (NTLM binds to it); if the
 * server drops it, the client authenticates again on the next one.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { decryptBody, encryptBody, parseEncryptedContentType } from '../server/encryption.js';
import { authenticateAccount, buildNegotiate } from '../server/auth/ntlm/client.js';
import type { NtlmSession } from '../server/auth/ntlm/session.js';
import { ntlmChannelBindingHash } from '../server/tls/channel-binding.js';
import { decodeBody } from '../soap/charset.js';
import { ANONYMOUS, NS } from '../wsman/namespaces.js';
import { childElements, descendantsNamed, parseXml, textOf, type XmlElement } from '../xml/dom.js';

export interface WsmanClientOptions {
  /** `http://host:5985/wsman` */
  endpoint: string;
  /** `Administrator`, `DOMAIN\user` or `user@domain` */
  user: string;
  password: string;
  auth: 'basic' | 'ntlm';
  /** PEM of a CA to trust for HTTPS */
  ca?: string;
  /** accept any HTTPS certificate */
  insecure?: boolean;
  /** seal NTLM messages (default: over HTTP yes, over HTTPS no) */
  seal?: boolean;
  timeoutMs?: number;
}

/** A SOAP fault the server answered with. */
export class WsmanClientFault extends Error {
  constructor(readonly status: number, readonly code: string, readonly subcode: string | undefined, readonly reason: string) {
    super(`${subcode ?? code}: ${reason.trim()}`);
    this.name = 'WsmanClientFault';
  }
}

export class WsmanTransportError extends Error {
  constructor(message: string, readonly status?: number) {
    super(message);
    this.name = 'WsmanTransportError';
  }
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  socket: import('node:net').Socket;
}

export interface IdentifyInfo {
  protocolVersion: string;
  productVendor: string;
  productVersion: string;
  securityProfiles: string[];
}

/** Property values of an instance element: text, null (xsi:nil), arrays for repeated elements, elements for EPRs. */
export type PropValue = string | null | XmlElement | Array<string | XmlElement>;
export type Props = Record<string, PropValue>;

export function propsOf(inst: XmlElement): Props {
  const out: Props = {};
  for (const c of childElements(inst)) {
    const nil = c.attrs.some((a) => a.local === 'nil' && a.ns === NS.xsi && a.value === 'true');
    const v: string | XmlElement | null = nil ? null : childElements(c).length ? c : textOf(c);
    const prev = out[c.local];
    if (prev === undefined) out[c.local] = v;
    else if (v !== null) out[c.local] = [...(Array.isArray(prev) ? prev : prev === null ? [] : [prev]), v];
  }
  return out;
}

export const text = (v: PropValue | undefined): string | undefined => (typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined);
export const texts = (v: PropValue | undefined): string[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : []);

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export class WsmanClient {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private session: NtlmSession | undefined;
  private readonly seal: boolean;

  constructor(private readonly o: WsmanClientOptions) {
    this.url = new URL(o.endpoint);
    const secure = this.url.protocol === 'https:';
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: 1, ca: o.ca, rejectUnauthorized: !o.insecure })
      : new http.Agent({ keepAlive: true, maxSockets: 1 });
    this.seal = o.seal ?? !secure;
  }

  close(): void {
    this.agent.destroy();
  }

  private raw(body: Buffer, headers: Record<string, string>): Promise<RawAnswer> {
    const lib = this.url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request({
        method: 'POST',
        hostname: this.url.hostname,
        port: this.url.port,
        path: this.url.pathname + this.url.search,
        agent: this.agent,
        headers: { 'Content-Length': String(body.length), ...headers },
      }, (res) => {
        const chunks: Buffer[] = [];
        // a keep-alive socket leaves the response when it ends
        const socket = res.socket;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), socket }));
        res.on('error', reject);
      });
      req.setTimeout(this.o.timeoutMs ?? 60_000, () => req.destroy(new WsmanTransportError(`no answer from ${this.o.endpoint} within ${this.o.timeoutMs ?? 60_000} ms`)));
      req.on('error', (e) => reject(e instanceof WsmanTransportError ? e : new WsmanTransportError(`${this.o.endpoint}: ${e.message}`)));
      req.end(body);
    });
  }

  /** The NTLM handshake on the agent's connection. */
  private async handshake(): Promise<void> {
    const negotiate = buildNegotiate();
    const first = await this.raw(Buffer.alloc(0), { Authorization: `Negotiate ${negotiate.toString('base64')}`, 'Content-Type': 'application/soap+xml;charset=UTF-8' });
    const challengeHeader = [first.headers['www-authenticate'] ?? []].flat().find((h) => /^negotiate\s+\S/i.test(h));
    if (first.status !== 401 || !challengeHeader) throw new WsmanTransportError(`NTLM: the server did not answer NEGOTIATE with a challenge (HTTP ${first.status})`, first.status);
    const challenge = Buffer.from(challengeHeader.replace(/^negotiate\s+/i, '').trim(), 'base64');
    let channelBindings: Buffer | undefined;
    if (this.url.protocol === 'https:') {
      const cert = (first.socket as TLSSocket).getPeerCertificate?.();
      if (cert?.raw) channelBindings = ntlmChannelBindingHash(cert.raw);
    }
    const { token, session } = authenticateAccount({ negotiate, challenge, account: this.o.user, password: this.o.password, workstation: 'VMMS-CAPTURE', channelBindings });
    const second = await this.raw(Buffer.alloc(0), { Authorization: `Negotiate ${token.toString('base64')}`, 'Content-Type': 'application/soap+xml;charset=UTF-8' });
    if (second.status !== 200) throw new WsmanTransportError(`NTLM authentication failed (HTTP ${second.status})`, second.status);
    this.session = session;
  }

  /** Send an envelope; the answer's text (a fault becomes a {@link WsmanClientFault}). */
  async send(xml: string, retry = true): Promise<XmlElement> {
    const plain = Buffer.from(xml, 'utf8');
    let answer: RawAnswer;
    if (this.o.auth === 'basic') {
      answer = await this.raw(plain, {
        Authorization: 'Basic ' + Buffer.from(`${this.o.user}:${this.o.password}`).toString('base64'),
        'Content-Type': 'application/soap+xml;charset=UTF-8',
      });
    } else {
      if (!this.session) await this.handshake();
      const session = this.session!;
      if (this.seal) {
        const sealed = encryptBody(plain, session);
        answer = await this.raw(sealed.body, { 'Content-Type': sealed.contentType });
      } else {
        answer = await this.raw(plain, { 'Content-Type': 'application/soap+xml;charset=UTF-8' });
      }
      if (answer.status === 401 && retry) {
        // the connection (and the context bound to it) is gone: authenticate again
        this.session = undefined;
        return this.send(xml, false);
      }
    }
    if (answer.status === 401 || answer.status === 403) throw new WsmanTransportError(`access refused (HTTP ${answer.status}): check the user, the password and --auth`, answer.status);
    let bodyBuf = answer.body;
    let contentType = String(answer.headers['content-type'] ?? '');
    const enc = parseEncryptedContentType(contentType);
    if (enc) {
      if (!this.session) throw new WsmanTransportError('a sealed answer without a session');
      const d = decryptBody(bodyBuf, enc, this.session);
      bodyBuf = d.plaintext;
      contentType = d.contentType;
    }
    if (bodyBuf.length === 0) throw new WsmanTransportError(`empty answer (HTTP ${answer.status})`, answer.status);
    const textBody = decodeBody(bodyBuf, contentType).text;
    const doc = parseXml(textBody);
    const fault = descendantsNamed(doc, NS.s, 'Fault')[0];
    if (fault) {
      const values = descendantsNamed(fault, NS.s, 'Value').map((v) => textOf(v).trim());
      const reason = descendantsNamed(fault, NS.s, 'Text')[0];
      throw new WsmanClientFault(answer.status, values[0] ?? '', values[1], reason ? textOf(reason) : '');
    }
    if (answer.status !== 200) throw new WsmanTransportError(`HTTP ${answer.status}`, answer.status);
    return doc;
  }

  private envelope(o: { action?: string; resourceUri?: string; selectors?: Record<string, string>; body: string }): string {
    const sel = o.selectors
      ? `<w:SelectorSet>${Object.entries(o.selectors).map(([k, v]) => `<w:Selector Name="${esc(k)}">${esc(v)}</w:Selector>`).join('')}</w:SelectorSet>`
      : '';
    return (
      `<s:Envelope xmlns:s="${NS.s}" xmlns:a="${NS.a}" xmlns:w="${NS.w}" xmlns:n="${NS.n}" xmlns:p="${NS.p}">` +
      '<s:Header>' +
      `<a:To>${esc(this.o.endpoint)}</a:To>` +
      (o.resourceUri ? `<w:ResourceURI s:mustUnderstand="true">${esc(o.resourceUri)}</w:ResourceURI>` : '') +
      `<a:ReplyTo><a:Address s:mustUnderstand="true">${ANONYMOUS}</a:Address></a:ReplyTo>` +
      (o.action ? `<a:Action s:mustUnderstand="true">${esc(o.action)}</a:Action>` : '') +
      '<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize>' +
      `<a:MessageID>uuid:${randomUUID().toUpperCase()}</a:MessageID>` +
      '<w:Locale xml:lang="en-US" s:mustUnderstand="false"/>' +
      sel +
      '<w:OperationTimeout>PT60.000S</w:OperationTimeout>' +
      '</s:Header>' +
      `<s:Body>${o.body}</s:Body></s:Envelope>`
    );
  }

  async identify(): Promise<IdentifyInfo> {
    const doc = await this.send(`<s:Envelope xmlns:s="${NS.s}" xmlns:wsmid="${NS.wsmid}"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`);
    const one = (local: string) => {
      const e = descendantsNamed(doc, NS.wsmid, local)[0];
      return e ? textOf(e).trim() : '';
    };
    return {
      protocolVersion: one('ProtocolVersion'),
      productVendor: one('ProductVendor'),
      productVersion: one('ProductVersion'),
      securityProfiles: descendantsNamed(doc, NS.wsmid, 'SecurityProfileName').map((e) => textOf(e).trim()),
    };
  }

  /** Every instance of a resource URI (Enumerate, then Pull until the end). */
  async enumerate(resourceUri: string): Promise<XmlElement[]> {
    const ENUM = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate';
    const PULL = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull';
    const first = await this.send(this.envelope({
      action: ENUM, resourceUri, body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements></n:Enumerate>',
    }));
    const items: XmlElement[] = [];
    const take = (doc: XmlElement) => {
      for (const list of [...descendantsNamed(doc, NS.w, 'Items'), ...descendantsNamed(doc, NS.n, 'Items')]) items.push(...childElements(list));
    };
    take(first);
    let ctx = descendantsNamed(first, NS.n, 'EnumerationContext')[0];
    let done = descendantsNamed(first, NS.w, 'EndOfSequence').length > 0;
    for (let guard = 0; !done && ctx && textOf(ctx).trim() && guard < 100_000; guard++) {
      const next = await this.send(this.envelope({
        action: PULL, resourceUri,
        body: `<n:Pull><n:EnumerationContext>${esc(textOf(ctx).trim())}</n:EnumerationContext><n:MaxElements>100</n:MaxElements></n:Pull>`,
      }));
      take(next);
      done = descendantsNamed(next, NS.n, 'EndOfSequence').length > 0;
      ctx = descendantsNamed(next, NS.n, 'EnumerationContext')[0];
    }
    return items;
  }

  /** Invoke a method; `params` is the XML of the input parameters (prefix `p` is the class URI). */
  async invoke(resourceUri: string, selectors: Record<string, string>, method: string, params: string): Promise<XmlElement> {
    const doc = await this.send(this.envelope({
      action: `${resourceUri}/${method}`, resourceUri, selectors,
      body: `<p:${method}_INPUT xmlns:p="${esc(resourceUri)}">${params}</p:${method}_INPUT>`,
    }));
    const out = descendantsNamed(doc, resourceUri, `${method}_OUTPUT`)[0];
    if (!out) throw new WsmanTransportError(`no ${method}_OUTPUT in the answer`);
    return out;
  }

  /** An EPR parameter's content. */
  static epr(address: string, resourceUri: string, selectors: Record<string, string>): string {
    return `<a:Address xmlns:a="${NS.a}">${esc(address)}</a:Address><a:ReferenceParameters xmlns:a="${NS.a}"><w:ResourceURI xmlns:w="${NS.w}">${esc(resourceUri)}</w:ResourceURI><w:SelectorSet xmlns:w="${NS.w}">` +
      Object.entries(selectors).map(([k, v]) => `<w:Selector Name="${esc(k)}">${esc(v)}</w:Selector>`).join('') + '</w:SelectorSet></a:ReferenceParameters>';
  }
}

export { ANONYMOUS };
