import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NegotiateFlag } from '../../../src/server/auth/ntlm/flags.js';
import { NtlmSession, NtlmSessionError } from '../../../src/server/auth/ntlm/session.js';

const FLAGS =
  NegotiateFlag.UNICODE |
  NegotiateFlag.SIGN |
  NegotiateFlag.SEAL |
  NegotiateFlag.EXTENDED_SESSIONSECURITY |
  NegotiateFlag.KEY_EXCH |
  NegotiateFlag.NEGOTIATE_128 |
  NegotiateFlag.NEGOTIATE_56;

function pair(flags: number = FLAGS) {
  const key = randomBytes(16);
  return {
    client: new NtlmSession({ flags, exportedSessionKey: key, role: 'client' }),
    server: new NtlmSession({ flags, exportedSessionKey: key, role: 'server' }),
  };
}

function errorCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof NtlmSessionError) return err.code;
    throw err;
  }
  return undefined;
}

describe('NtlmSession sealing', () => {
  it('round-trips many messages both ways, interleaved, with per-direction sequence numbers', () => {
    const { client, server } = pair();
    for (let i = 0; i < 20; i++) {
      const req = Buffer.from(`request ${i} `.repeat(i + 1));
      const s = client.seal(req);
      expect(s.sealed.length).toBe(req.length);
      expect(s.signature.readUInt32LE(0)).toBe(1);
      expect(s.signature.readUInt32LE(12)).toBe(i);
      expect(server.unseal(s.sealed, s.signature).equals(req)).toBe(true);
      if (i % 3 === 0) {
        const resp = Buffer.from(`response ${i}`);
        const r = server.seal(resp);
        expect(client.unseal(r.sealed, r.signature).equals(resp)).toBe(true);
      }
    }
    expect(server.sequenceNumbers).toEqual({ outbound: 7, inbound: 20 });
  });

  it('uses different keys per direction', () => {
    const { client, server } = pair();
    const fromClient = client.seal(Buffer.alloc(32));
    const fromServer = server.seal(Buffer.alloc(32));
    expect(fromClient.sealed.equals(fromServer.sealed)).toBe(false);
  });

  it('works with 56-bit and 40-bit seal keys and without KEY_EXCH', () => {
    for (const flags of [
      FLAGS & ~NegotiateFlag.NEGOTIATE_128,
      FLAGS & ~(NegotiateFlag.NEGOTIATE_128 | NegotiateFlag.NEGOTIATE_56),
      FLAGS & ~NegotiateFlag.KEY_EXCH,
    ]) {
      const { client, server } = pair(flags >>> 0);
      const s = client.seal(Buffer.from('abc'));
      expect(server.unseal(s.sealed, s.signature).toString()).toBe('abc');
    }
  });

  it('treats SEAL without SIGN as sealing with signatures (what ntlm-auth does after its flag arithmetic)', () => {
    const { client, server } = pair((FLAGS & ~NegotiateFlag.SIGN) >>> 0);
    expect(server.integrity).toBe(true);
    const s = client.seal(Buffer.from('x'));
    expect(server.unseal(s.sealed, s.signature).toString()).toBe('x');
  });
});

describe('NtlmSession failures', () => {
  it('a one-byte change in the sealed data → bad-signature, and the inbound direction is broken after it', () => {
    const { client, server } = pair();
    const s = client.seal(Buffer.from('<Envelope>important</Envelope>'));
    const corrupted = Buffer.from(s.sealed);
    corrupted[5] ^= 0x01;
    expect(errorCode(() => server.unseal(corrupted, s.signature))).toBe('bad-signature');
    const next = client.seal(Buffer.from('next'));
    expect(errorCode(() => server.unseal(next.sealed, next.signature))).toBe('session-broken');
    // Outbound still works, so the server can seal a fault.
    const r = server.seal(Buffer.from('fault'));
    expect(client.unseal(r.sealed, r.signature).toString()).toBe('fault');
  });

  it('a changed checksum byte → bad-signature', () => {
    const { client, server } = pair();
    const s = client.seal(Buffer.from('hello'));
    const sig = Buffer.from(s.signature);
    sig[4] ^= 0x80;
    expect(errorCode(() => server.unseal(s.sealed, sig))).toBe('bad-signature');
  });

  it('a replayed message → bad-sequence', () => {
    const { client, server } = pair();
    const s = client.seal(Buffer.from('once'));
    server.unseal(s.sealed, s.signature);
    expect(errorCode(() => server.unseal(s.sealed, s.signature))).toBe('bad-sequence');
  });

  it('a skipped message → bad-sequence', () => {
    const { client, server } = pair();
    client.seal(Buffer.from('lost'));
    const s = client.seal(Buffer.from('second'));
    expect(errorCode(() => server.unseal(s.sealed, s.signature))).toBe('bad-sequence');
  });

  it('a signature of the wrong length → bad-signature-length', () => {
    const { client, server } = pair();
    const s = client.seal(Buffer.from('x'));
    expect(errorCode(() => server.unseal(s.sealed, s.signature.subarray(0, 15)))).toBe('bad-signature-length');
  });

  it('refuses to seal when only signing was negotiated, and to build non-ESS sessions', () => {
    const { client } = pair((FLAGS & ~NegotiateFlag.SEAL) >>> 0);
    expect(errorCode(() => client.seal(Buffer.from('x')))).toBe('not-negotiated');
    expect(errorCode(() => new NtlmSession({ flags: NegotiateFlag.SIGN, exportedSessionKey: Buffer.alloc(16), role: 'server' }))).toBe('unsupported');
    expect(errorCode(() => new NtlmSession({ flags: FLAGS, exportedSessionKey: Buffer.alloc(8), role: 'server' }))).toBe('unsupported');
  });
});

describe('NtlmSession signing (GSS_GetMIC / VerifyMIC)', () => {
  it('signs and verifies clear messages; a change is detected', () => {
    const { client, server } = pair((FLAGS & ~NegotiateFlag.SEAL) >>> 0);
    const msg = Buffer.from('clear text');
    server.verify(msg, client.sign(msg));
    const sig = client.sign(msg);
    expect(errorCode(() => server.verify(Buffer.from('clear texT'), sig))).toBe('bad-signature');
  });

  it('resetting the RC4 streams keeps both sides in step (the SPNEGO mechListMIC rule)', () => {
    const { client, server } = pair();
    const mechList = Buffer.from('3018060a2b06010401823702020a', 'hex');
    server.verify(mechList, client.sign(mechList));
    client.resetOutboundCipher();
    server.resetInboundCipher();
    const s = client.seal(Buffer.from('first app message'));
    expect(s.signature.readUInt32LE(12)).toBe(1);
    expect(server.unseal(s.sealed, s.signature).toString()).toBe('first app message');
  });
});
