/**
 * The client side of NTLMv2 (MS-NLMP 3.1.5): NEGOTIATE, then AUTHENTICATE from the server's
 * CHALLENGE, with a MIC, extended session security, key exchange and — over HTTPS — the
 * channel binding of the server's certificate, as pywinrm / Windows clients send them. Key
 * derivation and the session (signing and sealing, role 'client') are the server's own modules.
 */
import { randomBytes } from 'node:crypto';
import { rc4k } from '../server/auth/ntlm/crypto.js';
import { NegotiateFlag, hasFlag } from '../server/auth/ntlm/flags.js';
import { computeMic, ntProofStr, ntowfv2, sessionBaseKey } from '../server/auth/ntlm/keys.js';
import { AvFlag, AvId, type AvPair, encodeAvPairs, parseChallenge } from '../server/auth/ntlm/messages.js';
import { NtlmSession } from '../server/auth/ntlm/session.js';

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

/** Windows 10 (build 17763) in the VERSION field, as Windows clients send it. */
const VERSION = Buffer.from([10, 0, 0x63, 0x45, 0, 0, 0, 15]);

export function ntlmNegotiate(flags: number = CLIENT_FLAGS): Buffer {
  const b = Buffer.alloc(40);
  b.write('NTLMSSP\0', 0, 'latin1');
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(flags >>> 0, 12);
  // empty domain and workstation fields point just past the header
  b.writeUInt32LE(40, 20);
  b.writeUInt32LE(40, 28);
  VERSION.copy(b, 32);
  return b;
}

/** `DOMAIN\user`, `user@domain` or `user`. */
export function splitAccount(account: string): { user: string; domain: string } {
  const bs = account.indexOf('\\');
  if (bs >= 0) return { domain: account.slice(0, bs), user: account.slice(bs + 1) };
  const at = account.lastIndexOf('@');
  if (at > 0) return { user: account.slice(0, at), domain: account.slice(at + 1) };
  return { user: account, domain: '' };
}

export interface NtlmClientResult {
  token: Buffer;
  /** the session that signs and seals this connection's messages */
  session: NtlmSession;
}

export function ntlmAuthenticate(o: {
  negotiate: Buffer;
  challenge: Buffer;
  account: string;
  password: string;
  workstation?: string;
  /** MsvAvChannelBindings: MD5 of the gss_channel_bindings_struct (HTTPS) */
  channelBindings?: Buffer;
}): NtlmClientResult {
  const ch = parseChallenge(o.challenge);
  const flags = ch.flags >>> 0;
  if (!hasFlag(flags, NegotiateFlag.EXTENDED_SESSIONSECURITY)) throw new Error('the server did not agree to NTLM extended session security');
  const { user, domain } = splitAccount(o.account);
  const unicode = hasFlag(flags, NegotiateFlag.UNICODE);
  const text = (s: string): Buffer => Buffer.from(s, unicode ? 'utf16le' : 'latin1');

  const pairs: AvPair[] = ch.targetInfo.filter((p) => p.id !== AvId.EOL);
  const f = Buffer.alloc(4);
  f.writeUInt32LE(AvFlag.MIC_PRESENT, 0);
  pairs.push({ id: AvId.Flags, value: f });
  if (o.channelBindings) pairs.push({ id: AvId.ChannelBindings, value: o.channelBindings });
  const timestamp = ch.targetInfo.find((p) => p.id === AvId.Timestamp)?.value ?? filetimeNow();
  const blob = Buffer.concat([Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]), timestamp, randomBytes(8), Buffer.alloc(4), encodeAvPairs(pairs), Buffer.alloc(4)]);
  const key = ntowfv2(o.password, user, domain);
  const proof = ntProofStr(key, ch.serverChallenge, blob);
  const nt = Buffer.concat([proof, blob]);
  const lm = Buffer.alloc(24);
  const kxkey = sessionBaseKey(key, proof);
  const keyExch = hasFlag(flags, NegotiateFlag.KEY_EXCH);
  const random = randomBytes(16);
  const encKey = keyExch ? rc4k(kxkey, random) : Buffer.alloc(0);
  const exported = keyExch ? random : kxkey;

  const fields = [lm, nt, text(domain), text(user), text(o.workstation ?? 'VMMS-CAPTURE'), encKey];
  const header = Buffer.alloc(88);
  header.write('NTLMSSP\0', 0, 'latin1');
  header.writeUInt32LE(3, 8);
  let offset = 88;
  // header order: LmChallengeResponse, NtChallengeResponse, Domain, User, Workstation, EncryptedRandomSessionKey
  fields.forEach((field, i) => {
    const at = 12 + i * 8;
    header.writeUInt16LE(field.length, at);
    header.writeUInt16LE(field.length, at + 2);
    header.writeUInt32LE(offset, at + 4);
    offset += field.length;
  });
  header.writeUInt32LE(flags, 60);
  VERSION.copy(header, 64);
  const token = Buffer.concat([header, ...fields]);
  computeMic(exported, o.negotiate, o.challenge, token).copy(token, 72);
  return { token, session: new NtlmSession({ flags, exportedSessionKey: exported, role: 'client' }) };
}

function filetimeNow(): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(Date.now()) + 11644473600000n) * 10000n);
  return b;
}
