/**
 * The `/wsman` request listener: a plain Node (req, res) function so the hot path pays nothing for
 * a framework (express can still mount it as middleware: see {@link wsmanMiddleware}).
 *
 * Order of checks follows what HTTP.sys + WinRM do: path (404), method (405), declared size (413),
 * authentication (401 with one WWW-Authenticate per enabled scheme), then the body: charset,
 * SOAP, and the answer in the request's charset.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { handleSoap } from '../soap/endpoint.js';
import { CharsetError, decodeBody, encodeBody } from '../soap/charset.js';
import type { Caller, WsmanHost } from '../wsman/host.js';
import { BodyAborted, BodyTooLarge, declaredLength, readBody } from './body.js';
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
  /** scheme-specific state (NTLM handshake, sealing keys) */
  negotiate?: unknown;
}

/** A pluggable authentication scheme beside Basic (Negotiate, client certificates). */
export interface AuthScheme {
  /** the scheme token in `Authorization: <scheme> …`, lower-cased */
  readonly name: string;
  /** value(s) this scheme adds to a bare 401 (`Negotiate`) */
  readonly challenge: string;
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
  | { readonly kind: 'ok'; readonly account: UserAccount; readonly headers?: Record<string, string> }
  | { readonly kind: 'continue'; readonly header: string }
  | { readonly kind: 'fail' };

export interface RequestEvent {
  readonly host: string;
  readonly user?: string;
  readonly status: number;
  readonly action?: string;
  readonly resourceUri?: string;
  readonly faultKind?: string;
  readonly durationMs: number;
}

export interface WsmanHandlerOptions {
  readonly host: WsmanHost;
  readonly users: UserStore;
  readonly security: ListenerSecurity;
  /** largest request body accepted (MaxEnvelopeSizekb × 1024) */
  readonly maxBodyBytes: number;
  readonly schemes?: readonly AuthScheme[];
  /** body transforms for sealed messages (message encryption), by connection */
  readonly onRequest?: (e: RequestEvent) => void;
}

const connections = new WeakMap<Socket, ConnectionState>();

export function connectionState(socket: Socket): ConnectionState {
  let s = connections.get(socket);
  if (!s) {
    s = {};
    connections.set(socket, s);
  }
  return s;
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

/** A 401 that ends the exchange: one WWW-Authenticate per enabled scheme, connection closed (V). */
function unauthorized(res: ServerResponse, opts: WsmanHandlerOptions): void {
  const challenges: string[] = [];
  for (const s of opts.schemes ?? []) challenges.push(s.challenge);
  if (opts.security.basic && (opts.security.scheme === 'https' || opts.security.allowUnencrypted)) challenges.push('Basic realm="WSMAN"');
  send(res, 401, '', { 'WWW-Authenticate': challenges, Connection: 'close' });
}

function parseBasic(token: string): { user: string; password: string } | undefined {
  const decoded = Buffer.from(token.trim(), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  if (i < 0) return undefined;
  return { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

export function createWsmanHandler(opts: WsmanHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { host, users, security } = opts;
  const schemes = new Map((opts.schemes ?? []).map((s) => [s.name, s]));

  return (req, res) => {
    const started = performance.now();
    const report = (status: number, extra: Partial<RequestEvent> = {}) =>
      opts.onRequest?.({ host: host.name, status, durationMs: performance.now() - started, ...extra });

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
        let account: UserAccount | undefined = conn.account;
        let anonymousIdentify = false;
        const authz = req.headers.authorization;
        if (authz) {
          const sp = authz.indexOf(' ');
          const schemeName = (sp < 0 ? authz : authz.slice(0, sp)).toLowerCase();
          const token = sp < 0 ? '' : authz.slice(sp + 1);
          if (schemeName === 'basic' && security.basic && (security.scheme === 'https' || security.allowUnencrypted)) {
            const cred = parseBasic(token);
            account = cred ? users.verify(cred.user, cred.password) : undefined;
            if (!account) {
              unauthorized(res, opts);
              report(401);
              return;
            }
          } else {
            const scheme = schemes.get(schemeName);
            if (!scheme) {
              unauthorized(res, opts);
              report(401);
              return;
            }
            const outcome = scheme.handle({ req, conn, users, host, security }, token);
            if (outcome.kind === 'continue') {
              send(res, 401, '', { 'WWW-Authenticate': outcome.header });
              report(401);
              return;
            }
            if (outcome.kind === 'fail') {
              unauthorized(res, opts);
              report(401);
              return;
            }
            account = outcome.account;
          }
        } else if (!account) {
          if (String(req.headers['wsmanidentify'] ?? '').toLowerCase() === 'unauthenticated') anonymousIdentify = true;
          else {
            unauthorized(res, opts);
            report(401);
            return;
          }
        }
        if (account && !UserStore.mayUseHost(account, host.name)) {
          unauthorized(res, opts);
          report(401, { user: account.name });
          return;
        }
        if (body.length === 0 && authz) {
          // an authentication-only request (pywinrm's encryption setup) gets an empty 200
          send(res, 200, '');
          report(200, { user: account?.name });
          return;
        }
        const contentType = req.headers['content-type'];
        if (!contentType || !/^application\/soap\+xml\b/i.test(contentType)) {
          send(res, 415, '');
          report(415, { user: account?.name });
          return;
        }
        let decoded;
        try {
          decoded = decodeBody(body, contentType);
        } catch (e) {
          if (e instanceof CharsetError) {
            send(res, 400, '');
            report(400, { user: account?.name });
            return;
          }
          throw e;
        }
        const caller: Caller = {
          user: account?.name ?? '',
          authenticated: !anonymousIdentify,
          readOnly: account?.readOnly ?? true,
          localAddress: req.socket.localAddress?.replace(/^::ffff:/, '') ?? '',
        };
        const result = handleSoap(decoded.text, host, caller);
        if (result.status === 401) {
          unauthorized(res, opts);
          report(401);
          return;
        }
        const out = encodeBody(result.xml, decoded.charset);
        send(res, result.status, out.body, { 'Content-Type': out.contentType });
        report(result.status, {
          user: caller.user, action: result.action, resourceUri: result.resourceUri, faultKind: result.faultKind,
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
      if (!res.headersSent) send(res, 500, '');
      report(500);
      process.emitWarning(`vmms-emu: unexpected error in /wsman handler: ${err instanceof Error ? err.message : String(err)}`);
    });
  };
}

/** Express-compatible middleware: handles `/wsman`, passes everything else on. */
export function wsmanMiddleware(opts: WsmanHandlerOptions) {
  const handler = createWsmanHandler(opts);
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (isWsmanPath(req.url)) handler(req, res);
    else next();
  };
}
