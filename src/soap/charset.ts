/**
 * Request charset detection and response encoding (wire notes §6.1): WinRM accepts UTF-8 and
 * UTF-16 (BOM FF FE / FE FF, or charset=UTF-16 in Content-Type) and answers in the request's
 * charset — the MI client and openwsman fail otherwise (ERROR_WSMAN_HTTP_CONTENT_TYPE_MISSMATCH).
 */

export type Charset = 'utf-8' | 'utf-16le' | 'utf-16be';

export class CharsetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CharsetError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf16le = new TextDecoder('utf-16le', { fatal: true, ignoreBOM: true });
const utf16be = new TextDecoder('utf-16be', { fatal: true, ignoreBOM: true });

/** Content-Type values seen lately → their charset parameter (clients send the same one every time). */
const charsetOf = new Map<string, string | undefined>();

/** The charset parameter of a Content-Type, lower-cased, or undefined. */
export function charsetParam(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  if (charsetOf.has(contentType)) return charsetOf.get(contentType);
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType);
  const charset = m ? m[1].toLowerCase() : undefined;
  if (charsetOf.size >= 64) charsetOf.clear();
  charsetOf.set(contentType, charset);
  return charset;
}

/** Decode a request body. Throws {@link CharsetError} on a conflict or invalid bytes. */
export function decodeBody(body: Buffer, contentType: string | undefined): { text: string; charset: Charset } {
  const declared = charsetParam(contentType);
  let bom: Charset | undefined;
  let offset = 0;
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) { bom = 'utf-8'; offset = 3; }
  else if (body.length >= 2 && body[0] === 0xff && body[1] === 0xfe) { bom = 'utf-16le'; offset = 2; }
  else if (body.length >= 2 && body[0] === 0xfe && body[1] === 0xff) { bom = 'utf-16be'; offset = 2; }

  let charset: Charset;
  if (declared === undefined) {
    charset = bom ?? 'utf-8';
  } else if (declared === 'utf-8' || declared === 'utf8') {
    if (bom && bom !== 'utf-8') throw new CharsetError(`The byte order mark (${bom}) disagrees with charset=${declared}.`);
    charset = 'utf-8';
  } else if (declared === 'utf-16' || declared === 'utf-16le' || declared === 'utf-16be') {
    if (bom === 'utf-8') throw new CharsetError(`The byte order mark (utf-8) disagrees with charset=${declared}.`);
    if (declared === 'utf-16le' && bom === 'utf-16be') throw new CharsetError('The byte order mark disagrees with charset=utf-16le.');
    if (declared === 'utf-16be' && bom === 'utf-16le') throw new CharsetError('The byte order mark disagrees with charset=utf-16be.');
    // UTF-16 without a BOM: the Windows default byte order is little-endian
    charset = bom ?? (declared === 'utf-16be' ? 'utf-16be' : 'utf-16le');
  } else {
    throw new CharsetError(`The charset ${declared} is not supported; WS-Management accepts UTF-8 and UTF-16.`);
  }
  const bytes = body.subarray(offset);
  if (charset !== 'utf-8' && bytes.length % 2 !== 0) throw new CharsetError('A UTF-16 body has an odd number of bytes.');
  try {
    const dec = charset === 'utf-8' ? utf8 : charset === 'utf-16le' ? utf16le : utf16be;
    return { text: dec.decode(bytes), charset };
  } catch {
    throw new CharsetError(`The body is not valid ${charset.toUpperCase()}.`);
  }
}

/**
 * Where UTF-8 answers up to {@link SCRATCH_UNITS} UTF-16 units are encoded before being copied out:
 * `Buffer.from(text, 'utf8')` measures the UTF-8 length first (a second pass over the string), then
 * writes. Encoding once into room that surely fits and copying the bytes is cheaper (a 3.2 KB Get
 * answer: 3.3 → 2.8 µs). The bytes are the same: both are Node's UTF-8 writer.
 */
const scratch = Buffer.allocUnsafeSlow(64 * 1024);
/** UTF-8 takes at most 3 bytes per UTF-16 unit */
const SCRATCH_UNITS = Math.floor(scratch.length / 3);

function utf8Bytes(text: string): Buffer {
  if (text.length > SCRATCH_UNITS) return Buffer.from(text, 'utf8');
  const n = scratch.write(text, 0, 'utf8');
  const out = Buffer.allocUnsafe(n);
  scratch.copy(out, 0, 0, n);
  return out;
}

/** Encode a response in the request's charset; UTF-16 answers carry a BOM, as Windows sends them. */
export function encodeBody(text: string, charset: Charset): { body: Buffer; contentType: string } {
  if (charset === 'utf-8') return { body: utf8Bytes(text), contentType: 'application/soap+xml;charset=UTF-8' };
  const le = Buffer.from('\ufeff' + text, 'utf16le');
  if (charset === 'utf-16be') le.swap16();
  return { body: le, contentType: 'application/soap+xml;charset=UTF-16' };
}
