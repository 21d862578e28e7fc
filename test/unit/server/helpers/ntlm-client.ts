/**
 * A minimal NTLMv2 *client* for tests: builds NEGOTIATE and AUTHENTICATE messages the way
 * ntlm-auth / Windows do, so the server can be driven through every branch. It reuses the
 * product's key derivation (which the MS-NLMP vectors pin down) but lays out the messages itself.
 */
import { randomBytes } from 'node:crypto';
import { rc4k } from '../../../../src/server/auth/ntlm/crypto.js';
import { NegotiateFlag, hasFlag } from '../../../../src/server/auth/ntlm/flags.js';
import { computeMic, ntProofStr, ntowfv2, sessionBaseKey } from '../../../../src/server/auth/ntlm/keys.js';
import { AvFlag, AvId, type AvPair, encodeAvPairs, parseChallenge } from '../../../../src/server/auth/ntlm/messages.js';

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

export interface AuthenticateOptions {
  negotiate: Buffer;
  challenge: Buffer;
  user: string;
  domain: string;
  password: string;
  workstation?: string;
  /** Flags written into AUTHENTICATE; default: the CHALLENGE's. */
  flags?: number;
  withMic?: boolean;
  randomSessionKey?: Buffer;
  channelBindings?: Buffer;
  targetSpn?: string;
  /** Override the NT response (e.g. 24 bytes for NTLMv1, empty for anonymous). */
  ntResponse?: Buffer;
  lmResponse?: Buffer;
  /** Omit EncryptedRandomSessionKey even with KEY_EXCH. */
  omitSessionKey?: boolean;
}

export interface AuthenticateResult {
  token: Buffer;
  flags: number;
  exportedSessionKey: Buffer;
}

export function buildAuthenticate(o: AuthenticateOptions): AuthenticateResult {
  const ch = parseChallenge(o.challenge);
  const flags = (o.flags ?? ch.flags) >>> 0;
  const unicode = hasFlag(flags, NegotiateFlag.UNICODE);
  const text = (s: string): Buffer => Buffer.from(s, unicode ? 'utf16le' : 'latin1');
  const withMic = o.withMic ?? true;

  const pairs: AvPair[] = ch.targetInfo.filter((p) => p.id !== AvId.EOL);
  if (withMic) {
    const f = Buffer.alloc(4);
    f.writeUInt32LE(AvFlag.MIC_PRESENT, 0);
    pairs.push({ id: AvId.Flags, value: f });
  }
  if (o.channelBindings) pairs.push({ id: AvId.ChannelBindings, value: o.channelBindings });
  if (o.targetSpn !== undefined) pairs.push({ id: AvId.TargetName, value: Buffer.from(o.targetSpn, 'utf16le') });
  const timestamp = ch.targetInfo.find((p) => p.id === AvId.Timestamp)?.value ?? Buffer.alloc(8);
  const blob = Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), timestamp, randomBytes(8), Buffer.alloc(4), encodeAvPairs(pairs), Buffer.alloc(4)]);
  const key = ntowfv2(o.password, o.user, o.domain);
  const proof = ntProofStr(key, ch.serverChallenge, blob);
  const nt = o.ntResponse ?? Buffer.concat([proof, blob]);
  const lm = o.lmResponse ?? Buffer.alloc(24);
  const kxkey = sessionBaseKey(key, proof);
  const random = o.randomSessionKey ?? randomBytes(16);
  const keyExch = hasFlag(flags, NegotiateFlag.KEY_EXCH);
  const encKey = keyExch && !o.omitSessionKey ? rc4k(kxkey, random) : Buffer.alloc(0);
  const exported = keyExch ? random : kxkey;

  const fields = [lm, nt, text(o.domain), text(o.user), text(o.workstation ?? 'TESTCLIENT'), encKey];
  const header = Buffer.alloc(88);
  header.write('NTLMSSP\0', 0, 'latin1');
  header.writeUInt32LE(3, 8);
  let offset = 88;
  // Field order in the header: Lm, Nt, Domain, User, Workstation, EncryptedRandomSessionKey.
  fields.forEach((f, i) => {
    const at = 12 + i * 8;
    header.writeUInt16LE(f.length, at);
    header.writeUInt16LE(f.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += f.length;
  });
  header.writeUInt32LE(flags, 60);
  header.set([10, 0, 0x63, 0x45, 0, 0, 0, 15], 64);
  const token = Buffer.concat([header, ...fields]);
  if (withMic) computeMic(exported, o.negotiate, o.challenge, token).copy(token, 72);
  return { token, flags, exportedSessionKey: exported };
}

/** A 24-byte NTLMv1-shaped response (content irrelevant: the server refuses the length). */
export const NTLMV1_RESPONSE = Buffer.alloc(24, 0x11);
