/**
 * MS-NLMP 4.2 "Cryptographic Values for Validation" reproduced exactly.
 * Common values (4.2.1): user "User", domain "Domain", password "Password", server challenge
 * 0123456789abcdef, client challenge aaaaaaaaaaaaaaaa, time 0, RandomSessionKey 0x55 × 16.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacMd5, md4, rc4k } from '../../../src/server/auth/ntlm/crypto.js';
import { NegotiateFlag } from '../../../src/server/auth/ntlm/flags.js';
import { exportedSessionKey, ntProofStr, ntowfv2, sealKey, sessionBaseKey, signKey } from '../../../src/server/auth/ntlm/keys.js';
import { AvId, buildChallenge, parseAuthenticate, parseChallenge, parseNtlmV2Response } from '../../../src/server/auth/ntlm/messages.js';
import { verifyAuthenticate } from '../../../src/server/auth/ntlm/server.js';
import { NtlmSession } from '../../../src/server/auth/ntlm/session.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/[^0-9a-f]/gi, ''), 'hex');

const SERVER_CHALLENGE = hex('0123456789abcdef');
const RANDOM_SESSION_KEY = Buffer.alloc(16, 0x55);
const PLAINTEXT = Buffer.from('Plaintext', 'utf16le');

// 4.2.4.3: the CHALLENGE_MESSAGE and AUTHENTICATE_MESSAGE of the NTLMv2 example.
const V2_CHALLENGE = hex(`
  4e 54 4c 4d 53 53 50 00 02 00 00 00 0c 00 0c 00 38 00 00 00 33 82 8a e2 01 23 45 67 89 ab cd ef
  00 00 00 00 00 00 00 00 24 00 24 00 44 00 00 00 06 00 70 17 00 00 00 0f 53 00 65 00 72 00 76 00
  65 00 72 00 02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00 01 00 0c 00 53 00 65 00 72 00 76 00
  65 00 72 00 00 00 00 00`);
const V2_AUTHENTICATE = hex(`
  4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00 6c 00 00 00 54 00 54 00 84 00 00 00 0c 00 0c 00
  48 00 00 00 08 00 08 00 54 00 00 00 10 00 10 00 5c 00 00 00 10 00 10 00 d8 00 00 00 35 82 88 e2
  05 01 28 0a 00 00 00 0f 44 00 6f 00 6d 00 61 00 69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00
  4d 00 50 00 55 00 54 00 45 00 52 00 86 c3 50 97 ac 9c ec 10 25 54 76 4a 57 cc cc 19 aa aa aa aa
  aa aa aa aa 68 cd 0a b8 51 e5 1c 96 aa bc 92 7b eb ef 6a 1c 01 01 00 00 00 00 00 00 00 00 00 00
  00 00 00 00 aa aa aa aa aa aa aa aa 00 00 00 00 02 00 0c 00 44 00 6f 00 6d 00 61 00 69 00 6e 00
  01 00 0c 00 53 00 65 00 72 00 76 00 65 00 72 00 00 00 00 00 00 00 00 00 c5 da d2 54 4f c9 79 90
  94 ce 1c e9 0b c9 d0 3e`);

// 4.2.2.3: an NTLMv1 AUTHENTICATE_MESSAGE (24-byte NT response), which the server must refuse.
const V1_AUTHENTICATE = hex(`
  4e 54 4c 4d 53 53 50 00 03 00 00 00 18 00 18 00 6c 00 00 00 18 00 18 00 84 00 00 00 0c 00 0c 00
  48 00 00 00 08 00 08 00 54 00 00 00 10 00 10 00 5c 00 00 00 10 00 10 00 9c 00 00 00 35 82 80 e2
  05 01 28 0a 00 00 00 0f 44 00 6f 00 6d 00 61 00 69 00 6e 00 55 00 73 00 65 00 72 00 43 00 4f 00
  4d 00 50 00 55 00 54 00 45 00 52 00 98 de f7 b8 7f 88 aa 5d af e2 df 77 96 88 a1 72 de f1 1c 7d
  5c cd ef 13 67 c4 30 11 f3 02 98 a2 ad 35 ec e6 4f 16 33 1c 44 bd be d9 27 84 1f 94 51 88 22 b1
  b3 f3 50 c8 95 86 82 ec bb 3e 3c b7`);

const userDb = (user: string) => (user.toLowerCase() === 'user' ? { password: 'Password', canonicalUser: 'User' } : undefined);

describe('MS-NLMP 4.2.2 common primitives', () => {
  it('NTOWFv1 = MD4(UNICODE("Password")) (4.2.2.1.2)', () => {
    expect(md4(Buffer.from('Password', 'utf16le')).toString('hex')).toBe('a4f49c406510bdcab6824ee7c30fd852');
  });
});

describe('MS-NLMP 4.2.4 NTLMv2 authentication', () => {
  const responseKey = ntowfv2('Password', 'User', 'Domain');

  it('NTOWFv2("Password", "User", "Domain") (4.2.4.1.1)', () => {
    expect(responseKey.toString('hex')).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
  });

  it('NTProofStr and SessionBaseKey (4.2.4.1.2, 4.2.4.2.2)', () => {
    const v2 = parseNtlmV2Response(parseAuthenticate(V2_AUTHENTICATE).ntResponse);
    expect(v2.timestamp).toBe(0n);
    expect(v2.clientChallenge.toString('hex')).toBe('aaaaaaaaaaaaaaaa');
    const proof = ntProofStr(responseKey, SERVER_CHALLENGE, v2.blob);
    expect(proof.toString('hex')).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    expect(v2.ntProofStr.equals(proof)).toBe(true);
    expect(sessionBaseKey(responseKey, proof).toString('hex')).toBe('8de40ccadbc14a82f15cb0ad0de95ca3');
  });

  it('LMv2 response (4.2.4.2.1)', () => {
    const lm = Buffer.concat([hmacMd5(responseKey, SERVER_CHALLENGE, hex('aaaaaaaaaaaaaaaa')), hex('aaaaaaaaaaaaaaaa')]);
    expect(lm.toString('hex')).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
    expect(parseAuthenticate(V2_AUTHENTICATE).lmResponse.equals(lm)).toBe(true);
  });

  it('EncryptedRandomSessionKey = RC4(KeyExchangeKey, RandomSessionKey) (4.2.4.2.3) and back', () => {
    const kxkey = hex('8de40ccadbc14a82f15cb0ad0de95ca3');
    expect(rc4k(kxkey, RANDOM_SESSION_KEY).toString('hex')).toBe('c5dad2544fc9799094ce1ce90bc9d03e');
    expect(exportedSessionKey(NegotiateFlag.KEY_EXCH, kxkey, hex('c5dad2544fc9799094ce1ce90bc9d03e')).equals(RANDOM_SESSION_KEY)).toBe(true);
    expect(exportedSessionKey(0, kxkey, Buffer.alloc(0)).equals(kxkey)).toBe(true);
  });

  it('parses the CHALLENGE_MESSAGE (4.2.4.3) and rebuilds it byte for byte', () => {
    const ch = parseChallenge(V2_CHALLENGE);
    expect(ch.flags >>> 0).toBe(0xe28a8233);
    expect(ch.targetName).toBe('Server');
    expect(ch.serverChallenge.equals(SERVER_CHALLENGE)).toBe(true);
    expect(ch.targetInfo.map((p) => p.id)).toEqual([AvId.NbDomainName, AvId.NbComputerName]);
    expect(ch.version).toEqual({ major: 6, minor: 0, build: 6000, revision: 15 });
    const rebuilt = buildChallenge({
      flags: ch.flags,
      targetName: ch.targetName,
      serverChallenge: ch.serverChallenge,
      targetInfo: ch.targetInfo,
      version: ch.version!,
    });
    expect(rebuilt.equals(V2_CHALLENGE)).toBe(true);
  });

  it('parses the AUTHENTICATE_MESSAGE (4.2.4.3)', () => {
    const auth = parseAuthenticate(V2_AUTHENTICATE);
    expect(auth.flags >>> 0).toBe(0xe2888235);
    expect(auth.domainName).toBe('Domain');
    expect(auth.userName).toBe('User');
    expect(auth.workstation).toBe('COMPUTER');
    expect(auth.encryptedRandomSessionKey.toString('hex')).toBe('c5dad2544fc9799094ce1ce90bc9d03e');
    expect(auth.version).toEqual({ major: 5, minor: 1, build: 2600, revision: 15 });
    expect(auth.mic).toBeUndefined();
  });

  it('the server accepts the example and derives the RandomSessionKey-based session', () => {
    const result = verifyAuthenticate({
      negotiate: Buffer.alloc(0),
      challenge: parseChallenge(V2_CHALLENGE),
      authenticate: V2_AUTHENTICATE,
      lookup: userDb,
    });
    expect(result.kind).toBe('accepted');
    if (result.kind !== 'accepted') return;
    expect(result.user).toBe('User');
    expect(result.domain).toBe('Domain');
    expect(result.workstation).toBe('COMPUTER');
    // 4.2.4.4: the client's sealed "Plaintext" with seqnum 0 unseals on the server side.
    const plain = result.session!.unseal(hex('54e50165bf1936dc996020c1811b0f06fb5f'), hex('010000007fb38ec5c55d497600000000'));
    expect(plain.equals(PLAINTEXT)).toBe(true);
  });

  it('rejects a wrong password for the same message', () => {
    const result = verifyAuthenticate({
      negotiate: Buffer.alloc(0),
      challenge: parseChallenge(V2_CHALLENGE),
      authenticate: V2_AUTHENTICATE,
      lookup: () => ({ password: 'password', canonicalUser: 'User' }),
    });
    expect(result).toMatchObject({ kind: 'rejected', code: 'bad-credentials' });
  });

  it('GSS_WrapEx example (4.2.4.4): keys, sealed data and signature for seqnum 0', () => {
    const flags = 0xe2888235; // the example's AUTHENTICATE flags: ESS, KEY_EXCH, 128, 56, SIGN, SEAL
    expect(sealKey(flags, RANDOM_SESSION_KEY, 'client-to-server').toString('hex')).toBe('59f600973cc4960a25480a7c196e4c58');
    expect(signKey(RANDOM_SESSION_KEY, 'client-to-server').toString('hex')).toBe('4788dc861b4782f35d43fd98fe1a2d39');
    const client = new NtlmSession({ flags, exportedSessionKey: RANDOM_SESSION_KEY, role: 'client' });
    const { sealed, signature } = client.seal(PLAINTEXT);
    expect(sealed.toString('hex')).toBe('54e50165bf1936dc996020c1811b0f06fb5f');
    expect(signature.toString('hex')).toBe('010000007fb38ec5c55d497600000000');
    // The un-encrypted checksum of the example: HMAC_MD5(SigningKey, SeqNum ‖ Message)[0..7].
    const checksum = hmacMd5(signKey(RANDOM_SESSION_KEY, 'client-to-server'), Buffer.alloc(4), PLAINTEXT).subarray(0, 8);
    expect(checksum.toString('hex')).toBe('70352851f2564309');
  });

  it('refuses the NTLMv1 AUTHENTICATE of 4.2.2.3', () => {
    const result = verifyAuthenticate({
      negotiate: Buffer.alloc(0),
      challenge: parseChallenge(V2_CHALLENGE),
      authenticate: V1_AUTHENTICATE,
      lookup: userDb,
    });
    expect(result).toMatchObject({ kind: 'rejected', code: 'ntlmv1' });
  });
});

describe('MS-NLMP 4.2.3.4 extended session security without KEY_EXCH, 56-bit seal key', () => {
  // NTLMv1 with client challenge: KeyExchangeKey eb93429a8bd952f8b89c55b87f475edc is the
  // ExportedSessionKey (no KEY_EXCH). Flags 0x82088233 minus NTLMv1 specifics: ESS + 56, no 128.
  const exported = hex('eb93429a8bd952f8b89c55b87f475edc');
  const flags = NegotiateFlag.EXTENDED_SESSIONSECURITY | NegotiateFlag.NEGOTIATE_56 | NegotiateFlag.SIGN | NegotiateFlag.SEAL | NegotiateFlag.UNICODE;

  it('cuts the key to 56 bits before hashing it into the seal key', () => {
    expect(sealKey(flags, exported, 'client-to-server').toString('hex')).toBe('04dd7f014d8504d265a25cc86a3a7c06');
    expect(signKey(exported, 'client-to-server').toString('hex')).toBe('60e799be5c72fc92922ae8ebe961fb8d');
  });

  it('seals "Plaintext" with an un-encrypted checksum when KEY_EXCH is off', () => {
    const client = new NtlmSession({ flags, exportedSessionKey: exported, role: 'client' });
    const { sealed, signature } = client.seal(PLAINTEXT);
    expect(sealed.toString('hex')).toBe('a02372f6530273f3aa1eb90190ce5200c99d');
    expect(signature.toString('hex')).toBe('01000000ff2aeb52f681793a00000000');
    const server = new NtlmSession({ flags, exportedSessionKey: exported, role: 'server' });
    expect(server.unseal(sealed, signature).equals(PLAINTEXT)).toBe(true);
  });

  it('cuts the key to 40 bits when neither 128 nor 56 is negotiated', () => {
    const f40 = NegotiateFlag.EXTENDED_SESSIONSECURITY | NegotiateFlag.SEAL;
    const expected = createMd5(Buffer.concat([exported.subarray(0, 5), Buffer.from('session key to server-to-client sealing key magic constant\0', 'latin1')]));
    expect(sealKey(f40, exported, 'server-to-client').equals(expected)).toBe(true);
    const f128 = f40 | NegotiateFlag.NEGOTIATE_128 | NegotiateFlag.NEGOTIATE_56;
    const full = createMd5(Buffer.concat([exported, Buffer.from('session key to server-to-client sealing key magic constant\0', 'latin1')]));
    expect(sealKey(f128, exported, 'server-to-client').equals(full)).toBe(true);
  });
});

function createMd5(data: Buffer): Buffer {
  return createHash('md5').update(data).digest();
}
