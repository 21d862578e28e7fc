import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NegotiateFlag } from '../../../src/server/auth/ntlm/flags.js';
import { NtlmSession, NtlmSessionError } from '../../../src/server/auth/ntlm/session.js';
import {
  CREDSSP_SESSION_ENCRYPTED,
  EncryptionFramingError,
  type MessageSealer,
  SPNEGO_SESSION_ENCRYPTED,
  decryptBody,
  encryptBody,
  parseEncryptedBody,
  parseEncryptedContentType,
} from '../../../src/server/encryption.js';
import { capture } from './helpers/captures.js';

const CT = 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"';
const FLAGS = NegotiateFlag.SIGN | NegotiateFlag.SEAL | NegotiateFlag.EXTENDED_SESSIONSECURITY | NegotiateFlag.KEY_EXCH | NegotiateFlag.NEGOTIATE_128;

function sessions() {
  const key = randomBytes(16);
  return {
    client: new NtlmSession({ flags: FLAGS, exportedSessionKey: key, role: 'client' }),
    server: new NtlmSession({ flags: FLAGS, exportedSessionKey: key, role: 'server' }),
  };
}

/** A sealer that "encrypts" by XOR with 0x5a and signs with a fixed 16-byte tag, for framing-only tests. */
const xorSealer: MessageSealer = {
  seal: (plain) => ({ signature: Buffer.alloc(16, 0xee), sealed: Buffer.from(plain.map((b) => b ^ 0x5a)) }),
  unseal: (sealed) => Buffer.from(sealed.map((b) => b ^ 0x5a)),
};

function frame(parts: { header: string; data: Buffer }[], close = '--Encrypted Boundary--\r\n'): Buffer {
  return Buffer.concat([...parts.flatMap((p) => [Buffer.from(p.header, 'latin1'), p.data]), Buffer.from(close, 'latin1')]);
}

function dataWith(sig: Buffer, sealed: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32LE(sig.length, 0);
  return Buffer.concat([len, sig, sealed]);
}

describe('encryptBody: the exact framing pywinrm 0.3.0 expects', () => {
  it('writes tabbed headers, no CRLF before the closing delimiter, and the Content-Type header value', () => {
    const { body, contentType } = encryptBody(Buffer.from('<a/>'), xorSealer);
    expect(contentType).toBe(CT);
    const expected = Buffer.concat([
      Buffer.from(
        '--Encrypted Boundary\r\n' +
          '\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n' +
          '\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=4\r\n' +
          '--Encrypted Boundary\r\n' +
          '\tContent-Type: application/octet-stream\r\n',
        'latin1',
      ),
      Buffer.from([16, 0, 0, 0]),
      Buffer.alloc(16, 0xee),
      Buffer.from('<a/>').map((b) => b ^ 0x5a),
      Buffer.from('--Encrypted Boundary--\r\n', 'latin1'),
    ]);
    expect(body.equals(expected)).toBe(true);
  });

  it('reproduces a captured pywinrm request body byte for byte from its signature and sealed bytes', () => {
    for (const s of [...capture('pywinrm-raw-invoke').sealed, ...capture('pywinrm-run-cmd').sealed]) {
      const [part] = parseEncryptedBody(s.body, s.contentType);
      expect(part).toMatchObject({ protocol: SPNEGO_SESSION_ENCRYPTED, originalType: 'application/soap+xml', charset: 'UTF-8', length: s.plaintext.length });
      expect(part.signature.length).toBe(16);
      const replay: MessageSealer = { seal: () => ({ signature: part.signature, sealed: part.sealed }), unseal: () => Buffer.alloc(0) };
      const rebuilt = encryptBody(s.plaintext, replay);
      expect(rebuilt.body.equals(s.body)).toBe(true);
      expect(rebuilt.contentType).toBe(s.contentType);
    }
  });

  it('declares the charset it is given (answers in the request charset)', () => {
    const plain = Buffer.from('\ufeff<a/>', 'utf16le');
    const { body } = encryptBody(plain, xorSealer, { charset: 'UTF-16' });
    expect(body.toString('latin1')).toContain(`type=application/soap+xml;charset=UTF-16;Length=${plain.length}\r\n`);
  });

  it('splits into multipart/x-multi-encrypted chunks when asked (CredSSP style)', () => {
    const plain = randomBytes(40000);
    const out = encryptBody(plain, xorSealer, { chunkSize: 16384, protocol: CREDSSP_SESSION_ENCRYPTED });
    expect(out.contentType).toBe('multipart/x-multi-encrypted;protocol="application/HTTP-CredSSP-session-encrypted";boundary="Encrypted Boundary"');
    const parts = parseEncryptedBody(out.body, out.contentType);
    expect(parts.map((p) => p.length)).toEqual([16384, 16384, 40000 - 32768]);
    expect(decryptBody(out.body, out.contentType, xorSealer).plaintext.equals(plain)).toBe(true);
  });

  it('frames a sealer that seals in place byte for byte as one that returns separate buffers', () => {
    const key = randomBytes(16);
    const inPlace = new NtlmSession({ flags: FLAGS, exportedSessionKey: key, role: 'server' });
    const twin = new NtlmSession({ flags: FLAGS, exportedSessionKey: key, role: 'server' });
    const separate: MessageSealer = { seal: (p) => twin.seal(p), unseal: (s, g) => twin.unseal(s, g) };
    for (const [size, chunkSize] of [[0, 0], [5, 0], [3000, 0], [40000, 16384], [16384, 16384]] as const) {
      const plain = randomBytes(size);
      const a = encryptBody(plain, inPlace, { chunkSize, charset: 'UTF-16' });
      const b = encryptBody(plain, separate, { chunkSize, charset: 'UTF-16' });
      expect(a.contentType).toBe(b.contentType);
      expect(a.body.equals(b.body)).toBe(true);
    }
    expect(inPlace.sequenceNumbers).toEqual(twin.sequenceNumbers);
  });
});

describe('decryptBody', () => {
  it('round-trips through real NTLM sessions in both directions', () => {
    const { client, server } = sessions();
    for (let i = 0; i < 3; i++) {
      const req = encryptBody(Buffer.from(`<req n="${i}"/>`), client);
      const got = decryptBody(req.body, req.contentType, server);
      expect(got.plaintext.toString()).toBe(`<req n="${i}"/>`);
      expect(got.contentType).toBe('application/soap+xml;charset=UTF-8');
      const resp = encryptBody(Buffer.from(`<resp n="${i}"/>`), server);
      expect(decryptBody(resp.body, resp.contentType, client).plaintext.toString()).toBe(`<resp n="${i}"/>`);
    }
  });

  it('accepts untabbed headers, LF line ends, "-- Encrypted Boundary" and a final delimiter without "--"', () => {
    const plain = Buffer.from('<x/>');
    const data = dataWith(Buffer.alloc(16, 0xee), Buffer.from(plain.map((b) => b ^ 0x5a)));
    const variants = [
      frame([
        { header: '--Encrypted Boundary\r\nContent-Type: application/HTTP-SPNEGO-session-encrypted\r\nOriginalContent: type=application/soap+xml;charset=UTF-8;Length=4\r\n', data: Buffer.alloc(0) },
        { header: '--Encrypted Boundary\r\nContent-Type: application/octet-stream\r\n', data },
      ]),
      frame(
        [
          { header: '-- Encrypted Boundary\nContent-Type: application/HTTP-SPNEGO-session-encrypted\nOriginalContent: type=application/soap+xml;charset=UTF-16;Length=4\n', data: Buffer.alloc(0) },
          { header: '-- Encrypted Boundary\nContent-Type: application/octet-stream\n', data },
        ],
        '-- Encrypted Boundary',
      ),
      frame([
        { header: '\r\n--Encrypted Boundary\r\n\tcontent-type: APPLICATION/HTTP-SPNEGO-SESSION-ENCRYPTED\r\n\toriginalcontent: type=application/soap+xml; charset=UTF-8; length=4\r\n', data: Buffer.alloc(0) },
        { header: '--Encrypted Boundary \r\n\tContent-Type: Application/Octet-Stream\r\n', data },
      ]),
    ];
    for (const body of variants) {
      expect(decryptBody(body, CT, xorSealer).plaintext.equals(plain)).toBe(true);
    }
  });

  it('reads a folded, differently cased Content-Type header (the 2007 spec example)', () => {
    const ct = parseEncryptedContentType('Multipart/Encrypted;\r\n protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"');
    expect(ct).toEqual({ mediaType: 'multipart/encrypted', protocol: SPNEGO_SESSION_ENCRYPTED, boundary: 'Encrypted Boundary' });
    expect(parseEncryptedContentType('application/soap+xml;charset=UTF-8')).toBeUndefined();
    expect(parseEncryptedContentType('multipart/encrypted;boundary="x"')).toBeUndefined();
    expect(parseEncryptedContentType(undefined)).toBeUndefined();
  });

  it('refuses a Length that differs from the decrypted size (pywinrm\'s "tampered" check)', () => {
    const good = encryptBody(Buffer.from('<abc/>'), xorSealer).body.toString('latin1');
    const bad = Buffer.from(good.replace('Length=6', 'Length=7'), 'latin1');
    expect(() => decryptBody(bad, CT, xorSealer)).toThrow(expect.objectContaining({ code: 'length-mismatch' }));
  });

  it('lets the sealer\'s verification error through unchanged (one corrupted byte)', () => {
    const { client, server } = sessions();
    const req = encryptBody(Buffer.from('<req/>'), client);
    const corrupted = Buffer.from(req.body);
    corrupted[corrupted.length - 'x--Encrypted Boundary--\r\n'.length] ^= 1; // last sealed byte
    expect(() => decryptBody(corrupted, req.contentType, server)).toThrow(NtlmSessionError);
  });

  it('refuses a protocol that differs from the Content-Type and a non-encrypted Content-Type', () => {
    const body = encryptBody(Buffer.from('<a/>'), xorSealer, { protocol: 'application/HTTP-Kerberos-session-encrypted' }).body;
    expect(() => parseEncryptedBody(body, CT)).toThrow(expect.objectContaining({ code: 'protocol-mismatch' }));
    expect(() => parseEncryptedBody(body, 'application/soap+xml')).toThrow(expect.objectContaining({ code: 'not-encrypted' }));
  });

  it.each([
    ['no delimiter', 'hello'],
    ['preamble', 'junk--Encrypted Boundary\r\n'],
    ['only a header part', '--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=a;Length=1\r\n--Encrypted Boundary--\r\n'],
    ['missing OriginalContent', '--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x00\x00\x00\x00--Encrypted Boundary--\r\n'],
    ['non-numeric Length', '--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=a;Length=-1\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x00\x00\x00\x00--Encrypted Boundary--\r\n'],
    ['signature length past the data', '--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=a;Length=1\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x00abc--Encrypted Boundary--\r\n'],
    ['wrong data part header', '--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=a;Length=1\r\n--Encrypted Boundary\r\n\tContent-Type: text/plain\r\n\x00\x00\x00\x00--Encrypted Boundary--\r\n'],
    ['two pairs in multipart/encrypted', `${'--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=a;Length=0\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x00\x00\x00\x00'.repeat(2)}--Encrypted Boundary--\r\n`],
    ['garbage after a bare last delimiter', '--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=a;Length=0\r\n--Encrypted Boundary\r\n\tContent-Type: application/octet-stream\r\n\x00\x00\x00\x00--Encrypted Boundary junk'],
  ])('malformed: %s', (_label, text) => {
    expect(() => parseEncryptedBody(Buffer.from(text, 'latin1'), CT)).toThrow(EncryptionFramingError);
  });

  it('fuzz: mutated and truncated bodies only ever throw EncryptionFramingError', () => {
    const sample = capture('pywinrm-raw-invoke').sealed[0].body;
    const headerEnd = sample.indexOf('\x10\x00\x00\x00\x01', 0, 'latin1') + 24;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(), fc.boolean(), (edits, cut, suffix) => {
        // Edits land in the framing (headers, length, signature) and in the last bytes of the body.
        const body = Buffer.from(sample);
        for (const [pos, value] of edits) {
          const p = pos % 2 === 0 ? pos % headerEnd : body.length - 1 - (pos % 40);
          body[p] = value;
        }
        const t = suffix ? body.subarray(0, cut % (body.length + 1)) : body.subarray(cut % headerEnd);
        try {
          parseEncryptedBody(t, CT);
          return true;
        } catch (err) {
          return err instanceof EncryptionFramingError;
        }
      }),
      { seed: 0x5eed, numRuns: 3000 },
    );
  });
});
