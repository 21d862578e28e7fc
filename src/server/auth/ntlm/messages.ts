/**
 * NTLMSSP message codec (MS-NLMP 2.2): parse NEGOTIATE / CHALLENGE / AUTHENTICATE, build CHALLENGE,
 * AV_PAIR lists and the NTLMv2 response structure.
 *
 * Every read is bounds-checked against the token; anything that does not fit the layout throws
 * `NtlmMessageError` (never a RangeError from Buffer, never an out-of-range slice). Parsed byte
 * fields are copies, so callers may keep them after the token buffer is reused.
 *
 * Text fields follow the negotiated character set: UTF-16LE when NTLMSSP_NEGOTIATE_UNICODE is set,
 * otherwise the "OEM" code page, read here as Latin-1 (Windows' OEM code page is configurable; the
 * clients this emulator meets only send ASCII in OEM mode).
 */
import { NegotiateFlag, hasFlag } from './flags.js';

export const NTLMSSP_SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const MessageType = { NEGOTIATE: 1, CHALLENGE: 2, AUTHENTICATE: 3 } as const;

/** AV_PAIR ids (MS-NLMP 2.2.2.1). */
export const AvId = {
  EOL: 0,
  NbComputerName: 1,
  NbDomainName: 2,
  DnsComputerName: 3,
  DnsDomainName: 4,
  DnsTreeName: 5,
  Flags: 6,
  Timestamp: 7,
  SingleHost: 8,
  TargetName: 9,
  ChannelBindings: 10,
} as const;

/** Bits of the MsvAvFlags AV pair. */
export const AvFlag = { CONSTRAINED: 0x1, MIC_PRESENT: 0x2, UNTRUSTED_SPN: 0x4 } as const;

export class NtlmMessageError extends Error {
  override readonly name = 'NtlmMessageError';
}

export interface NtlmVersion {
  major: number;
  minor: number;
  build: number;
  /** NTLMRevisionCurrent; 15 (NTLMSSP_REVISION_W2K3) on every Windows since 2003. */
  revision: number;
}

export interface AvPair {
  id: number;
  value: Buffer;
}

export interface NegotiateMessage {
  flags: number;
  /** OEM bytes, when the field is not empty (informational: the server does not use it). */
  domain?: Buffer;
  workstation?: Buffer;
  version?: NtlmVersion;
  raw: Buffer;
}

export interface ChallengeMessage {
  flags: number;
  targetName: string;
  serverChallenge: Buffer;
  targetInfo: AvPair[];
  version?: NtlmVersion;
  raw: Buffer;
}

export interface AuthenticateMessage {
  flags: number;
  lmResponse: Buffer;
  ntResponse: Buffer;
  domainName: string;
  userName: string;
  workstation: string;
  encryptedRandomSessionKey: Buffer;
  version?: NtlmVersion;
  /** Bytes 72..88 when the payload leaves room for a MIC; whether it *is* a MIC is said by MsvAvFlags. */
  mic?: Buffer;
  raw: Buffer;
}

export interface NtlmV2Response {
  ntProofStr: Buffer;
  /** Everything after NTProofStr: the NTLMv2_CLIENT_CHALLENGE the proof is computed over. */
  blob: Buffer;
  respType: number;
  hiRespType: number;
  /** FILETIME (100 ns ticks since 1601-01-01 UTC). */
  timestamp: bigint;
  clientChallenge: Buffer;
  avPairs: AvPair[];
}

/** Offset of the MIC in AUTHENTICATE_MESSAGE (after the 8-byte Version). */
export const MIC_OFFSET = 72;
const AUTHENTICATE_HEADER = 64;
const CHALLENGE_HEADER = 56;
/** NTLMv2_CLIENT_CHALLENGE fixed part: types, reserved, timestamp, client challenge, reserved. */
const NTLMV2_BLOB_HEADER = 28;

function fail(message: string): never {
  throw new NtlmMessageError(message);
}

function readU16(buf: Buffer, off: number, what: string): number {
  if (off < 0 || off + 2 > buf.length) fail(`${what}: truncated at offset ${off}`);
  return buf.readUInt16LE(off);
}

function readU32(buf: Buffer, off: number, what: string): number {
  if (off < 0 || off + 4 > buf.length) fail(`${what}: truncated at offset ${off}`);
  return buf.readUInt32LE(off);
}

interface FieldRef {
  length: number;
  offset: number;
}

/** Reads a (Len, MaxLen, BufferOffset) triple; an empty field's offset is not checked. */
function readFieldRef(buf: Buffer, off: number, what: string): FieldRef {
  const length = readU16(buf, off, what);
  readU16(buf, off + 2, what);
  const offset = readU32(buf, off + 4, what);
  if (length > 0 && offset + length > buf.length) {
    fail(`${what}: field [${offset}, ${offset + length}) outside the ${buf.length}-byte message`);
  }
  return { length, offset };
}

function fieldBytes(buf: Buffer, ref: FieldRef): Buffer {
  return ref.length === 0 ? Buffer.alloc(0) : Buffer.from(buf.subarray(ref.offset, ref.offset + ref.length));
}

function checkHeader(token: Buffer, type: number, minLength: number, what: string): void {
  if (!Buffer.isBuffer(token)) fail(`${what}: not a buffer`);
  if (token.length < 12 || !token.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) fail(`${what}: missing NTLMSSP signature`);
  const actual = token.readUInt32LE(8);
  if (actual !== type) fail(`${what}: message type ${actual}, expected ${type}`);
  if (token.length < minLength) fail(`${what}: ${token.length} bytes, at least ${minLength} required`);
}

function readVersion(buf: Buffer, off: number): NtlmVersion {
  return { major: buf[off], minor: buf[off + 1], build: buf.readUInt16LE(off + 2), revision: buf[off + 7] };
}

/** The lowest payload offset among non-empty fields: fixed fields (Version, MIC) end before it. */
function payloadStart(refs: FieldRef[], fallback: number): number {
  let start = fallback;
  for (const r of refs) if (r.length > 0 && r.offset < start) start = r.offset;
  return start;
}

export function decodeText(bytes: Buffer, unicode: boolean, what: string): string {
  if (!unicode) return bytes.toString('latin1');
  if (bytes.length % 2 !== 0) fail(`${what}: odd length ${bytes.length} for a UTF-16 string`);
  return bytes.toString('utf16le');
}

export function encodeText(text: string, unicode: boolean): Buffer {
  return Buffer.from(text, unicode ? 'utf16le' : 'latin1');
}

/** Message type of an NTLMSSP token, or undefined if it is not one. */
export function ntlmMessageType(token: Buffer): number | undefined {
  if (token.length < 12 || !token.subarray(0, 8).equals(NTLMSSP_SIGNATURE)) return undefined;
  return token.readUInt32LE(8);
}

export function parseNegotiate(token: Buffer): NegotiateMessage {
  checkHeader(token, MessageType.NEGOTIATE, 16, 'NEGOTIATE_MESSAGE');
  const flags = token.readUInt32LE(12);
  const msg: NegotiateMessage = { flags, raw: Buffer.from(token) };
  // Very old clients stop after the flags; the domain/workstation fields are optional on the wire.
  if (token.length >= 32) {
    const domain = readFieldRef(token, 16, 'NEGOTIATE DomainName');
    const workstation = readFieldRef(token, 24, 'NEGOTIATE Workstation');
    // Read whenever non-empty: npm's winrm-client sends a domain without OEM_DOMAIN_SUPPLIED.
    if (domain.length > 0) msg.domain = fieldBytes(token, domain);
    if (workstation.length > 0) msg.workstation = fieldBytes(token, workstation);
    if (hasFlag(flags, NegotiateFlag.VERSION) && token.length >= 40 && payloadStart([domain, workstation], token.length) >= 40) {
      msg.version = readVersion(token, 32);
    }
  }
  return msg;
}

export function parseChallenge(token: Buffer): ChallengeMessage {
  checkHeader(token, MessageType.CHALLENGE, 48, 'CHALLENGE_MESSAGE');
  const nameRef = readFieldRef(token, 12, 'CHALLENGE TargetName');
  const flags = token.readUInt32LE(20);
  const infoRef = readFieldRef(token, 40, 'CHALLENGE TargetInfo');
  const msg: ChallengeMessage = {
    flags,
    targetName: decodeText(fieldBytes(token, nameRef), hasFlag(flags, NegotiateFlag.UNICODE), 'CHALLENGE TargetName'),
    serverChallenge: Buffer.from(token.subarray(24, 32)),
    targetInfo: infoRef.length > 0 ? decodeAvPairs(fieldBytes(token, infoRef)) : [],
    raw: Buffer.from(token),
  };
  if (token.length >= CHALLENGE_HEADER && payloadStart([nameRef, infoRef], token.length) >= CHALLENGE_HEADER) {
    msg.version = readVersion(token, 48);
  }
  return msg;
}

export function parseAuthenticate(token: Buffer): AuthenticateMessage {
  checkHeader(token, MessageType.AUTHENTICATE, AUTHENTICATE_HEADER, 'AUTHENTICATE_MESSAGE');
  const lm = readFieldRef(token, 12, 'AUTHENTICATE LmChallengeResponse');
  const nt = readFieldRef(token, 20, 'AUTHENTICATE NtChallengeResponse');
  const domain = readFieldRef(token, 28, 'AUTHENTICATE DomainName');
  const user = readFieldRef(token, 36, 'AUTHENTICATE UserName');
  const workstation = readFieldRef(token, 44, 'AUTHENTICATE Workstation');
  const sessionKey = readFieldRef(token, 52, 'AUTHENTICATE EncryptedRandomSessionKey');
  const flags = token.readUInt32LE(60);
  const unicode = hasFlag(flags, NegotiateFlag.UNICODE);
  const msg: AuthenticateMessage = {
    flags,
    lmResponse: fieldBytes(token, lm),
    ntResponse: fieldBytes(token, nt),
    domainName: decodeText(fieldBytes(token, domain), unicode, 'AUTHENTICATE DomainName'),
    userName: decodeText(fieldBytes(token, user), unicode, 'AUTHENTICATE UserName'),
    workstation: decodeText(fieldBytes(token, workstation), unicode, 'AUTHENTICATE Workstation'),
    encryptedRandomSessionKey: fieldBytes(token, sessionKey),
    raw: Buffer.from(token),
  };
  const start = payloadStart([lm, nt, domain, user, workstation, sessionKey], token.length);
  if (start >= MIC_OFFSET) msg.version = readVersion(token, AUTHENTICATE_HEADER);
  if (start >= MIC_OFFSET + 16) msg.mic = Buffer.from(token.subarray(MIC_OFFSET, MIC_OFFSET + 16));
  return msg;
}

/**
 * Decodes an AV_PAIR list. It must end with MsvAvEOL; bytes after the EOL are tolerated because
 * Windows pads the NTLMv2 client challenge (MS-NLMP note <30>).
 */
export function decodeAvPairs(buf: Buffer): AvPair[] {
  const pairs: AvPair[] = [];
  let off = 0;
  for (;;) {
    const id = readU16(buf, off, 'AV_PAIR AvId');
    const len = readU16(buf, off + 2, 'AV_PAIR AvLen');
    off += 4;
    if (off + len > buf.length) fail(`AV_PAIR ${id}: value of ${len} bytes runs past the list`);
    if (id === AvId.EOL) {
      if (len !== 0) fail('AV_PAIR MsvAvEOL with a non-zero length');
      return pairs;
    }
    pairs.push({ id, value: Buffer.from(buf.subarray(off, off + len)) });
    off += len;
  }
}

/** Encodes AV pairs and appends MsvAvEOL. */
export function encodeAvPairs(pairs: readonly AvPair[]): Buffer {
  const parts: Buffer[] = [];
  for (const p of pairs) {
    if (p.value.length > 0xffff) throw new RangeError(`AV_PAIR ${p.id} value too long`);
    const head = Buffer.alloc(4);
    head.writeUInt16LE(p.id, 0);
    head.writeUInt16LE(p.value.length, 2);
    parts.push(head, p.value);
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

export function findAvPair(pairs: readonly AvPair[], id: number): Buffer | undefined {
  return pairs.find((p) => p.id === id)?.value;
}

/** Splits an NTLMv2 NtChallengeResponse (MS-NLMP 2.2.2.8) into NTProofStr and the client challenge. */
export function parseNtlmV2Response(nt: Buffer): NtlmV2Response {
  if (nt.length < 16 + NTLMV2_BLOB_HEADER + 4) fail(`NTLMv2 response of ${nt.length} bytes is too short`);
  const blob = Buffer.from(nt.subarray(16));
  return {
    ntProofStr: Buffer.from(nt.subarray(0, 16)),
    blob,
    respType: blob[0],
    hiRespType: blob[1],
    timestamp: blob.readBigUInt64LE(8),
    clientChallenge: Buffer.from(blob.subarray(16, 24)),
    avPairs: decodeAvPairs(blob.subarray(NTLMV2_BLOB_HEADER)),
  };
}

export interface ChallengeFields {
  flags: number;
  targetName: string;
  serverChallenge: Buffer;
  targetInfo: readonly AvPair[];
  version: NtlmVersion;
}

/** Builds a CHALLENGE_MESSAGE: 56-byte header (with Version), then TargetName, then TargetInfo. */
export function buildChallenge(fields: ChallengeFields): Buffer {
  if (fields.serverChallenge.length !== 8) throw new RangeError('server challenge must be 8 bytes');
  const name = encodeText(fields.targetName, hasFlag(fields.flags, NegotiateFlag.UNICODE));
  const info = encodeAvPairs(fields.targetInfo);
  const head = Buffer.alloc(CHALLENGE_HEADER);
  NTLMSSP_SIGNATURE.copy(head, 0);
  head.writeUInt32LE(MessageType.CHALLENGE, 8);
  head.writeUInt16LE(name.length, 12);
  head.writeUInt16LE(name.length, 14);
  head.writeUInt32LE(CHALLENGE_HEADER, 16);
  head.writeUInt32LE(fields.flags >>> 0, 20);
  fields.serverChallenge.copy(head, 24);
  // 32..40 Reserved
  head.writeUInt16LE(info.length, 40);
  head.writeUInt16LE(info.length, 42);
  head.writeUInt32LE(CHALLENGE_HEADER + name.length, 44);
  head[48] = fields.version.major;
  head[49] = fields.version.minor;
  head.writeUInt16LE(fields.version.build, 50);
  head[55] = fields.version.revision;
  return Buffer.concat([head, name, info]);
}
