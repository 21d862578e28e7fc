/**
 * The client side of NTLMv2 (MS-NLMP 3.1.5): NEGOTIATE, then AUTHENTICATE from the server's
 * CHALLENGE, with a MIC, extended session security and key exchange — and, over HTTPS, the channel
 * binding of the server's certificate — as pywinrm / Windows clients send them. Key derivation and
 * the session (signing and sealing, role 'client') are the server's own modules.
 *
 * One implementation serves capture (talking to a real WinRM host), the load generator and the
 * tests; the options beyond the defaults exist so tests can drive the server through every branch
 * (odd flags, no MIC, NTLMv1-shaped or anonymous responses, …).
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { rc4k } from './crypto.js';
import { NegotiateFlag, hasFlag } from './flags.js';
import { computeMic, ntProofStr, ntowfv2, sessionBaseKey } from './keys.js';
import { AvFlag, AvId, type AvPair, MIC_OFFSET, encodeAvPairs, parseChallenge } from './messages.js';
import { filetime } from './server.js';
import { NtlmSession } from './session.js';
import { splitUserName } from '../../users.js';

/** What pywinrm (ntlm-auth / pyspnego) asks for in NEGOTIATE. */
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

const SIGNATURE = 'NTLMSSP\0';
const NEGOTIATE_LENGTH = 40;
const AUTHENTICATE_HEADER_LENGTH = 88;

export function buildNegotiate(flags: number = CLIENT_FLAGS): Buffer {
  const b = Buffer.alloc(NEGOTIATE_LENGTH);
  b.write(SIGNATURE, 0, 'latin1');
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(flags >>> 0, 12);
  // empty domain and workstation fields point just past the header
  b.writeUInt32LE(NEGOTIATE_LENGTH, 20);
  b.writeUInt32LE(NEGOTIATE_LENGTH, 28);
  VERSION.copy(b, 32);
  return b;
}

export interface AuthenticateOptions {
  /** The NEGOTIATE_MESSAGE as sent (for the MIC). */
  negotiate: Buffer;
  challenge: Buffer;
  user: string;
  domain: string;
  password: string;
  /** Default: this machine's name, upper-cased, as pyspnego sends it. */
  workstation?: string;
  /** Flags written into AUTHENTICATE; default: the CHALLENGE's. */
  flags?: number;
  /** Default true (MsvAvFlags MIC_PRESENT and the MIC itself). */
  withMic?: boolean;
  /** Default: 16 random bytes. */
  randomSessionKey?: Buffer;
  /** MsvAvChannelBindings: MD5 of the gss_channel_bindings_struct (HTTPS). */
  channelBindings?: Buffer;
  /** MsvAvTargetName. */
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
  // MS-NLMP 3.1.5.1.2: the server's MsvAvTimestamp when it sent one, else the client's own time.
  const timestamp = ch.targetInfo.find((p) => p.id === AvId.Timestamp)?.value ?? filetime(Date.now());
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

  const workstation = o.workstation ?? hostname().toUpperCase();
  const fields = [lm, nt, text(o.domain), text(o.user), text(workstation), encKey];
  const header = Buffer.alloc(AUTHENTICATE_HEADER_LENGTH);
  header.write(SIGNATURE, 0, 'latin1');
  header.writeUInt32LE(3, 8);
  let offset = AUTHENTICATE_HEADER_LENGTH;
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
  if (withMic) computeMic(exported, o.negotiate, o.challenge, token).copy(token, MIC_OFFSET);
  return { token, flags, exportedSessionKey: exported };
}

/** The session that signs and seals the connection's messages after `auth`. */
export function clientSession(auth: AuthenticateResult): NtlmSession {
  return new NtlmSession({ flags: auth.flags, exportedSessionKey: auth.exportedSessionKey, role: 'client' });
}

/**
 * AUTHENTICATE as a real client (pywinrm) answers a CHALLENGE: the account as `DOMAIN\user`,
 * `user@domain` or `user`; a server that will not do extended session security is refused; the
 * sealing session comes with the token.
 */
export function authenticateAccount(o: {
  negotiate: Buffer;
  challenge: Buffer;
  account: string;
  password: string;
  workstation?: string;
  channelBindings?: Buffer;
}): { token: Buffer; session: NtlmSession } {
  if (!hasFlag(parseChallenge(o.challenge).flags >>> 0, NegotiateFlag.EXTENDED_SESSIONSECURITY)) {
    throw new Error('the server did not agree to NTLM extended session security');
  }
  const auth = buildAuthenticate({ ...splitUserName(o.account), negotiate: o.negotiate, challenge: o.challenge, password: o.password, workstation: o.workstation, channelBindings: o.channelBindings });
  return { token: auth.token, session: clientSession(auth) };
}
