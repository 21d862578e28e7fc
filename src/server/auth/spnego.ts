/**
 * SPNEGO (RFC 4178, MS-SPNG) tokens as they appear in `Authorization: Negotiate <base64>`, with just
 * enough DER to read and write them.
 *
 *   NegotiationToken ::= CHOICE { negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }
 *   The first client token is wrapped: [APPLICATION 0] { OID 1.3.6.1.5.5.2, [0] NegTokenInit }.
 *   NegTokenInit ::= SEQUENCE { mechTypes [0] SEQUENCE OF OID, reqFlags [1] BIT STRING OPTIONAL,
 *                               mechToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *   NegTokenResp ::= SEQUENCE { negState [0] ENUMERATED OPTIONAL, supportedMech [1] OID OPTIONAL,
 *                               responseToken [2] OCTET STRING OPTIONAL, mechListMIC [3] OCTET STRING OPTIONAL }
 *
 * Many WinRM clients (pywinrm/requests-ntlm, Go, Ruby) skip SPNEGO and put a raw NTLMSSP message in
 * the Negotiate header; `classifyNegotiateToken` tells the forms apart and `NegotiateAcceptor`
 * (auth/ntlm/negotiate.ts) answers each in its own form.
 *
 * Everything is bounds-checked: a malformed token throws SpnegoError, nothing else.
 */

export const Oid = {
  SPNEGO: '1.3.6.1.5.5.2',
  NTLMSSP: '1.3.6.1.4.1.311.2.2.10',
  KERBEROS: '1.2.840.113554.1.2.2',
  MS_KERBEROS: '1.2.840.48018.1.2.2',
  NEGOEX: '1.3.6.1.4.1.311.2.2.30',
} as const;

export const NegState = {
  ACCEPT_COMPLETED: 0,
  ACCEPT_INCOMPLETE: 1,
  REJECT: 2,
  REQUEST_MIC: 3,
} as const;

export class SpnegoError extends Error {
  override readonly name = 'SpnegoError';
}

function fail(message: string): never {
  throw new SpnegoError(message);
}

// ------------------------------------------------------------------------------------------ DER --

const Tag = {
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  ENUMERATED: 0x0a,
  SEQUENCE: 0x30,
  APPLICATION_0: 0x60,
  CONTEXT_0: 0xa0,
  CONTEXT_1: 0xa1,
} as const;

interface Tlv {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  tag: number;
  value: Buffer;
  /** The whole element, header included. */
  raw: Buffer;
  /** Offset just past the element. */
  next: number;
}

const MAX_LENGTH_OCTETS = 4;

function readTlv(buf: Buffer, off: number, what: string): Tlv {
  if (off + 2 > buf.length) fail(`${what}: truncated DER header`);
  const tag = buf[off];
  if ((tag & 0x1f) === 0x1f) fail(`${what}: high tag numbers are not used by SPNEGO`);
  let pos = off + 1;
  let length = buf[pos++];
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0) fail(`${what}: indefinite length is not DER`);
    if (octets > MAX_LENGTH_OCTETS) fail(`${what}: length of ${octets} octets is too large`);
    if (pos + octets > buf.length) fail(`${what}: truncated DER length`);
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + buf[pos++];
  }
  if (pos + length > buf.length) fail(`${what}: ${length}-byte value runs past the ${buf.length - pos} bytes left`);
  return { tag, value: buf.subarray(pos, pos + length), raw: buf.subarray(off, pos + length), next: pos + length };
}

/** Reads exactly one element that must fill `buf` and carry `tag`. */
function readOnly(buf: Buffer, tag: number, what: string): Tlv {
  const t = readTlv(buf, 0, what);
  if (t.tag !== tag) fail(`${what}: tag 0x${t.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  if (t.next !== buf.length) fail(`${what}: ${buf.length - t.next} trailing bytes`);
  return t;
}

function readChildren(buf: Buffer, what: string): Tlv[] {
  const out: Tlv[] = [];
  let off = 0;
  while (off < buf.length) {
    const t = readTlv(buf, off, what);
    out.push(t);
    off = t.next;
  }
  return out;
}

export function decodeOid(value: Buffer): string {
  if (value.length === 0) fail('empty OID');
  if (value[value.length - 1] & 0x80) fail('OID ends inside a sub-identifier');
  const arcs: number[] = [];
  let acc = 0;
  for (const b of value) {
    if (acc > 0x1ffffff) fail('OID sub-identifier too large');
    acc = acc * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const first = acc < 80 ? Math.floor(acc / 40) : 2;
        arcs.push(first, acc - first * 40);
      } else {
        arcs.push(acc);
      }
      acc = 0;
    }
  }
  return arcs.join('.');
}

export function encodeOid(oid: string): Buffer {
  const arcs = oid.split('.').map((s) => {
    if (!/^\d+$/.test(s)) throw new RangeError(`bad OID "${oid}"`);
    return Number(s);
  });
  if (arcs.length < 2) throw new RangeError(`bad OID "${oid}"`);
  const bytes: number[] = [];
  const push = (n: number): void => {
    const tmp = [n & 0x7f];
    for (n = Math.floor(n / 128); n > 0; n = Math.floor(n / 128)) tmp.unshift((n & 0x7f) | 0x80);
    bytes.push(...tmp);
  };
  push(arcs[0] * 40 + arcs[1]);
  for (const a of arcs.slice(2)) push(a);
  return Buffer.from(bytes);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const value = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(value.length), value]);
}

const context = (n: number, ...content: Buffer[]): Buffer => tlv(0xa0 | n, ...content);

// ------------------------------------------------------------------------------------ tokens --

export interface NegTokenInit {
  mechTypes: string[];
  /** DER of the MechTypeList as received: the input of the mechListMIC. */
  mechTypesDer: Buffer;
  reqFlags?: Buffer;
  mechToken?: Buffer;
  mechListMic?: Buffer;
}

export interface NegTokenResp {
  negState?: number;
  supportedMech?: string;
  responseToken?: Buffer;
  mechListMic?: Buffer;
}

export type SpnegoToken = { type: 'init'; init: NegTokenInit } | { type: 'resp'; resp: NegTokenResp };

/** Fields of a SEQUENCE of [n] EXPLICIT elements, in increasing tag order, each at most once. */
function contextFields(seq: Buffer, allowed: number[], what: string): Map<number, Buffer> {
  const fields = new Map<number, Buffer>();
  let last = -1;
  for (const child of readChildren(seq, what)) {
    const n = child.tag & 0x1f;
    if ((child.tag & 0xe0) !== 0xa0 || !allowed.includes(n)) fail(`${what}: unexpected element tag 0x${child.tag.toString(16)}`);
    if (n <= last) fail(`${what}: element [${n}] out of order or repeated`);
    last = n;
    fields.set(n, child.value);
  }
  return fields;
}

function octetString(value: Buffer, what: string): Buffer {
  return Buffer.from(readOnly(value, Tag.OCTET_STRING, what).value);
}

function decodeNegTokenInit(value: Buffer): NegTokenInit {
  const seq = readOnly(value, Tag.SEQUENCE, 'NegTokenInit');
  // [3] is mechListMIC in RFC 4178; MS-SPNG's NegTokenInit2 (server-sent) puts negHints there and the
  // MIC in [4]. Accept both shapes.
  const f = contextFields(seq.value, [0, 1, 2, 3, 4], 'NegTokenInit');
  const mechList = f.get(0);
  if (!mechList) fail('NegTokenInit without mechTypes');
  const list = readOnly(mechList, Tag.SEQUENCE, 'NegTokenInit mechTypes');
  const mechTypes = readChildren(list.value, 'NegTokenInit mechTypes').map((t) => {
    if (t.tag !== Tag.OID) fail('NegTokenInit mechTypes: element is not an OID');
    return decodeOid(t.value);
  });
  if (mechTypes.length === 0) fail('NegTokenInit with an empty mechTypes list');
  const init: NegTokenInit = { mechTypes, mechTypesDer: Buffer.from(list.raw) };
  const reqFlags = f.get(1);
  if (reqFlags) init.reqFlags = Buffer.from(readOnly(reqFlags, Tag.BIT_STRING, 'NegTokenInit reqFlags').value);
  const mechToken = f.get(2);
  if (mechToken) init.mechToken = octetString(mechToken, 'NegTokenInit mechToken');
  const f3 = f.get(3);
  if (f3 && f3[0] === Tag.OCTET_STRING) init.mechListMic = octetString(f3, 'NegTokenInit mechListMIC');
  else if (f3) readOnly(f3, Tag.SEQUENCE, 'NegTokenInit2 negHints');
  const f4 = f.get(4);
  if (f4) init.mechListMic = octetString(f4, 'NegTokenInit2 mechListMIC');
  return init;
}

function decodeNegTokenResp(value: Buffer): NegTokenResp {
  const seq = readOnly(value, Tag.SEQUENCE, 'NegTokenResp');
  const f = contextFields(seq.value, [0, 1, 2, 3], 'NegTokenResp');
  const resp: NegTokenResp = {};
  const state = f.get(0);
  if (state) {
    const e = readOnly(state, Tag.ENUMERATED, 'NegTokenResp negState');
    if (e.value.length !== 1 || e.value[0] > NegState.REQUEST_MIC) fail('NegTokenResp negState out of range');
    resp.negState = e.value[0];
  }
  const mech = f.get(1);
  if (mech) resp.supportedMech = decodeOid(readOnly(mech, Tag.OID, 'NegTokenResp supportedMech').value);
  const token = f.get(2);
  if (token) resp.responseToken = octetString(token, 'NegTokenResp responseToken');
  const mic = f.get(3);
  if (mic) resp.mechListMic = octetString(mic, 'NegTokenResp mechListMIC');
  return resp;
}

/** Decodes an SPNEGO token: the wrapped NegTokenInit or a bare NegTokenResp. */
export function decodeSpnegoToken(token: Buffer): SpnegoToken {
  if (token.length === 0) fail('empty token');
  if (token[0] === Tag.APPLICATION_0) {
    const app = readOnly(token, Tag.APPLICATION_0, 'InitialContextToken');
    const oid = readTlv(app.value, 0, 'InitialContextToken thisMech');
    if (oid.tag !== Tag.OID) fail('InitialContextToken does not start with an OID');
    const mech = decodeOid(oid.value);
    if (mech !== Oid.SPNEGO) fail(`InitialContextToken for mechanism ${mech}, not SPNEGO`);
    const inner = readOnly(app.value.subarray(oid.next), Tag.CONTEXT_0, 'InitialContextToken innerContextToken');
    return { type: 'init', init: decodeNegTokenInit(inner.value) };
  }
  if (token[0] === Tag.CONTEXT_1) return { type: 'resp', resp: decodeNegTokenResp(readOnly(token, Tag.CONTEXT_1, 'NegTokenResp').value) };
  // Some initiators send the NegotiationToken CHOICE without the GSS wrapper.
  if (token[0] === Tag.CONTEXT_0) return { type: 'init', init: decodeNegTokenInit(readOnly(token, Tag.CONTEXT_0, 'NegTokenInit').value) };
  fail(`not an SPNEGO token (first byte 0x${token[0].toString(16)})`);
}

export function encodeMechTypeList(mechTypes: readonly string[]): Buffer {
  return tlv(Tag.SEQUENCE, ...mechTypes.map((m) => tlv(Tag.OID, encodeOid(m))));
}

/** Builds the wrapped initial token (what a client sends first; used by tests and tools). */
export function encodeNegTokenInit(init: { mechTypes: readonly string[]; mechToken?: Buffer; mechListMic?: Buffer }): Buffer {
  const fields = [context(0, encodeMechTypeList(init.mechTypes))];
  if (init.mechToken) fields.push(context(2, tlv(Tag.OCTET_STRING, init.mechToken)));
  if (init.mechListMic) fields.push(context(3, tlv(Tag.OCTET_STRING, init.mechListMic)));
  return tlv(Tag.APPLICATION_0, tlv(Tag.OID, encodeOid(Oid.SPNEGO)), context(0, tlv(Tag.SEQUENCE, ...fields)));
}

export function encodeNegTokenResp(resp: NegTokenResp): Buffer {
  const fields: Buffer[] = [];
  if (resp.negState !== undefined) fields.push(context(0, tlv(Tag.ENUMERATED, Buffer.from([resp.negState]))));
  if (resp.supportedMech) fields.push(context(1, tlv(Tag.OID, encodeOid(resp.supportedMech))));
  if (resp.responseToken) fields.push(context(2, tlv(Tag.OCTET_STRING, resp.responseToken)));
  if (resp.mechListMic) fields.push(context(3, tlv(Tag.OCTET_STRING, resp.mechListMic)));
  return tlv(Tag.CONTEXT_1, tlv(Tag.SEQUENCE, ...fields));
}

// ----------------------------------------------------------------- Authorization: Negotiate --

const NTLMSSP_PREFIX = Buffer.from('NTLMSSP\0', 'latin1');

export type NegotiateToken =
  /** Raw NTLMSSP, no SPNEGO (pywinrm, Go, Ruby, npm). Answer with raw NTLMSSP. */
  | { form: 'ntlm'; ntlmToken: Buffer }
  /**
   * SPNEGO NegTokenInit offering NTLMSSP. `ntlmToken` is the optimistic mechToken when NTLMSSP is the
   * initiator's first choice; a token for another first choice is discarded (RFC 4178 3.2).
   */
  | { form: 'spnego-init'; init: NegTokenInit; ntlmPreferred: boolean; ntlmToken?: Buffer }
  /** SPNEGO NegTokenResp; `ntlmToken` is its responseToken. */
  | { form: 'spnego-resp'; resp: NegTokenResp; ntlmToken?: Buffer }
  /** A Kerberos-only NegTokenInit or a raw Kerberos token: nothing this server can accept. */
  | { form: 'unsupported-mechanism'; mechanisms: string[]; spnego: boolean };

/** Tells the Negotiate token forms apart and extracts the NTLM token. Throws SpnegoError if malformed. */
export function classifyNegotiateToken(token: Buffer): NegotiateToken {
  if (token.length >= 8 && token.subarray(0, 8).equals(NTLMSSP_PREFIX)) return { form: 'ntlm', ntlmToken: token };
  if (token.length > 0 && token[0] === Tag.APPLICATION_0) {
    // A GSS InitialContextToken for another mechanism (e.g. a raw Kerberos AP-REQ) is well formed
    // but not ours: report the mechanism instead of calling it malformed.
    const app = readOnly(token, Tag.APPLICATION_0, 'InitialContextToken');
    const oid = readTlv(app.value, 0, 'InitialContextToken thisMech');
    if (oid.tag !== Tag.OID) fail('InitialContextToken does not start with an OID');
    const mech = decodeOid(oid.value);
    if (mech !== Oid.SPNEGO) return { form: 'unsupported-mechanism', mechanisms: [mech], spnego: false };
  }
  const decoded = decodeSpnegoToken(token);
  if (decoded.type === 'resp') {
    const r: NegotiateToken = { form: 'spnego-resp', resp: decoded.resp };
    if (decoded.resp.responseToken) r.ntlmToken = decoded.resp.responseToken;
    return r;
  }
  const init = decoded.init;
  if (!init.mechTypes.includes(Oid.NTLMSSP)) return { form: 'unsupported-mechanism', mechanisms: init.mechTypes, spnego: true };
  const ntlmPreferred = init.mechTypes[0] === Oid.NTLMSSP;
  const r: NegotiateToken = { form: 'spnego-init', init, ntlmPreferred };
  if (ntlmPreferred && init.mechToken) r.ntlmToken = init.mechToken;
  return r;
}
