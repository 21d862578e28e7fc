/**
 * The client side of NTLM with message encryption, for the load generator: NEGOTIATE and
 * AUTHENTICATE as pywinrm / ntlm-auth build them (the product's key derivation, which the MS-NLMP
 * vectors pin down; messages laid out here, as test/unit/server/helpers/ntlm-client.ts does), and
 * an autocannon request sequence that authenticates each connection once, as pywinrm does, then
 * sends sealed messages on it.
 */
import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { rc4k } from '../../src/server/auth/ntlm/crypto.js';
import { NegotiateFlag, hasFlag } from '../../src/server/auth/ntlm/flags.js';
import { computeMic, ntProofStr, ntowfv2, sessionBaseKey } from '../../src/server/auth/ntlm/keys.js';
import { AvFlag, AvId, type AvPair, encodeAvPairs, parseChallenge } from '../../src/server/auth/ntlm/messages.js';
import { NtlmSession } from '../../src/server/auth/ntlm/session.js';
import { encryptBody } from '../../src/server/encryption.js';

export const CLIENT_FLAGS =
  NegotiateFlag.UNICODE |
  NegotiateFlag.REQUEST_TARGET |
  NegotiateFlag.SIGN |
  NegotiateFlag.SEAL |
  NegotiateFlag.NTLM |
  NegotiateFlag.ALWAYS_SIGN |
  NegotiateFlag.EXTENDED_SESSIONSECURITY |
  NegotiateFlag.TARGET_INFO |
  NegotiateFlag.VERSION |
  NegotiateFlag.NEGOTIATE_128 |
  NegotiateFlag.KEY_EXCH |
  NegotiateFlag.NEGOTIATE_56;

export function buildNegotiate(flags: number = CLIENT_FLAGS): Buffer {
  const b = Buffer.alloc(40);
  b.write('NTLMSSP\0', 0, 'latin1');
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(flags >>> 0, 12);
  b.writeUInt32LE(40, 20);
  b.writeUInt32LE(40, 28);
  b.set([10, 0, 0x63, 0x45, 0, 0, 0, 15], 32);
  return b;
}

export function buildAuthenticate(o: { negotiate: Buffer; challenge: Buffer; user: string; domain: string; password: string }): {
  token: Buffer;
  session: NtlmSession;
} {
  const ch = parseChallenge(o.challenge);
  const flags = ch.flags >>> 0;
  const text = (s: string): Buffer => Buffer.from(s, hasFlag(flags, NegotiateFlag.UNICODE) ? 'utf16le' : 'latin1');
  const pairs: AvPair[] = ch.targetInfo.filter((p) => p.id !== AvId.EOL);
  const f = Buffer.alloc(4);
  f.writeUInt32LE(AvFlag.MIC_PRESENT, 0);
  pairs.push({ id: AvId.Flags, value: f });
  const timestamp = ch.targetInfo.find((p) => p.id === AvId.Timestamp)?.value ?? Buffer.alloc(8);
  const blob = Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), timestamp, randomBytes(8), Buffer.alloc(4), encodeAvPairs(pairs), Buffer.alloc(4)]);
  const key = ntowfv2(o.password, o.user, o.domain);
  const proof = ntProofStr(key, ch.serverChallenge, blob);
  const nt = Buffer.concat([proof, blob]);
  const kxkey = sessionBaseKey(key, proof);
  const random = randomBytes(16);
  const keyExch = hasFlag(flags, NegotiateFlag.KEY_EXCH);
  const encKey = keyExch ? rc4k(kxkey, random) : Buffer.alloc(0);
  const exported = keyExch ? random : kxkey;
  const fields = [Buffer.alloc(24), nt, text(o.domain), text(o.user), text('BENCHCLIENT'), encKey];
  const header = Buffer.alloc(88);
  header.write('NTLMSSP\0', 0, 'latin1');
  header.writeUInt32LE(3, 8);
  let offset = 88;
  fields.forEach((fld, i) => {
    const at = 12 + i * 8;
    header.writeUInt16LE(fld.length, at);
    header.writeUInt16LE(fld.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += fld.length;
  });
  header.writeUInt32LE(flags, 60);
  header.set([10, 0, 0x63, 0x45, 0, 0, 0, 15], 64);
  const token = Buffer.concat([header, ...fields]);
  computeMic(exported, o.negotiate, o.challenge, token).copy(token, 72);
  return { token, session: new NtlmSession({ flags, exportedSessionKey: exported, role: 'client' }) };
}

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
      const { token, session } = buildAuthenticate({ negotiate: ctx.negotiate, challenge: ctx.challenge, user: cred.user, domain: '', password: cred.password });
      ctx.session = session;
      return { ...req, body: '', headers: { Authorization: `Negotiate ${token.toString('base64')}` } };
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
