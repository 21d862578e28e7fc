/**
 * Cryptographic primitives NTLM needs: MD4, MD5, HMAC-MD5 and a stateful RC4.
 *
 * Node 20 ships OpenSSL 3, whose default provider refuses MD4 and RC4 ("digital envelope
 * routines::unsupported"); they live in the `legacy` provider, which is off unless the process is
 * started with an OpenSSL config or `--openssl-legacy-provider`. The emulator must work without
 * such flags, so:
 *  - MD4 comes from `js-md4` (pure JavaScript). Only its `arrayBuffer()` output method is used: the
 *    package's default export probes `crypto.createHash('md4')` under Node and throws on OpenSSL 3.
 *  - RC4 is written out below. It is a dozen lines, and no well-kept npm package exists that would be
 *    worth a dependency for it.
 * MD5 and HMAC-MD5 are still in OpenSSL 3's default provider, so they come from node:crypto.
 */
import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';
import { createRequire } from 'node:module';

interface JsMd4 {
  arrayBuffer(message: Uint8Array): ArrayBuffer;
}

// js-md4 is CommonJS without type declarations; load it through require and describe the one
// function used, instead of adding an ambient module declaration for the whole package.
const jsMd4 = createRequire(import.meta.url)('js-md4') as JsMd4;

export function md4(data: Uint8Array): Buffer {
  return Buffer.from(jsMd4.arrayBuffer(data));
}

export function md5(...parts: Uint8Array[]): Buffer {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return h.digest();
}

export function hmacMd5(key: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('md5', key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * HMAC-MD5 with one key for many messages (NTLM signs every message of a session with the same
 * SignKey): the padded keys are made once, and each MAC is two one-shot `crypto.hash` calls on
 * (key ⊕ ipad ‖ message) and (key ⊕ opad ‖ inner), which allocates no Hmac stream object per
 * message. Same result as `hmacMd5(key, ...parts)`.
 */
export class HmacMd5Key {
  private readonly ipad = Buffer.alloc(64, 0x36);
  private readonly opad = Buffer.alloc(64, 0x5c);

  constructor(key: Uint8Array) {
    const k = key.length > 64 ? md5(key) : key;
    for (let i = 0; i < k.length; i++) {
      this.ipad[i] ^= k[i];
      this.opad[i] ^= k[i];
    }
  }

  digest(...parts: Uint8Array[]): Buffer {
    let n = 64;
    for (const p of parts) n += p.length;
    const inner = Buffer.allocUnsafe(n);
    this.ipad.copy(inner, 0);
    let at = 64;
    for (const p of parts) {
      inner.set(p, at);
      at += p.length;
    }
    const outer = Buffer.allocUnsafe(80);
    this.opad.copy(outer, 0);
    outer.set(hash('md5', inner, 'buffer'), 64);
    return hash('md5', outer, 'buffer');
  }
}

/** Constant-time equality that also tolerates different lengths (then false, without early exit on content). */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) {
    // Still spend a comparison so the length mismatch path costs about the same.
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/**
 * RC4 keystream with state that persists across calls: NTLM session security keeps one handle per
 * direction for the life of the connection, and each message (and each signature checksum)
 * continues the same stream.
 */
export class Rc4 {
  // Int32Array: V8 keeps the state as plain integers, with no byte conversion per access (~20 % faster).
  private readonly s = new Int32Array(256);
  private i = 0;
  private j = 0;
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length < 1 || key.length > 256) throw new RangeError(`RC4 key length ${key.length} out of range 1..256`);
    this.key = Buffer.from(key);
    this.reset();
  }

  /** Back to the state right after key scheduling (used by SPNEGO after the mechListMIC). */
  reset(): void {
    const s = this.s;
    for (let k = 0; k < 256; k++) s[k] = k;
    let j = 0;
    for (let k = 0; k < 256; k++) {
      j = (j + s[k] + this.key[k % this.key.length]) & 0xff;
      const t = s[k];
      s[k] = s[j];
      s[j] = t;
    }
    this.i = 0;
    this.j = 0;
  }

  /** Encrypts or decrypts (the same operation) and advances the stream by data.length bytes. */
  update(data: Uint8Array): Buffer {
    const out = Buffer.allocUnsafe(data.length);
    this.updateInto(data, out, 0);
    return out;
  }

  /**
   * As `update`, writing the result into `out` at `offset` instead of a new Buffer (`out` may be
   * `data` itself: each byte is read before it is written), so a sealed message can be produced in
   * place in the buffer that carries it.
   */
  updateInto(data: Uint8Array, out: Uint8Array, offset = 0): void {
    const n = data.length;
    if (offset < 0 || offset + n > out.length) throw new RangeError('RC4 output does not fit the target');
    const s = this.s;
    let i = this.i;
    let j = this.j;
    for (let k = 0; k < n; k++) {
      i = (i + 1) & 0xff;
      const si = s[i];
      j = (j + si) & 0xff;
      const sj = s[j];
      s[i] = sj;
      s[j] = si;
      out[offset + k] = data[k] ^ s[(si + sj) & 0xff];
    }
    this.i = i;
    this.j = j;
  }
}

/** One-shot RC4 with a fresh key (MS-NLMP's RC4K), e.g. for the EncryptedRandomSessionKey. */
export function rc4k(key: Uint8Array, data: Uint8Array): Buffer {
  return new Rc4(key).update(data);
}
