/**
 * Hygiene limits on unauthenticated connections: a flood of idle half-open connections (or slowloris
 * headers, or stalled TLS handshakes) neither blocks real clients nor grows without bound, and a
 * connection that never authenticates is dropped at its deadline.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ADMIN, NtlmHttpClient, SOAP_UTF8, WMI_THING, request, startSecureHost, type SecureHost } from '../helpers/secure-host.js';
import { ACTION, basic, envelope } from '../helpers/wsman-client.js';

const GET_ONE = () => envelope({ action: ACTION.get, resourceUri: WMI_THING, selectors: { Id: 'one' } }).xml;

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.on('error', () => undefined);
    s.once('error', reject);
  });
}

const closed = (s: net.Socket) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve())));

async function flood(port: number, n: number, partialHeaders = false): Promise<net.Socket[]> {
  const out: net.Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = await connect(port);
    if (partialHeaders && i % 2 === 0) s.write('POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Le');
    out.push(s);
  }
  return out;
}

describe('200 idle half-open connections', () => {
  let h: SecureHost;
  beforeAll(async () => {
    h = await startSecureHost({ https: true, allowUnencrypted: true, limits: { maxPending: 50 } });
  });
  afterAll(async () => {
    await h.close();
  });

  test('HTTP: a real client (NTLM with sealing, then Basic) is still served, and pending connections stay capped', async () => {
    const sockets = await flood(h.http.port, 200, true);
    try {
      const c = new NtlmHttpClient(h.httpUrl, { user: ADMIN.name, password: ADMIN.password });
      try {
        expect((await c.authenticate()).final.status).toBe(200);
        const r = await c.sealed(GET_ONE());
        expect(r.status).toBe(200);
        expect(r.plain!.toString()).toContain('<p:Label>First</p:Label>');
      } finally {
        c.close();
      }
      const b = await request(h.httpUrl, GET_ONE(), { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false });
      expect(b.status).toBe(200);
      expect(h.httpGuard.stats.pending).toBeLessThanOrEqual(50);
      expect(h.httpGuard.stats.evicted).toBeGreaterThanOrEqual(150);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  test('HTTPS: 200 TCP connections that never start TLS do not stop a TLS client', async () => {
    const sockets = await flood(h.https!.port, 200);
    try {
      const r = await request(h.httpsUrl!, GET_ONE(), { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false, ca: h.certs!.ca.certPem });
      expect(r.status).toBe(200);
      expect(h.httpsGuard!.stats.pending).toBeLessThanOrEqual(50);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe('the authentication deadline', () => {
  let h: SecureHost;
  beforeAll(async () => {
    h = await startSecureHost({ allowUnencrypted: true, limits: { authenticationTimeoutMs: 300 } });
  });
  afterAll(async () => {
    await h.close();
  });

  test('idle, slowloris and abandoned-handshake connections are dropped; an authenticated one stays', async () => {
    const c = new NtlmHttpClient(h.httpUrl, { user: ADMIN.name, password: ADMIN.password });
    try {
      expect((await c.authenticate()).final.status).toBe(200);
      // only the NEGOTIATE: the CHALLENGE is never answered (opened first, so its deadline comes first)
      const abandoned = new NtlmHttpClient(h.httpUrl, { user: ADMIN.name, password: ADMIN.password });
      const { buildNegotiate } = await import('../unit/server/helpers/ntlm-client.js');
      const ch = await request(h.httpUrl, '', { Authorization: `Negotiate ${buildNegotiate().toString('base64')}` }, { agent: abandoned.agent });
      expect(ch.status).toBe(401);
      const idle = await connect(h.http.port);
      const slow = await connect(h.http.port);
      slow.write('POST /wsman HTTP/1.1\r\n');
      const drip = setInterval(() => slow.write('X-Slow: 1\r\n'), 40);
      try {
        await Promise.all([closed(idle), closed(slow)]);
      } finally {
        clearInterval(drip);
      }
      expect(h.httpGuard.stats.timedOut).toBeGreaterThanOrEqual(3);
      // the authenticated connection, older than all of them, still works
      const r = await c.sealed(GET_ONE());
      expect(r.status).toBe(200);
      abandoned.close();
    } finally {
      c.close();
    }
  });
});
