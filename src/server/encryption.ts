/**
 * WinRM message-encryption framing over HTTP (MS-WSMV 2.2.9.1): the `multipart/encrypted` body that
 * carries a sealed SOAP message after Negotiate (or Kerberos / CredSSP) authentication.
 *
 * Wire layout (what pywinrm, Ruby winrm and Windows itself write; the leading TABs are the spec's):
 *
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
 *   \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=<plaintext bytes>\r\n
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/octet-stream\r\n
 *   <uint32 LE signature length><signature><sealed bytes>--Encrypted Boundary--\r\n
 *
 * No CRLF separates the sealed bytes from the next delimiter, and no blank line ends the part headers.
 * `multipart/x-multi-encrypted` repeats the two parts once per chunk before the closing delimiter.
 *
 * Parsing is lenient where real senders differ — headers with or without the TAB, LF or CRLF line
 * ends, `-- Encrypted Boundary` with a space (the 2007 MS-WSMV example), a final delimiter without
 * the trailing `--` — and strict about the structure: part pairs, header values, the signature length
 * and the declared Length, which must equal the decrypted size. Output is always the exact form
 * above, because pywinrm 0.3.0 splits on `--Encrypted Boundary\r\n` and strips the literal
 * `\tContent-Type: application/octet-stream\r\n`.
 *
 * The crypto is not here: a `MessageSealer` (the NTLM session today; Kerberos or CredSSP later)
 * seals and unseals. Errors raised by the sealer (e.g. NtlmSessionError for a bad signature)
 * propagate unchanged; framing problems throw EncryptionFramingError.
 */

export interface SealedPayload {
  signature: Buffer;
  sealed: Buffer;
}

/** The per-connection security context that seals replies and unseals requests. */
export interface MessageSealer {
  seal(plain: Buffer): SealedPayload;
  /** Verifies and decrypts; throws if the message does not verify. */
  unseal(sealed: Buffer, signature: Buffer): Buffer;
  /**
   * Optional, with `signatureLength`: seals `plain` straight into `target` at `offset` and returns the
   * signature, so that a reply is framed in one buffer without copying the sealed bytes.
   */
  sealInto?(plain: Uint8Array, target: Uint8Array, offset: number): Buffer;
  /** The fixed signature length, when the mechanism has one (NTLM: 16). */
  readonly signatureLength?: number;
}

export const SPNEGO_SESSION_ENCRYPTED = 'application/HTTP-SPNEGO-session-encrypted';
export const KERBEROS_SESSION_ENCRYPTED = 'application/HTTP-Kerberos-session-encrypted';
export const CREDSSP_SESSION_ENCRYPTED = 'application/HTTP-CredSSP-session-encrypted';
export const ENCRYPTED_BOUNDARY = 'Encrypted Boundary';

export type EncryptionFramingErrorCode = 'not-encrypted' | 'malformed' | 'protocol-mismatch' | 'length-mismatch';

export class EncryptionFramingError extends Error {
  override readonly name = 'EncryptionFramingError';
  constructor(readonly code: EncryptionFramingErrorCode, message: string) {
    super(message);
  }
}

export interface EncryptedContentType {
  /** `multipart/encrypted` (one part pair) or `multipart/x-multi-encrypted` (one pair per chunk). */
  mediaType: 'multipart/encrypted' | 'multipart/x-multi-encrypted';
  protocol: string;
  boundary: string;
}

export interface EncryptedPart {
  /** The first part's Content-Type, i.e. the protocol. */
  protocol: string;
  /** `type=` of OriginalContent, e.g. application/soap+xml. */
  originalType: string;
  /** `charset=` of OriginalContent if present, e.g. UTF-8 or UTF-16. */
  charset?: string;
  /** Declared plaintext length of this part. */
  length: number;
  signature: Buffer;
  sealed: Buffer;
}

export interface DecryptedBody {
  plaintext: Buffer;
  originalType: string;
  charset?: string;
  /** The Content-Type the plaintext would have had, e.g. `application/soap+xml;charset=UTF-8`. */
  contentType: string;
}

export interface EncryptOptions {
  /** OriginalContent type; default application/soap+xml. */
  originalType?: string;
  /** OriginalContent charset; default UTF-8 (answer in the request's charset). */
  charset?: string;
  /** Protocol of the session; default application/HTTP-SPNEGO-session-encrypted. */
  protocol?: string;
  /** Split into `multipart/x-multi-encrypted` parts of at most this many plaintext bytes (CredSSP uses 16384). */
  chunkSize?: number;
}

export interface EncryptedBody {
  body: Buffer;
  /** Value for the HTTP Content-Type header. */
  contentType: string;
}

const MAX_SIGNATURE_LENGTH = 4096;
const MAX_DECLARED_LENGTH = 0x7fffffff;

function malformed(message: string): never {
  throw new EncryptionFramingError('malformed', message);
}

/** Splits `a; b="c;d"; e=f` on semicolons outside quotes. */
function splitParams(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    if (ch === ';' && !quoted) {
      out.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

function parseParams(parts: string[]): Map<string, string> {
  const params = new Map<string, string>();
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    params.set(p.slice(0, eq).trim().toLowerCase(), v);
  }
  return params;
}

// A client sends the same Content-Type on every request: parse each distinct value once. Bounded,
// since the header is the client's to choose.
const contentTypeCache = new Map<string, EncryptedContentType | null>();
const CONTENT_TYPE_CACHE_SIZE = 64;

/**
 * Recognises an encrypted body's Content-Type (case-insensitive, folded or not). Returns undefined for
 * anything else (plain SOAP), so the caller can tell encrypted and clear requests apart. The result
 * is shared between calls with the same header and frozen.
 */
export function parseEncryptedContentType(header: string | undefined): EncryptedContentType | undefined {
  if (!header) return undefined;
  const known = contentTypeCache.get(header);
  if (known !== undefined) return known ?? undefined;
  const parsed = parseContentTypeUncached(header);
  if (contentTypeCache.size >= CONTENT_TYPE_CACHE_SIZE) contentTypeCache.clear();
  contentTypeCache.set(header, parsed ? Object.freeze(parsed) : null);
  return parsed;
}

function parseContentTypeUncached(header: string): EncryptedContentType | undefined {
  const parts = splitParams(header.replace(/\r?\n[ \t]*/g, ' '));
  const media = parts.shift()?.toLowerCase();
  if (media !== 'multipart/encrypted' && media !== 'multipart/x-multi-encrypted') return undefined;
  const params = parseParams(parts);
  const protocol = params.get('protocol');
  const boundary = params.get('boundary');
  if (!protocol || !boundary) return undefined;
  return { mediaType: media, protocol, boundary };
}

export function encryptedContentType(protocol: string, multi: boolean, boundary = ENCRYPTED_BOUNDARY): string {
  const media = multi ? 'multipart/x-multi-encrypted' : 'multipart/encrypted';
  return `${media};protocol="${protocol}";boundary="${boundary}"`;
}

interface Delimiter {
  start: number;
  end: number;
}

const needles = new Map<string, Buffer>();

function needleOf(boundary: string): Buffer {
  let needle = needles.get(boundary);
  if (!needle) {
    needle = Buffer.from(boundary, 'latin1');
    if (needles.size >= CONTENT_TYPE_CACHE_SIZE) needles.clear();
    needles.set(boundary, needle);
  }
  return needle;
}

/** Finds `--B` and `-- B` delimiters in order. */
function findDelimiters(body: Buffer, boundary: string): Delimiter[] {
  const needle = needleOf(boundary);
  const found: Delimiter[] = [];
  let from = 0;
  for (;;) {
    const idx = body.indexOf(needle, from);
    if (idx < 0) return found;
    const end = idx + needle.length;
    if (idx >= 3 && body[idx - 3] === 0x2d && body[idx - 2] === 0x2d && body[idx - 1] === 0x20) {
      found.push({ start: idx - 3, end });
    } else if (idx >= 2 && body[idx - 2] === 0x2d && body[idx - 1] === 0x2d) {
      found.push({ start: idx - 2, end });
    }
    from = end;
  }
}

const isBlank = (b: number): boolean => b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a;

/** Index just past the end of the line starting at `pos` (after CRLF or LF), or -1. */
function lineEnd(buf: Buffer, pos: number, limit: number): number {
  const lf = buf.indexOf(0x0a, pos);
  return lf < 0 || lf >= limit ? -1 : lf + 1;
}

function splitSegments(body: Buffer, boundary: string): Buffer[] {
  const delims = findDelimiters(body, boundary);
  if (delims.length === 0) malformed(`no "--${boundary}" delimiter in the body`);
  for (let i = 0; i < delims[0].start; i++) if (!isBlank(body[i])) malformed('data before the first delimiter');
  const segments: Buffer[] = [];
  for (let i = 0; i < delims.length; i++) {
    const d = delims[i];
    const closing = body[d.end] === 0x2d && body[d.end + 1] === 0x2d;
    const next = delims[i + 1];
    if (closing || !next) {
      // `--B--` ends the body; a bare last `-- B` (the 2007 example) does too, if nothing but blanks follows.
      if (!closing) for (let k = d.end; k < body.length; k++) if (!isBlank(body[k])) malformed('data after the last delimiter');
      return segments;
    }
    let pos = d.end;
    while (pos < next.start && (body[pos] === 0x20 || body[pos] === 0x09)) pos++;
    const start = lineEnd(body, pos, next.start);
    const lineBreak = start - pos === 1 || (start - pos === 2 && body[pos] === 0x0d);
    if (start < 0 || !lineBreak) malformed('delimiter not followed by a line end');
    segments.push(body.subarray(start, next.start));
  }
  return segments;
}

interface Header {
  name: string;
  value: string;
}

function parseHeaderLine(line: string): Header {
  const text = line.replace(/^[ \t]+/, '').replace(/\r$/, '');
  const colon = text.indexOf(':');
  if (colon <= 0) malformed(`bad MIME header line "${text.slice(0, 80)}"`);
  return { name: text.slice(0, colon).trim().toLowerCase(), value: text.slice(colon + 1).trim() };
}

function parseHeaderPart(text: string): Map<string, string> {
  const headers = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const h = parseHeaderLine(line);
    if (headers.has(h.name)) malformed(`duplicate "${h.name}" header`);
    headers.set(h.name, h.value);
  }
  return headers;
}

/** The data part's header line as every known sender writes it (and as `encryptBody` does). */
const OCTET_STREAM_LINE = Buffer.from('\tContent-Type: application/octet-stream\r\n', 'latin1');

/** Signature and sealed bytes are views into the body, not copies. */
function parseDataPart(segment: Buffer): { signature: Buffer; sealed: Buffer } {
  let end: number;
  if (segment.length >= OCTET_STREAM_LINE.length && OCTET_STREAM_LINE.equals(segment.subarray(0, OCTET_STREAM_LINE.length))) {
    end = OCTET_STREAM_LINE.length;
  } else {
    end = lineEnd(segment, 0, segment.length);
    if (end < 0) malformed('encrypted data part has no Content-Type line');
    const h = parseHeaderLine(segment.subarray(0, end - 1).toString('latin1'));
    if (h.name !== 'content-type' || h.value.toLowerCase() !== 'application/octet-stream') {
      malformed(`encrypted data part starts with "${h.name}: ${h.value}", expected Content-Type: application/octet-stream`);
    }
  }
  const data = segment.subarray(end);
  if (data.length < 4) malformed('encrypted data part too short for the signature length');
  const sigLen = data.readUInt32LE(0);
  if (sigLen > MAX_SIGNATURE_LENGTH || 4 + sigLen > data.length) malformed(`signature length ${sigLen} does not fit the ${data.length - 4} data bytes`);
  return { signature: data.subarray(4, 4 + sigLen), sealed: data.subarray(4 + sigLen) };
}

function parseOriginalContent(value: string): { originalType: string; charset?: string; length: number } {
  const params = parseParams(splitParams(value));
  const originalType = params.get('type');
  const lengthText = params.get('length');
  if (!originalType) malformed('OriginalContent without type=');
  if (!lengthText || !/^\d{1,10}$/.test(lengthText)) malformed(`OriginalContent Length "${lengthText ?? ''}" is not a byte count`);
  const length = Number(lengthText);
  if (length > MAX_DECLARED_LENGTH) malformed(`OriginalContent Length ${length} is too large`);
  const charset = params.get('charset');
  return charset === undefined ? { originalType, length } : { originalType, charset, length };
}

/** Splits an encrypted body into its parts without decrypting them; signatures and sealed bytes are views into `body`. */
export function parseEncryptedBody(body: Buffer, contentType: string | EncryptedContentType): EncryptedPart[] {
  const ct = typeof contentType === 'string' ? parseEncryptedContentType(contentType) : contentType;
  if (!ct) throw new EncryptionFramingError('not-encrypted', 'Content-Type is not multipart/encrypted');
  const segments = splitSegments(body, ct.boundary);
  if (segments.length === 0 || segments.length % 2 !== 0) malformed(`${segments.length} MIME parts; expected header/data pairs`);
  if (ct.mediaType === 'multipart/encrypted' && segments.length !== 2) malformed('multipart/encrypted must carry exactly one part pair');
  const parts: EncryptedPart[] = [];
  for (let i = 0; i < segments.length; i += 2) {
    const head = headerPartOf(segments[i], ct.protocol);
    const { signature, sealed } = parseDataPart(segments[i + 1]);
    const part: EncryptedPart = { protocol: head.protocol, originalType: head.originalType, length: head.length, signature, sealed };
    if (head.charset !== undefined) part.charset = head.charset;
    parts.push(part);
  }
  return parts;
}

interface HeaderPart {
  protocol: string;
  originalType: string;
  charset?: string;
  length: number;
}

function checkProtocol(protocol: string, expected: string): void {
  if (protocol.toLowerCase() !== expected.toLowerCase()) {
    throw new EncryptionFramingError('protocol-mismatch', `part protocol "${protocol}" differs from the Content-Type protocol "${expected}"`);
  }
}

// A client's header parts differ only in Length, and mostly not even there: keep the parse of each
// distinct text (bounded; only parts that parsed).
const headerParts = new Map<string, Readonly<HeaderPart>>();
const HEADER_PART_CACHE_SIZE = 256;

function headerPartOf(segment: Buffer, expectedProtocol: string): Readonly<HeaderPart> {
  const text = segment.toString('latin1');
  const known = headerParts.get(text);
  if (known) {
    checkProtocol(known.protocol, expectedProtocol);
    return known;
  }
  const headers = parseHeaderPart(text);
  const protocol = headers.get('content-type');
  if (!protocol) malformed('encrypted header part without Content-Type');
  checkProtocol(protocol, expectedProtocol);
  const original = headers.get('originalcontent');
  if (!original) malformed('encrypted header part without OriginalContent');
  const part: HeaderPart = { protocol, ...parseOriginalContent(original) };
  if (headerParts.size >= HEADER_PART_CACHE_SIZE) headerParts.clear();
  headerParts.set(text, Object.freeze(part));
  return part;
}

/** Parses, unseals every part in order and checks each against its declared Length. */
export function decryptBody(body: Buffer, contentType: string | EncryptedContentType, sealer: MessageSealer): DecryptedBody {
  const parts = parseEncryptedBody(body, contentType);
  const plain: Buffer[] = [];
  for (const part of parts) {
    const p = sealer.unseal(part.sealed, part.signature);
    if (p.length !== part.length) {
      throw new EncryptionFramingError('length-mismatch', `decrypted ${p.length} bytes, OriginalContent declared ${part.length}`);
    }
    plain.push(p);
  }
  const first = parts[0];
  const contentTypeOut = first.charset === undefined ? first.originalType : `${first.originalType};charset=${first.charset}`;
  const plaintext = plain.length === 1 ? plain[0] : Buffer.concat(plain);
  const result: DecryptedBody = { plaintext, originalType: first.originalType, contentType: contentTypeOut };
  if (first.charset !== undefined) result.charset = first.charset;
  return result;
}

/** Seals `plain` and frames it exactly as Windows / pywinrm do; returns the body and its Content-Type. */
export function encryptBody(plain: Buffer, sealer: MessageSealer, opts: EncryptOptions = {}): EncryptedBody {
  const protocol = opts.protocol ?? SPNEGO_SESSION_ENCRYPTED;
  const originalType = opts.originalType ?? 'application/soap+xml';
  const charset = opts.charset ?? 'UTF-8';
  const chunkSize = opts.chunkSize ?? 0;
  if (chunkSize < 0 || !Number.isInteger(chunkSize)) throw new RangeError('chunkSize must be a non-negative integer');
  const multi = chunkSize > 0 && plain.length > chunkSize;
  const chunks: Buffer[] = [];
  if (multi) for (let off = 0; off < plain.length; off += chunkSize) chunks.push(plain.subarray(off, off + chunkSize));
  else chunks.push(plain);

  const delimiter = `--${ENCRYPTED_BOUNDARY}\r\n`;
  const partHead = (length: number): string =>
    delimiter +
    `\tContent-Type: ${protocol}\r\n` +
    `\tOriginalContent: type=${originalType};charset=${charset};Length=${length}\r\n` +
    delimiter +
    '\tContent-Type: application/octet-stream\r\n';
  const closing = `--${ENCRYPTED_BOUNDARY}--\r\n`;
  const contentType = encryptedContentType(protocol, multi);
  const sigLength = sealer.signatureLength;
  if (sealer.sealInto && sigLength !== undefined) {
    // the whole body in one buffer, each chunk sealed in place: no per-part buffers to join
    const heads = chunks.map((c) => partHead(c.length));
    let size = closing.length;
    for (let k = 0; k < chunks.length; k++) size += heads[k].length + 4 + sigLength + chunks[k].length;
    const body = Buffer.allocUnsafe(size);
    let pos = 0;
    for (let k = 0; k < chunks.length; k++) {
      pos += body.write(heads[k], pos, 'latin1');
      pos = body.writeUInt32LE(sigLength, pos);
      const signature = sealer.sealInto(chunks[k], body, pos + sigLength);
      if (signature.length !== sigLength) throw new RangeError(`signature of ${signature.length} bytes, expected ${sigLength}`);
      signature.copy(body, pos);
      pos += sigLength + chunks[k].length;
    }
    body.write(closing, pos, 'latin1');
    return { body, contentType };
  }
  const out: Buffer[] = [];
  for (const chunk of chunks) {
    const { signature, sealed } = sealer.seal(chunk);
    const sigLen = Buffer.alloc(4);
    sigLen.writeUInt32LE(signature.length, 0);
    out.push(Buffer.from(partHead(chunk.length), 'latin1'), sigLen, signature, sealed);
  }
  out.push(Buffer.from(closing, 'latin1'));
  return { body: Buffer.concat(out), contentType };
}
