/**
 * NTLMv2 key derivation (MS-NLMP 3.3.2 and 3.4.5): NTOWFv2, NTProofStr, SessionBaseKey,
 * ExportedSessionKey, SIGNKEY / SEALKEY, and the AUTHENTICATE MIC.
 */
import { hmacMd5, md4, md5, rc4k } from './crypto.js';
import { NegotiateFlag, hasFlag } from './flags.js';

/**
 * Upper-cases one UTF-16 code unit at a time. JavaScript's toUpperCase() is locale-free but can
 * change the length ("ß" → "SS"); Windows' RtlUpcaseUnicodeString maps char for char, so a code
 * unit whose upper case is longer than one unit stays as it is.
 */
export function windowsUpperCase(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    // Per code unit, as Windows does: surrogate halves upper-case to themselves.
    const ch = text[i];
    const up = ch.toUpperCase();
    out += up.length === 1 ? up : ch;
  }
  return out;
}

/** NTOWFv2(password, user, domain) = HMAC_MD5(MD4(UNICODE(password)), UNICODE(Upper(user) + domain)). */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return ntowfv2FromHash(md4(Buffer.from(password, 'utf16le')), user, domain);
}

/** Same as ntowfv2 from a stored NT hash (MD4 of the UTF-16LE password). */
export function ntowfv2FromHash(ntHash: Uint8Array, user: string, domain: string): Buffer {
  return hmacMd5(ntHash, Buffer.from(windowsUpperCase(user) + domain, 'utf16le'));
}

/** NTProofStr = HMAC_MD5(ResponseKeyNT, ServerChallenge ‖ blob). */
export function ntProofStr(responseKeyNt: Uint8Array, serverChallenge: Uint8Array, blob: Uint8Array): Buffer {
  return hmacMd5(responseKeyNt, serverChallenge, blob);
}

/** SessionBaseKey = HMAC_MD5(ResponseKeyNT, NTProofStr); with NTLMv2 it is also the KeyExchangeKey. */
export function sessionBaseKey(responseKeyNt: Uint8Array, proof: Uint8Array): Buffer {
  return hmacMd5(responseKeyNt, proof);
}

/**
 * ExportedSessionKey: with KEY_EXCH the client picked a random key and sent it RC4-encrypted under the
 * KeyExchangeKey; otherwise the KeyExchangeKey itself is used.
 */
export function exportedSessionKey(flags: number, keyExchangeKey: Buffer, encryptedRandomSessionKey: Buffer): Buffer {
  if (hasFlag(flags, NegotiateFlag.KEY_EXCH)) return rc4k(keyExchangeKey, encryptedRandomSessionKey);
  return Buffer.from(keyExchangeKey);
}

export type Direction = 'client-to-server' | 'server-to-client';

const magic = (direction: Direction, kind: 'signing' | 'sealing'): Buffer =>
  Buffer.from(`session key to ${direction} ${kind} key magic constant\0`, 'latin1');

/** SIGNKEY with extended session security: MD5(ExportedSessionKey ‖ magic). */
export function signKey(exported: Buffer, direction: Direction): Buffer {
  return md5(exported, magic(direction, 'signing'));
}

/**
 * SEALKEY with extended session security: the session key is first cut to the negotiated strength —
 * 128 bits with NEGOTIATE_128, else 56 bits (7 bytes) with NEGOTIATE_56, else 40 bits (5 bytes) —
 * then hashed with the direction's magic constant.
 */
export function sealKey(flags: number, exported: Buffer, direction: Direction): Buffer {
  let key = exported;
  if (!hasFlag(flags, NegotiateFlag.NEGOTIATE_128)) {
    key = exported.subarray(0, hasFlag(flags, NegotiateFlag.NEGOTIATE_56) ? 7 : 5);
  }
  return md5(key, magic(direction, 'sealing'));
}

/** MIC = HMAC_MD5(ExportedSessionKey, NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE with the MIC zeroed). */
export function computeMic(exported: Buffer, negotiate: Buffer, challenge: Buffer, authenticateZeroedMic: Buffer): Buffer {
  return hmacMd5(exported, negotiate, challenge, authenticateZeroedMic);
}
