/**
 * Keeps unauthenticated connections from exhausting a listener (slowloris, half-open TCP, stalled
 * TLS handshakes, abandoned NTLM handshakes).
 *
 * Every accepted TCP connection is "pending" until a request on it authenticates (Basic, Negotiate or
 * a client certificate). Pending connections are bounded two ways:
 *  - a deadline: a connection that has not authenticated within `authenticationTimeoutMs` of being
 *    accepted is destroyed, whatever it is doing (half-sent headers, a TLS handshake that never ends,
 *    a CHALLENGE never answered);
 *  - a cap: when a new connection would make more than `maxPending`, the oldest pending connection
 *    that has no request in progress (else the oldest one) is destroyed to make room. New clients are
 *    therefore always served, and a flood only churns the flood's own connections.
 * Authenticated connections are left to the HTTP server's own keep-alive and header timeouts.
 *
 * Connections are identified by remote address and port, which the raw TCP socket (seen at
 * 'connection') and the TLS socket (seen by requests) share.
 */
import type { Server } from 'node:net';
import type { Socket } from 'node:net';

export interface ConnectionLimitOptions {
  /** most unauthenticated connections kept per listener (default 100) */
  readonly maxPending?: number;
  /** time from accept to authentication before the connection is dropped (default 30 s) */
  readonly authenticationTimeoutMs?: number;
}

export interface ConnectionGuardStats {
  /** connections accepted and not yet authenticated */
  readonly pending: number;
  /** pending connections dropped to make room */
  readonly evicted: number;
  /** pending connections dropped at their deadline */
  readonly timedOut: number;
}

interface Pending {
  socket: Socket;
  timer: NodeJS.Timeout;
  busy: number;
}

export const DEFAULT_MAX_PENDING = 100;
export const DEFAULT_AUTHENTICATION_TIMEOUT_MS = 30_000;

function keyOf(s: { remoteAddress?: string; remotePort?: number }): string | undefined {
  return s.remoteAddress === undefined || s.remotePort === undefined ? undefined : `${s.remoteAddress}|${s.remotePort}`;
}

export class ConnectionGuard {
  private readonly pending = new Map<string, Pending>();
  private readonly maxPending: number;
  private readonly timeoutMs: number;
  private evicted = 0;
  private timedOut = 0;
  private closed = false;

  constructor(opts: ConnectionLimitOptions = {}) {
    this.maxPending = Math.max(1, opts.maxPending ?? DEFAULT_MAX_PENDING);
    this.timeoutMs = Math.max(1, opts.authenticationTimeoutMs ?? DEFAULT_AUTHENTICATION_TIMEOUT_MS);
  }

  /** Start watching a listening (or about to listen) HTTP/HTTPS server. */
  attach(server: Server): void {
    server.on('connection', (socket: Socket) => this.accepted(socket));
    server.on('request', (req: { socket: Socket }, res: { once(e: string, f: () => void): void }) => {
      const p = this.lookup(req.socket);
      if (!p) return;
      p.busy++;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        p.busy--;
      };
      res.once('finish', finish);
      res.once('close', finish);
    });
  }

  /** The connection `socket` belongs to has authenticated: no deadline, no longer counted. */
  markAuthenticated(socket: Socket): void {
    const key = keyOf(socket);
    if (key === undefined) return;
    const p = this.pending.get(key);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(key);
  }

  get stats(): ConnectionGuardStats {
    return { pending: this.pending.size, evicted: this.evicted, timedOut: this.timedOut };
  }

  /** Stop all timers (the server's own close destroys the sockets). */
  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private lookup(socket: Socket): Pending | undefined {
    const key = keyOf(socket);
    return key === undefined ? undefined : this.pending.get(key);
  }

  private accepted(socket: Socket): void {
    if (this.closed) return;
    const key = keyOf(socket);
    if (key === undefined) return;
    while (this.pending.size >= this.maxPending) this.evictOne();
    const timer = setTimeout(() => {
      if (this.pending.get(key)?.socket !== socket) return;
      this.pending.delete(key);
      this.timedOut++;
      socket.destroy();
    }, this.timeoutMs);
    timer.unref();
    this.pending.set(key, { socket, timer, busy: 0 });
    socket.once('close', () => {
      const p = this.pending.get(key);
      if (p?.socket !== socket) return;
      clearTimeout(p.timer);
      this.pending.delete(key);
    });
  }

  private evictOne(): void {
    let victim: [string, Pending] | undefined;
    for (const entry of this.pending) {
      if (entry[1].busy === 0) {
        victim = entry;
        break;
      }
      victim ??= entry;
    }
    if (!victim) return;
    const [key, p] = victim;
    clearTimeout(p.timer);
    this.pending.delete(key);
    this.evicted++;
    p.socket.destroy();
  }
}
