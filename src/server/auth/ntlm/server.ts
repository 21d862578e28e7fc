/**
 * NTLM acceptor: the server side of one NTLM handshake (MS-NLMP 3.2.5.1, connection-oriented).
 *
 *   const ctx = new NtlmServerContext({ targetName: 'HV1' });
 *   ctx.step(negotiateToken, lookup)    → { kind: 'challenge', token }       (send in a 401)
 *   ctx.step(authenticateToken, lookup) → { kind: 'accepted', user, domain, session, ... }
 *                                       | { kind: 'rejected', code, reason }
 *
 * One context per TCP connection. A NEGOTIATE message restarts the handshake at any point (clients
 * re-authenticate on a kept-alive connection); an AUTHENTICATE is accepted once, only right after
 * the CHALLENGE it answers. `step` never throws for bad input: malformed tokens come back as
 * `{ kind: 'rejected', code: 'malformed' }`.
 *
 * Verification (NTLMv2 only; LM, NTLMv1 and anonymous are refused):
 *  - NTOWFv2 is computed from the UserName and DomainName fields exactly as the client sent them
 *    (the client hashed those): Go's client puts the server's TargetName in DomainName when the user
 *    gave none, requests-ntlm sends `user@domain` in UserName with an empty DomainName.
 *  - The account is looked up by the bare user name: `DOMAIN\user` and `user@domain` are split, and the
 *    lookup receives the domain separately so it may ignore it (local accounts) or check it.
 *  - NTProofStr and the MIC are compared in constant time; an unknown user costs the same work as a
 *    wrong password.
 *  - When the NTLMv2 blob's MsvAvFlags announces a MIC (clients do when the CHALLENGE carries a
 *    timestamp), the MIC over NEGOTIATE ‖ CHALLENGE ‖ AUTHENTICATE is verified.
 *
 * Negotiated flags are the AUTHENTICATE flags intersected with the CHALLENGE flags, so a client can
 * drop an option but never add one the server did not offer.
 */
import { randomBytes as nodeRandomBytes } from 'node:crypto';
import { constantTimeEqual } from './crypto.js';
import { NegotiateFlag, hasFlag } from './flags.js';
import { computeMic, exportedSessionKey, ntProofStr, ntowfv2, sessionBaseKey } from './keys.js';
import {
  AvFlag,
  AvId,
  type AvPair,
  type ChallengeMessage,
  MIC_OFFSET,
  MessageType,
  NtlmMessageError,
  type NtlmVersion,
  buildChallenge,
  findAvPair,
  ntlmMessageType,
  parseAuthenticate,
  parseChallenge,
  parseNegotiate,
  parseNtlmV2Response,
} from './messages.js';
import { NtlmSession } from './session.js';
// the account name rules are the user store's: NTLM and Basic split names the same way
import { splitUserName } from '../../users.js';

export interface NtlmAccount {
  /** Clear-text password of the account (NTOWFv2 needs the password or its MD4). */
  password: string;
  /** The account name as the host knows it (e.g. "Administrator" for "administrator"). */
  canonicalUser: string;
}

/** Finds an account by bare user name; `domain` is what the client named, possibly empty. */
export type NtlmUserLookup = (user: string, domain: string) => NtlmAccount | undefined;

export interface NtlmServerOptions {
  /** NetBIOS computer name, sent as TargetName and MsvAvNbComputerName (e.g. "HV1"). */
  targetName: string;
  /** MsvAvNbDomainName; a workgroup machine sends its own name (the default). */
  nbDomainName?: string;
  /** MsvAvDnsComputerName; defaults to targetName. */
  dnsComputer?: string;
  /** MsvAvDnsDomainName; defaults to dnsComputer (what a workgroup Windows host sends). */
  dnsDomain?: string;
  /** VERSION field of the CHALLENGE; defaults to Windows Server 2019 (10.0.17763, revision 15). */
  version?: NtlmVersion;
  /** Clock for MsvAvTimestamp, in ms since the Unix epoch. */
  now?: () => number;
  /** Source of the 8-byte server challenge (injectable for tests). */
  randomBytes?: (n: number) => Buffer;
}

export type NtlmRejectCode =
  | 'malformed'
  | 'unexpected-message'
  | 'unsupported'
  | 'anonymous'
  | 'ntlmv1'
  | 'unknown-user'
  | 'bad-credentials'
  | 'bad-mic';

export interface NtlmAccepted {
  kind: 'accepted';
  /** canonicalUser from the lookup. */
  user: string;
  /** The domain the client named (DomainName field, or the part of `user@domain` / `DOMAIN\user`). */
  domain: string;
  /** UserName / DomainName / Workstation fields as sent. */
  clientUser: string;
  clientDomain: string;
  workstation: string;
  /** Negotiated flags (AUTHENTICATE ∩ CHALLENGE). */
  flags: number;
  /** Present when SIGN or SEAL was negotiated. */
  session: NtlmSession | undefined;
  /** MsvAvChannelBindings (MD5 of gss_channel_bindings_struct) if the client sent one. */
  channelBindings?: Buffer;
  /** MsvAvTargetName (the SPN the client aimed at, e.g. "HTTP/hv1") if sent. */
  targetSpn?: string;
}

export interface NtlmRejected {
  kind: 'rejected';
  code: NtlmRejectCode;
  reason: string;
}

export interface NtlmChallengeResult {
  kind: 'challenge';
  token: Buffer;
}

export type NtlmStepResult = NtlmChallengeResult | NtlmAccepted | NtlmRejected;

export const DEFAULT_SERVER_VERSION: NtlmVersion = { major: 10, minor: 0, build: 17763, revision: 15 };

/** Flags the server echoes when the client asks for them. */
const ECHOED_FLAGS =
  NegotiateFlag.SIGN |
  NegotiateFlag.SEAL |
  NegotiateFlag.ALWAYS_SIGN |
  NegotiateFlag.EXTENDED_SESSIONSECURITY |
  NegotiateFlag.KEY_EXCH |
  NegotiateFlag.NEGOTIATE_128 |
  NegotiateFlag.NEGOTIATE_56;

/** Flags the server always sets: it always sends TargetName, TargetInfo and Version. */
const BASE_FLAGS =
  NegotiateFlag.REQUEST_TARGET |
  NegotiateFlag.NTLM |
  NegotiateFlag.TARGET_TYPE_SERVER |
  NegotiateFlag.TARGET_INFO |
  NegotiateFlag.VERSION;

const FILETIME_UNIX_EPOCH = 116444736000000000n;

/** Work done for an unknown user, so that it costs the same as a wrong password. */
const DUMMY_PASSWORD = '\u0000vmms-emu-no-such-user\u0000';

function reject(code: NtlmRejectCode, reason: string): NtlmRejected {
  return { kind: 'rejected', code, reason };
}

/** Chooses the CHALLENGE flags for a NEGOTIATE's flags, or explains why the request cannot be served. */
export function challengeFlags(clientFlags: number): number | NtlmRejected {
  if (hasFlag(clientFlags, NegotiateFlag.DATAGRAM)) return reject('unsupported', 'connectionless (datagram) NTLM is not supported');
  let flags = BASE_FLAGS | (clientFlags & ECHOED_FLAGS);
  if (hasFlag(clientFlags, NegotiateFlag.UNICODE)) flags |= NegotiateFlag.UNICODE;
  else if (hasFlag(clientFlags, NegotiateFlag.OEM)) flags |= NegotiateFlag.OEM;
  else return reject('unsupported', 'NEGOTIATE offers neither UNICODE nor OEM');
  const wantsSecurity = (clientFlags & (NegotiateFlag.SIGN | NegotiateFlag.SEAL)) !== 0;
  if (wantsSecurity && !hasFlag(clientFlags, NegotiateFlag.EXTENDED_SESSIONSECURITY)) {
    return reject('unsupported', 'SIGN/SEAL without EXTENDED_SESSIONSECURITY (NTLMv1-style session security) is not supported');
  }
  // A sealed message always carries a signature (MS-NLMP 3.4.3), so confidentiality brings integrity.
  if (hasFlag(flags, NegotiateFlag.SEAL)) flags |= NegotiateFlag.SIGN;
  return flags >>> 0;
}

export function filetime(msSinceEpoch: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(Math.floor(msSinceEpoch)) * 10000n + FILETIME_UNIX_EPOCH, 0);
  return b;
}

/** TargetInfo in the order Windows sends it. */
export function targetInfoPairs(opts: NtlmServerOptions, nowMs: number): AvPair[] {
  const u = (s: string): Buffer => Buffer.from(s, 'utf16le');
  const dnsComputer = opts.dnsComputer ?? opts.targetName;
  return [
    { id: AvId.NbDomainName, value: u(opts.nbDomainName ?? opts.targetName) },
    { id: AvId.NbComputerName, value: u(opts.targetName) },
    { id: AvId.DnsDomainName, value: u(opts.dnsDomain ?? dnsComputer) },
    { id: AvId.DnsComputerName, value: u(dnsComputer) },
    { id: AvId.Timestamp, value: filetime(nowMs) },
  ];
}

export interface VerifyAuthenticateInput {
  /** The NEGOTIATE_MESSAGE bytes as received (for the MIC). */
  negotiate: Buffer;
  /** The CHALLENGE_MESSAGE this AUTHENTICATE answers. */
  challenge: ChallengeMessage;
  authenticate: Buffer;
  lookup: NtlmUserLookup;
}

/** Verifies an AUTHENTICATE_MESSAGE against the CHALLENGE it answers. Never throws for bad input. */
export function verifyAuthenticate(input: VerifyAuthenticateInput): NtlmAccepted | NtlmRejected {
  try {
    return verifyOrThrow(input);
  } catch (err) {
    if (err instanceof NtlmMessageError) return reject('malformed', err.message);
    throw err;
  }
}

function verifyOrThrow({ negotiate, challenge, authenticate, lookup }: VerifyAuthenticateInput): NtlmAccepted | NtlmRejected {
  const auth = parseAuthenticate(authenticate);
  const flags = (auth.flags & challenge.flags) >>> 0;
  const lmIsEmpty = auth.lmResponse.length === 0 || (auth.lmResponse.length === 1 && auth.lmResponse[0] === 0);
  if (hasFlag(auth.flags, NegotiateFlag.ANONYMOUS) || (auth.userName === '' && auth.ntResponse.length === 0 && lmIsEmpty)) {
    return reject('anonymous', 'anonymous NTLM authentication is refused');
  }
  if (auth.ntResponse.length === 0) return reject('ntlmv1', 'LM-only authentication is refused');
  if (auth.ntResponse.length === 24) return reject('ntlmv1', 'NTLMv1 authentication is refused; NTLMv2 is required');
  const v2 = parseNtlmV2Response(auth.ntResponse);
  if (v2.respType !== 1 || v2.hiRespType !== 1) {
    return reject('malformed', `NTLMv2 client challenge version ${v2.respType}.${v2.hiRespType}, expected 1.1`);
  }

  const name = splitUserName(auth.userName, auth.domainName);
  const account = name.user === '' ? undefined : lookup(name.user, name.domain);
  const responseKey = ntowfv2(account?.password ?? DUMMY_PASSWORD, auth.userName, auth.domainName);
  const proofOk = constantTimeEqual(ntProofStr(responseKey, challenge.serverChallenge, v2.blob), v2.ntProofStr);
  if (!account) return reject('unknown-user', `no account for user "${name.user}"`);
  if (!proofOk) return reject('bad-credentials', `NTLMv2 response does not verify for user "${name.user}"`);

  const keyExchangeKey = sessionBaseKey(responseKey, v2.ntProofStr);
  if (hasFlag(flags, NegotiateFlag.KEY_EXCH) && auth.encryptedRandomSessionKey.length !== 16) {
    return reject('malformed', `KEY_EXCH negotiated but EncryptedRandomSessionKey is ${auth.encryptedRandomSessionKey.length} bytes`);
  }
  const exported = exportedSessionKey(flags, keyExchangeKey, auth.encryptedRandomSessionKey);

  const avFlags = findAvPair(v2.avPairs, AvId.Flags);
  if (avFlags && avFlags.length === 4 && (avFlags.readUInt32LE(0) & AvFlag.MIC_PRESENT) !== 0) {
    if (!auth.mic) return reject('malformed', 'MsvAvFlags announces a MIC but the message has no room for one');
    const zeroed = Buffer.from(auth.raw);
    zeroed.fill(0, MIC_OFFSET, MIC_OFFSET + 16);
    if (!constantTimeEqual(computeMic(exported, negotiate, challenge.raw, zeroed), auth.mic)) {
      return reject('bad-mic', 'AUTHENTICATE message integrity code does not verify');
    }
  }

  const wantsSecurity = (flags & (NegotiateFlag.SIGN | NegotiateFlag.SEAL)) !== 0;
  const session = wantsSecurity ? new NtlmSession({ flags, exportedSessionKey: exported, role: 'server' }) : undefined;
  const result: NtlmAccepted = {
    kind: 'accepted',
    user: account.canonicalUser,
    domain: name.domain,
    clientUser: auth.userName,
    clientDomain: auth.domainName,
    workstation: auth.workstation,
    flags,
    session,
  };
  const cbt = findAvPair(v2.avPairs, AvId.ChannelBindings);
  if (cbt) result.channelBindings = cbt;
  const spn = findAvPair(v2.avPairs, AvId.TargetName);
  if (spn && spn.length % 2 === 0) result.targetSpn = spn.toString('utf16le');
  return result;
}

type State =
  | { phase: 'initial' }
  | { phase: 'challenged'; negotiate: Buffer; challenge: ChallengeMessage }
  | { phase: 'done' };

export class NtlmServerContext {
  private state: State = { phase: 'initial' };
  private readonly now: () => number;
  private readonly random: (n: number) => Buffer;

  constructor(private readonly opts: NtlmServerOptions) {
    this.now = opts.now ?? Date.now;
    this.random = opts.randomBytes ?? nodeRandomBytes;
  }

  /** 'initial' before a NEGOTIATE, 'challenged' while waiting for AUTHENTICATE, 'done' after it. */
  get phase(): State['phase'] {
    return this.state.phase;
  }

  /** Feeds one raw NTLMSSP token; returns the CHALLENGE to send, or the final result. */
  step(token: Buffer, lookup: NtlmUserLookup): NtlmStepResult {
    const type = ntlmMessageType(token);
    if (type === MessageType.NEGOTIATE) return this.onNegotiate(token);
    if (type === MessageType.AUTHENTICATE) {
      if (this.state.phase !== 'challenged') {
        return reject('unexpected-message', 'AUTHENTICATE_MESSAGE without a preceding CHALLENGE on this connection');
      }
      const { negotiate, challenge } = this.state;
      this.state = { phase: 'done' };
      return verifyAuthenticate({ negotiate, challenge, authenticate: token, lookup });
    }
    if (type === undefined) return reject('malformed', 'not an NTLMSSP message');
    return reject('unexpected-message', `NTLMSSP message type ${type} is not expected from a client`);
  }

  private onNegotiate(token: Buffer): NtlmStepResult {
    this.state = { phase: 'initial' };
    let clientFlags: number;
    try {
      clientFlags = parseNegotiate(token).flags;
    } catch (err) {
      if (err instanceof NtlmMessageError) return reject('malformed', err.message);
      throw err;
    }
    const flags = challengeFlags(clientFlags);
    if (typeof flags !== 'number') return flags;
    const serverChallenge = this.random(8);
    if (serverChallenge.length !== 8) throw new RangeError('randomBytes(8) returned the wrong length');
    const raw = buildChallenge({
      flags,
      targetName: this.opts.targetName,
      serverChallenge,
      targetInfo: targetInfoPairs(this.opts, this.now()),
      version: this.opts.version ?? DEFAULT_SERVER_VERSION,
    });
    // Parse back what was built, so verification reads the challenge exactly as the client saw it.
    this.state = { phase: 'challenged', negotiate: Buffer.from(token), challenge: parseChallenge(raw) };
    return { kind: 'challenge', token: raw };
  }
}
