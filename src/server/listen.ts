/**
 * HTTP and HTTPS listeners for the `/wsman` handler. Keep-alive stays on (NTLM contexts live on
 * the connection, and pywinrm cannot recover from a dropped authenticated connection), TLS is
 * 1.2 or newer, Nagle is off so small answers are not delayed.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface TlsMaterial {
  cert: string;
  key: string;
  ca?: string;
  /** ask for a client certificate (mutual auth), without rejecting connections that have none */
  requestCert?: boolean;
}

export interface Listener {
  readonly server: http.Server | https.Server;
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

function track(server: http.Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

export async function listen(
  handler: RequestListener,
  opts: { bind: string; port: number; tls?: TlsMaterial; keepAliveMs?: number; headersTimeoutMs?: number },
): Promise<Listener> {
  const serverOpts = {
    keepAliveTimeout: opts.keepAliveMs ?? 120_000,
    headersTimeout: opts.headersTimeoutMs ?? 30_000,
    requestTimeout: 300_000,
  };
  const server = opts.tls
    ? https.createServer(
        {
          ...serverOpts,
          cert: opts.tls.cert,
          key: opts.tls.key,
          ca: opts.tls.ca,
          minVersion: 'TLSv1.2',
          requestCert: opts.tls.requestCert ?? false,
          rejectUnauthorized: false,
        },
        handler,
      )
    : http.createServer(serverOpts, handler);
  server.keepAliveTimeout = serverOpts.keepAliveTimeout;
  const sockets = track(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.bind, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.bind.includes(':') ? `[${opts.bind}]` : opts.bind;
  return {
    server,
    port,
    url: `${opts.tls ? 'https' : 'http'}://${host}:${port}/wsman`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
