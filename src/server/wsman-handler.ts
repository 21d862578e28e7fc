/**
 * The `/wsman` request listener: a plain Node (req, res) function so the hot path pays nothing for
 * a framework (express can still mount it as middleware: {@link asWsmanMiddleware}, EmulatorHost.middleware).
 *
 * Order of checks follows what HTTP.sys + WinRM do: path (404), method (405), declared size (413),
 * authentication (401 with one WWW-Authenticate per enabled scheme), then the body: message
 * encryption, charset, SOAP, and the answer in the request's charset — sealed when the request was.
 *
 * Security rules, per listener (a Windows host's listener settings, wire notes §6):
 *  - Basic only where Basic is on, and over plain HTTP only with AllowUnencrypted.
 *  - Negotiate (NTLM, raw or SPNEGO) binds the account, and the NTLM session when sealing was
 *    negotiated, to the TCP connection: later requests come without `Authorization`. A failed
 *    handshake or a bare 401 drops the connection's state and closes it (`Connection: close`, as
 *    Windows sends only then); the state is also dropped when the socket closes.
 *  - Sealed bodies (`multipart/encrypted`, HTTP-SPNEGO-session-encrypted) are decrypted and verified
 *    before anything else reads them; the answer, faults included, is sealed with the same session.
 *  - Plaintext SOAP after Negotiate on plain HTTP is refused unless AllowUnencrypted.
 *  - Nothing here logs credentials, tokens or sealed bytes; the request event carries the user name only.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WsmanFault } from '../faults/catalogue.js';
import { handleSoap } from '../soap/endpoint.js';
import { writeFault } from '../soap/fault-writer.js';
import { CharsetError, charsetParam, decodeBody, encodeBody } from '../soap/charset.js';
import type { Caller, WsmanHost } from '../wsman/host.js';
import type { NegotiateAcceptor } from './auth/ntlm/negotiate.js';
import { NtlmSessionError } from './auth/ntlm/session.js';
import { BodyAborted, BodyTooLarge, declaredLength, readBody } from './body.js';
import type { ConnectionGuard } from './connection-limits.js';
import {
  EncryptionFramingError,
  SPNEGO_SESSION_ENCRYPTED,
  decryptBody,
  encryptBody,
  parseEncryptedContentType,
  type MessageSealer,
} from './encryption.js';
import { UserStore, type UserAccount } from './users.js';

export const SERVER_HEADER = 'Microsoft-HTTPAPI/2.0';

export interface ListenerSecurity {
  readonly scheme: 'http' | 'https';
  /** AllowUnencrypted: plaintext bodies (and Basic) over HTTP */
  readonly allowUnencrypted: boolean;
  readonly basic: boolean;
  readonly negotiate: boolean;
  readonly certificate: boolean;
}

/** Per-TCP-connection authentication state (NTLM contexts bind to the connection). */
export interface ConnectionState {
  /** the account authenticated on this connection by a connection-bound scheme */
  account?: UserAccount;
  /** the scheme that authenticated it (lower-case scheme name) */
  via?: string;
  /** the session that seals and unseals this connection's messages (NTLM with SEAL) */
  sealer?: MessageSealer;
  /** the Negotiate handshake in progress or done on this connection */
  acceptor?: NegotiateAcceptor;
}

/** A pluggable authentication scheme beside Basic (Negotiate, client certificates). */
export interface AuthScheme {
  /** the scheme token in `Authorization: <scheme> …`, lower-cased */
  readonly name: string;
  /** value this scheme adds to a bare 401 (`Negotiate`), if it advertises itself */
  readonly challenge?: string;
  handle(ctx: AuthContext, token: string): AuthOutcome;
}

export interface AuthContext {
  readonly req: IncomingMessage;
  readonly conn: ConnectionState;
  readonly users: UserStore;
  readonly host: WsmanHost;
  readonly security: ListenerSecurity;
}

export type AuthOutcome =
  | {
      readonly kind: 'ok';
      readonly account: UserAccount;
      /** bind the account (and the sealing session, if any) to the connection */
      readonly bind?: { readonly sealer?: MessageSealer };
      /** a final `WWW-Authenticate` value to send with the answer (SPNEGO accept-completed) */
      readonly header?: string;
    }
  /** answer 401 with this `WWW-Authenticate` value and keep the connection */
  | { readonly kind: 'continue'; readonly header: string }
  /** refuse: 401 with the listener's challenges (default), or 403 (e.g. an expired client certificate) */
  | { readonly kind: 'fail'; readonly status?: 401 | 403 };

export interface RequestEvent {
  readonly host: string;
  readonly user?: string;
  readonly status: number;
  readonly action?: string;
  readonly resourceUri?: string;
  readonly faultKind?: string;
  /** the request body was sealed (message encryption) */
  readonly sealed?: boolean;
  readonly durationMs: number;
}

export interface WsmanHandlerOptions {
  readonly host: WsmanHost;
  readonly users: UserStore;
  readonly security: ListenerSecurity;
  /** largest request body accepted (MaxEnvelopeSizekb × 1024) */
  readonly maxBodyBytes: number;
  /** schemes beside Basic, already filtered for this listener (see createAuthSchemes) */
  readonly schemes?: readonly AuthScheme[];
  /** told when a connection authenticates, so it is no longer limited as a pending one */
  readonly guard?: ConnectionGuard;
  readonly onRequest?: (e: RequestEvent) => void;
}

const connections = new WeakMap<Socket, ConnectionState>();
/** connections the guard has been told are authenticated */
const guardTold = new WeakSet<Socket>();

/** The connection's state, created on first use and emptied when the socket closes. */
export function connectionState(socket: Socket): ConnectionState {
  let s = connections.get(socket);
  if (!s) {
    const state: ConnectionState = {};
    s = state;
    connections.set(socket, state);
    socket.once('close', () => {
      resetConnection(state);
      connections.delete(socket);
    });
  }
  return s;
}

function resetConnection(s: ConnectionState): void {
  s.account = undefined;
  s.via = undefined;
  s.sealer = undefined;
  s.acceptor = undefined;
}

/** The local address a client connected to, without the IPv4-mapped prefix (remembered per socket). */
const localAddresses = new WeakMap<Socket, string>();
function localAddressOf(socket: Socket): string {
  let a = localAddresses.get(socket);
  if (a === undefined) {
    const raw = socket.localAddress;
    if (raw === undefined) return '';
    a = raw.replace(/^::ffff:/, '');
    localAddresses.set(socket, a);
  }
  return a;
}

function isWsmanPath(url: string | undefined): boolean {
  if (!url) return false;
  const q = url.indexOf('?');
  const path = (q >= 0 ? url.slice(0, q) : url).toLowerCase();
  return path === '/wsman' || path === '/wsman/';
}

function send(res: ServerResponse, status: number, body: Buffer | string, headers: Record<string, string | string[]> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, { Server: SERVER_HEADER, 'Content-Length': String(buf.length), ...headers });
  res.end(buf);
}

/*
 * SOAP answers are written at the end of the event-loop pass that produced them (setImmediate),
 * all of that pass's answers back to back. A write that finds the reading client asleep pays for
 * waking it, and on a small VM that is most of the cost of a write: on the bench machine the
 * writev of a 2.5 KB answer cost about 30 µs when the client waited for it, against 8 µs when it
 * was busy (bench/README.md). Written together, a pass's answers wake a sleeping client once.
 * Answers keep their order (one queue, first in first out); only the final answer of a request is
 * deferred, never a refusal that closes the connection.
 */
interface DeferredAnswer {
  readonly res: ServerResponse;
  readonly status: number;
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

let answers: DeferredAnswer[] = [];
const deferred = new WeakSet<ServerResponse>();

function writeAnswers(): void {
  const batch = answers;
  answers = [];
  for (const a of batch) {
    try {
      a.res.writeHead(a.status, { Server: SERVER_HEADER, 'Content-Length': String(a.body.length), ...a.headers });
      a.res.end(a.body);
    } catch (err) {
      process.emitWarning(`vmms-emu: an answer could not be written: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function sendAnswer(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string>): void {
  if (answers.length === 0) setImmediate(writeAnswers);
  deferred.add(res);
  answers.push({ res, status, body, headers });
}

/** Basic may be used on this listener: Basic on, and HTTPS or AllowUnencrypted. */
function basicUsable(sec: ListenerSecurity): boolean {
  return sec.basic && (sec.scheme === 'https' || sec.allowUnencrypted);
}

/** `Authorization` → lower-cased scheme and token. The mutual-auth URI has no token. */
function splitAuthorization(value: string): { scheme: string; token: string } {
  // what clients send on every request, in one step (the general case below gives the same)
  if (value.startsWith('Basic ')) return { scheme: 'basic', token: value.slice(6).trim() };
  const v = value.trim();
  const sp = v.search(/\s/);
  return sp < 0 ? { scheme: v.toLowerCase(), token: '' } : { scheme: v.slice(0, sp).toLowerCase(), token: v.slice(sp + 1).trim() };
}

/** `UTF-8` / `UTF-16` for OriginalContent, from the answer's Content-Type. */
function originalCharset(contentType: string): string {
  return (charsetParam(contentType) ?? 'utf-8').toUpperCase();
}

export function createWsmanHandler(opts: WsmanHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { host, users, security } = opts;
  const schemeList = opts.schemes ?? [];
  const schemes = new Map(schemeList.map((s) => [s.name, s]));
  const challenges: string[] = schemeList.flatMap((s) => (s.challenge ? [s.challenge] : []));
  if (basicUsable(security)) challenges.push('Basic realm="WSMAN"');

  return (req, res) => {
    const started = performance.now();
    const report = (status: number, extra: Partial<RequestEvent> = {}) =>
      opts.onRequest?.({ host: host.name, status, durationMs: performance.now() - started, ...extra });

    /** The 401 that ends the exchange: every enabled scheme, state dropped, connection closed (V). */
    const refuse = (conn: ConnectionState | undefined, status: 401 | 403 = 401, extra: Partial<RequestEvent> = {}) => {
      if (conn) resetConnection(conn);
      send(res, status, '', status === 401 ? { 'WWW-Authenticate': challenges, Connection: 'close' } : { Connection: 'close' });
      report(status, extra);
    };

    if (!isWsmanPath(req.url)) {
      req.resume();
      send(res, 404, '');
      report(404);
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      send(res, 405, '', { Allow: 'POST' });
      report(405);
      return;
    }
    const declared = declaredLength(req);
    if (declared !== undefined && declared > opts.maxBodyBytes) {
      // refuse before reading the body, and drop the connection so the rest is never read
      send(res, 413, '', { Connection: 'close' });
      req.socket.destroySoon?.();
      report(413);
      return;
    }

    readBody(req, opts.maxBodyBytes).then(
      (body) => {
        const conn = connectionState(req.socket);
        let account: UserAccount | undefined;
        let anonymousIdentify = false;
        /** authenticated by a connection-bound scheme (Negotiate), now or earlier on this connection */
        let connectionBound = false;
        const answerHeaders: Record<string, string> = {};
        const authz = req.headers.authorization;

        if (authz) {
          const { scheme: schemeName, token } = splitAuthorization(authz);
          if (schemeName === 'basic') {
            if (!basicUsable(security)) {
              refuse(conn);
              return;
            }
            account = users.verifyBasic(token);
            if (!account) {
              refuse(conn);
              return;
            }
          } else {
            const scheme = schemes.get(schemeName);
            if (!scheme) {
              refuse(conn);
              return;
            }
            const outcome = scheme.handle({ req, conn, users, host, security }, token);
            if (outcome.kind === 'continue') {
              // a handshake (re)starts: whatever this connection had authenticated is gone
              conn.account = undefined;
              conn.via = undefined;
              conn.sealer = undefined;
              send(res, 401, '', { 'WWW-Authenticate': outcome.header });
              report(401);
              return;
            }
            if (outcome.kind === 'fail') {
              refuse(conn, outcome.status ?? 401);
              return;
            }
            account = outcome.account;
            if (outcome.bind) {
              conn.account = outcome.account;
              conn.via = scheme.name;
              conn.sealer = outcome.bind.sealer;
              connectionBound = true;
            }
            if (outcome.header) answerHeaders['WWW-Authenticate'] = outcome.header;
          }
        } else if (conn.account) {
          account = conn.account;
          connectionBound = true;
        } else if (String(req.headers['wsmanidentify'] ?? '').toLowerCase() === 'unauthenticated') {
          anonymousIdentify = true;
        } else {
          refuse(conn);
          return;
        }

        if (account && !UserStore.mayUseHost(account, host.name)) {
          refuse(conn, 401, { user: account.name });
          return;
        }
        if (account && opts.guard && !guardTold.has(req.socket)) {
          // the guard forgets an authenticated connection for good: tell it once per connection
          opts.guard.markAuthenticated(req.socket);
          guardTold.add(req.socket);
        }

        if (body.length === 0 && authz) {
          // an authentication-only request (pywinrm's encryption setup) gets an empty 200
          send(res, 200, '', answerHeaders);
          report(200, { user: account?.name });
          return;
        }

        // ---- message encryption ----
        let contentType = req.headers['content-type'];
        let plain = body;
        let sealer: MessageSealer | undefined;
        // only a multipart type can be an encrypted body: skip the parameter parsing otherwise
        const encrypted = contentType !== undefined && /multipart/i.test(contentType) ? parseEncryptedContentType(contentType) : undefined;
        if (encrypted) {
          if (!account || !connectionBound || !conn.sealer) {
            // no security context to decrypt with: the client must authenticate (again)
            refuse(conn, 401, { user: account?.name, sealed: true });
            return;
          }
          try {
            if (encrypted.protocol.toLowerCase() !== SPNEGO_SESSION_ENCRYPTED.toLowerCase()) {
              throw new EncryptionFramingError('protocol-mismatch', `protocol ${encrypted.protocol} does not fit a Negotiate session`);
            }
            const decrypted = decryptBody(body, encrypted, conn.sealer);
            plain = decrypted.plaintext;
            contentType = decrypted.contentType;
            sealer = conn.sealer;
          } catch (e) {
            if (!(e instanceof EncryptionFramingError || e instanceof NtlmSessionError)) throw e;
            // A body that does not decrypt or verify is never processed. Windows answers 400 Bad
            // Request and drops the connection (HTTP.sys transport failure; MSDN forum thread
            // "HTTP 400 when using [MS-WSMV] WSMan/WinRM Message Encryption with Negotiate (NTLM
            // token)": the WinRM trace shows authentication and authorisation succeed, then "Sending
            // HTTP error back to the client due to a transport failure", 400, connection closed).
            // The session's inbound stream is out of step after a failure, so the context is dropped.
            resetConnection(conn);
            send(res, 400, '', { Connection: 'close' });
            report(400, { user: account.name, sealed: true, faultKind: 'CannotDecrypt' });
            return;
          }
        } else if (connectionBound && security.scheme === 'http' && !security.allowUnencrypted) {
          // Plaintext after Negotiate on HTTP while AllowUnencrypted is false: Windows answers HTTP 500
          // and logs that an unencrypted message was received and is forbidden (diyan/pywinrm#129,
          // #208; rapid7/metasploit-framework#8900; cloudsoft/winrm4j#151 — all 500 on Server
          // 2012–2019; one older report saw 401). The body is not processed; the fault is
          // w:AccessDenied without RelatesTo, since the request was not read.
          const { status, body: xml } = writeFault(new WsmanFault('AccessDenied'), {
            machine: req.socket.localAddress?.replace(/^::ffff:/, '') ?? '',
            hostName: host.fqdn,
            classOf: (ns, name) => host.om.schema.getClass(ns, name),
          });
          const out = encodeBody(xml, 'utf-8');
          send(res, status, out.body, { 'Content-Type': out.contentType });
          report(status, { user: account?.name, faultKind: 'AccessDenied' });
          return;
        }

        if (!contentType || !/^application\/soap\+xml\b/i.test(contentType)) {
          send(res, 415, '');
          report(415, { user: account?.name, sealed: !!sealer });
          return;
        }
        let decoded;
        try {
          decoded = decodeBody(plain, contentType);
        } catch (e) {
          if (e instanceof CharsetError) {
            send(res, 400, '');
            report(400, { user: account?.name, sealed: !!sealer });
            return;
          }
          throw e;
        }
        const caller: Caller = {
          user: account?.name ?? '',
          authenticated: !anonymousIdentify,
          readOnly: account?.readOnly ?? true,
          localAddress: localAddressOf(req.socket),
          encoding: decoded.charset === 'utf-8' ? 'utf-8' : 'utf-16',
        };
        const result = handleSoap(decoded.text, host, caller);
        if (result.status === 401) {
          refuse(conn);
          return;
        }
        const out = encodeBody(result.xml, decoded.charset);
        if (sealer) {
          const sealed = encryptBody(out.body, sealer, { charset: originalCharset(out.contentType) });
          sendAnswer(res, result.status, sealed.body, { 'Content-Type': sealed.contentType, ...answerHeaders });
        } else {
          sendAnswer(res, result.status, out.body, { 'Content-Type': out.contentType, ...answerHeaders });
        }
        report(result.status, {
          user: caller.user, action: result.action, resourceUri: result.resourceUri, faultKind: result.faultKind, sealed: !!sealer,
        });
      },
      (err: unknown) => {
        if (err instanceof BodyTooLarge) {
          send(res, 413, '', { Connection: 'close' });
          req.socket.destroySoon?.();
          report(413);
        } else if (err instanceof BodyAborted) {
          req.socket.destroy();
        } else {
          if (!res.headersSent) send(res, 400, '');
          report(400);
        }
      },
    ).catch((err: unknown) => {
      // a defect in our code: answer 500 with no details rather than dropping the connection
      if (!res.headersSent && !deferred.has(res)) send(res, 500, '');
      report(500);
      process.emitWarning(`vmms-emu: unexpected error in /wsman handler: ${err instanceof Error ? err.message : String(err)}`);
    });
  };
}

/** A connect/express middleware: the request function answers `/wsman`, anything else goes on to `next`. */
export type WsmanMiddleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

/**
 * A request function as express-compatible middleware. Mount it without a path (`app.use(mw)`, so
 * the URL is still `/wsman`) and before any body parser (it reads the body itself).
 */
export function asWsmanMiddleware(handler: (req: IncomingMessage, res: ServerResponse) => void): WsmanMiddleware {
  return (req, res, next) => {
    if (isWsmanPath(req.url)) handler(req, res);
    else next();
  };
}

