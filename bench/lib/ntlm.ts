/**
 * NTLM with message encryption for the load generator: an autocannon request sequence that
 * authenticates each connection once, as pywinrm does, then sends sealed messages on it. The
 * messages are the product's NTLM client's (src/server/auth/ntlm/client.ts).
 */
import type autocannon from 'autocannon';
import { buildAuthenticate, buildNegotiate, clientSession } from '../../src/server/auth/ntlm/client.js';
import type { NtlmSession } from '../../src/server/auth/ntlm/session.js';
import { encryptBody } from '../../src/server/encryption.js';

interface NtlmContext {
  negotiate?: Buffer;
  challenge?: Buffer;
  session?: NtlmSession;
  failed?: boolean;
}

function header(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === name) return Array.isArray(v) ? String(v[0]) : String(v);
  return undefined;
}

/**
 * One connection's sequence: NEGOTIATE, AUTHENTICATE (empty body, as pywinrm sets up encryption),
 * then `sealedPerHandshake` sealed copies of `plain`, then again (autocannon starts a sequence
 * over with a fresh context, and copies the sequence for each connection: it stays short). A
 * failed step restarts the sequence. The two handshake answers per sequence are not counted.
 */
export function ntlmSealedRequests(
  plain: Buffer,
  cred: { user: string; password: string },
  sealedPerHandshake = 1_000,
): autocannon.Request[] {
  const negotiate: autocannon.Request = {
    method: 'POST',
    setupRequest: (req, c) => {
      const ctx = c as NtlmContext;
      ctx.negotiate = buildNegotiate();
      return { ...req, body: '', headers: { Authorization: `Negotiate ${ctx.negotiate.toString('base64')}` } };
    },
    onResponse: (status, _body, c, headers) => {
      const ctx = c as NtlmContext;
      const m = /^Negotiate (\S+)$/.exec(header(headers as Record<string, unknown>, 'www-authenticate') ?? '');
      if (status !== 401 || !m) ctx.failed = true;
      else ctx.challenge = Buffer.from(m[1], 'base64');
    },
  };
  const authenticate: autocannon.Request = {
    method: 'POST',
    setupRequest: (req, c) => {
      const ctx = c as NtlmContext;
      if (ctx.failed || !ctx.negotiate || !ctx.challenge) return null as unknown as autocannon.Request;
      const auth = buildAuthenticate({ negotiate: ctx.negotiate, challenge: ctx.challenge, user: cred.user, domain: '', password: cred.password, workstation: 'BENCHCLIENT' });
      ctx.session = clientSession(auth);
      return { ...req, body: '', headers: { Authorization: `Negotiate ${auth.token.toString('base64')}` } };
    },
    onResponse: (status, _body, c) => {
      if (status !== 200) (c as NtlmContext).failed = true;
    },
  };
  const sealed: autocannon.Request = {
    method: 'POST',
    setupRequest: (req, c) => {
      const ctx = c as NtlmContext;
      if (ctx.failed || !ctx.session) return null as unknown as autocannon.Request;
      const enc = encryptBody(plain, ctx.session, { charset: 'UTF-8' });
      return { ...req, body: enc.body, headers: { 'Content-Type': enc.contentType } };
    },
    onResponse: (status, _body, c) => {
      if (status !== 200) (c as NtlmContext).failed = true;
    },
  };
  const out: autocannon.Request[] = [negotiate, authenticate];
  for (let i = 0; i < sealedPerHandshake; i++) out.push(sealed);
  return out;
}
