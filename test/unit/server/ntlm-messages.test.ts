import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NegotiateFlag, describeFlags } from '../../../src/server/auth/ntlm/flags.js';
import {
  AvId,
  NtlmMessageError,
  decodeAvPairs,
  encodeAvPairs,
  ntlmMessageType,
  parseAuthenticate,
  parseChallenge,
  parseNegotiate,
  parseNtlmV2Response,
} from '../../../src/server/auth/ntlm/messages.js';
import { capture } from './helpers/captures.js';

const FUZZ = { seed: 0x5eed, numRuns: 3000 };

/** Runs fn and returns what it threw (or undefined), so properties can assert on the error type. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err;
  }
}

describe('parsing real client tokens', () => {
  it('pywinrm NEGOTIATE: OEM, sign+seal, ESS, KEY_EXCH, version 6.1.7601', () => {
    const msg = parseNegotiate(capture('pywinrm-raw-invoke').negotiate);
    expect(msg.flags >>> 0).toBe(0xe2889032);
    expect(describeFlags(msg.flags)).toContain('SEAL');
    expect(msg.domain).toBeUndefined(); // OEM_DOMAIN_SUPPLIED with an empty field
    expect(msg.version).toEqual({ major: 6, minor: 1, build: 7601, revision: 15 });
  });

  it('Go NEGOTIATE: UNICODE, ESS, no SIGN/SEAL', () => {
    const msg = parseNegotiate(capture('go-masterzen').negotiate);
    expect(msg.flags >>> 0).toBe(0xa0880001);
    expect(msg.flags & NegotiateFlag.SEAL).toBe(0);
  });

  it('npm NEGOTIATE: OEM with the domain HOST1 (without OEM_DOMAIN_SUPPLIED) and no version field', () => {
    const msg = parseNegotiate(capture('npm-winrm-client').negotiate);
    expect(msg.flags >>> 0).toBe(0x00088206);
    expect(msg.domain?.toString('latin1')).toBe('HOST1');
    expect(msg.version).toBeUndefined();
  });

  it('capture server CHALLENGE: TargetName and AV pairs in Windows order', () => {
    const ch = parseChallenge(capture('pywinrm-unicode-challenge').challenge);
    expect(ch.targetName).toBe('HOST1');
    expect(ch.serverChallenge.toString('hex')).toBe('07573f39a63d7bc6');
    expect(ch.targetInfo.map((p) => p.id)).toEqual([AvId.NbDomainName, AvId.NbComputerName, AvId.DnsDomainName, AvId.DnsComputerName, AvId.Timestamp]);
  });

  it('pywinrm AUTHENTICATE: OEM strings, 128-byte NTLMv2 response, session key, MIC', () => {
    const auth = parseAuthenticate(capture('pywinrm-raw-invoke').authenticate);
    expect(auth.userName).toBe('Administrator');
    expect(auth.domainName).toBe('');
    expect(auth.ntResponse.length).toBe(128);
    expect(auth.lmResponse.equals(Buffer.alloc(24))).toBe(true);
    expect(auth.encryptedRandomSessionKey.length).toBe(16);
    expect(auth.mic?.toString('hex')).toBe('3dd0ba655e274b6b4bff22d99c1375ba');
    const v2 = parseNtlmV2Response(auth.ntResponse);
    expect(v2.respType).toBe(1);
    expect(v2.avPairs.find((p) => p.id === AvId.Flags)?.value.readUInt32LE(0)).toBe(2);
  });

  it('pywinrm AUTHENTICATE after a UNICODE challenge: UTF-16 strings', () => {
    const auth = parseAuthenticate(capture('pywinrm-unicode-challenge').authenticate);
    expect(auth.userName).toBe('Administrator');
    expect(auth.flags & NegotiateFlag.UNICODE).toBe(NegotiateFlag.UNICODE);
  });

  it('Go AUTHENTICATE: UNICODE, domain = the server TargetName, no version, no MIC', () => {
    const auth = parseAuthenticate(capture('go-masterzen').authenticate);
    expect(auth.domainName).toBe('HOST1');
    expect(auth.userName).toBe('Administrator');
    expect(auth.lmResponse.length).toBe(0);
    expect(auth.ntResponse.length).toBe(120);
    expect(auth.version).toBeUndefined();
    expect(auth.mic).toBeUndefined();
  });

  it('npm AUTHENTICATE: OEM, domain HOST1', () => {
    const auth = parseAuthenticate(capture('npm-winrm-client').authenticate);
    expect(auth.domainName).toBe('HOST1');
    expect(auth.userName).toBe('Administrator');
    expect(auth.encryptedRandomSessionKey.length).toBe(0);
  });

  it('ntlmMessageType recognises the three messages and nothing else', () => {
    const c = capture('pywinrm-raw-invoke');
    expect([c.negotiate, c.challenge, c.authenticate].map(ntlmMessageType)).toEqual([1, 2, 3]);
    expect(ntlmMessageType(Buffer.from('NTLMSSP'))).toBeUndefined();
    expect(ntlmMessageType(Buffer.from('not ntlm at all'))).toBeUndefined();
  });
});

describe('AV pairs', () => {
  it('round-trips and ends with MsvAvEOL', () => {
    const pairs = [
      { id: AvId.NbComputerName, value: Buffer.from('HV1', 'utf16le') },
      { id: AvId.Timestamp, value: Buffer.alloc(8, 1) },
    ];
    const enc = encodeAvPairs(pairs);
    expect(enc.subarray(-4).equals(Buffer.alloc(4))).toBe(true);
    expect(decodeAvPairs(enc)).toEqual(pairs);
  });

  it('tolerates padding after EOL (Windows pads the NTLMv2 blob)', () => {
    expect(decodeAvPairs(Buffer.concat([encodeAvPairs([]), Buffer.alloc(4)]))).toEqual([]);
  });

  it('rejects a list without EOL, an overrunning value, and an EOL with a length', () => {
    expect(() => decodeAvPairs(Buffer.from('0100060041004200', 'hex'))).toThrow(NtlmMessageError);
    expect(() => decodeAvPairs(Buffer.from('01001000414243', 'hex'))).toThrow(NtlmMessageError);
    expect(() => decodeAvPairs(Buffer.from('000002000000', 'hex'))).toThrow(NtlmMessageError);
  });
});

describe('malformed tokens give NtlmMessageError', () => {
  const auth = capture('pywinrm-raw-invoke').authenticate;

  it('rejects a wrong signature, a wrong type and truncation', () => {
    expect(() => parseNegotiate(Buffer.from('NTLMSSX\0\x01\0\0\0\0\0\0\0', 'latin1'))).toThrow(/signature/);
    expect(() => parseNegotiate(auth)).toThrow(/type 3, expected 1/);
    expect(() => parseAuthenticate(auth.subarray(0, 63))).toThrow(/at least 64/);
    expect(() => parseChallenge(Buffer.from('NTLMSSP\0\x02\0\0\0', 'latin1'))).toThrow(NtlmMessageError);
  });

  it('rejects a field that points past the end of the message', () => {
    const bad = Buffer.from(auth);
    bad.writeUInt32LE(bad.length - 4, 24); // NtChallengeResponse offset: 128 bytes from near the end
    expect(() => parseAuthenticate(bad)).toThrow(/outside the/);
  });

  it('rejects an odd-length UTF-16 string', () => {
    const bad = Buffer.from(capture('go-masterzen').authenticate);
    bad.writeUInt16LE(bad.readUInt16LE(36) - 1, 36); // UserName length
    expect(() => parseAuthenticate(bad)).toThrow(/odd length/);
  });

  it('rejects a short NTLMv2 response', () => {
    expect(() => parseNtlmV2Response(Buffer.alloc(40))).toThrow(/too short/);
  });

  it('fuzz: random bytes after the NTLMSSP header never throw anything but NtlmMessageError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3 }), fc.uint8Array({ maxLength: 200 }), (type, rest) => {
        const token = Buffer.concat([Buffer.from('NTLMSSP\0', 'latin1'), Buffer.from([type, 0, 0, 0]), Buffer.from(rest)]);
        for (const parse of [parseNegotiate, parseChallenge, parseAuthenticate]) {
          const err = thrown(() => parse(token));
          if (err !== undefined && !(err instanceof NtlmMessageError)) return false;
        }
        return true;
      }),
      FUZZ,
    );
  });

  it('fuzz: mutated and truncated real AUTHENTICATE messages never throw anything but NtlmMessageError', () => {
    const samples = [auth, capture('go-masterzen').authenticate, capture('npm-winrm-client').authenticate];
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (sample, edits, cut) => {
          const token = Buffer.from(sample);
          for (const [pos, value] of edits) token[12 + (pos % (token.length - 12))] = value;
          const truncated = token.subarray(0, 12 + (cut % (token.length - 11)));
          for (const t of [token, truncated]) {
            const err = thrown(() => {
              const m = parseAuthenticate(t);
              if (m.ntResponse.length > 24) parseNtlmV2Response(m.ntResponse);
            });
            if (err !== undefined && !(err instanceof NtlmMessageError)) return false;
          }
          return true;
        },
      ),
      FUZZ,
    );
  });
});
