import { describe, expect, it } from 'vitest';
import { HmacMd5Key, Rc4, constantTimeEqual, hmacMd5, md4, md5, rc4k } from '../../../src/server/auth/ntlm/crypto.js';

const hexOf = (b: Buffer): string => b.toString('hex');

describe('md4 (pure JS, independent of OpenSSL providers)', () => {
  it.each([
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
  ])('RFC 1320 test suite: MD4("%s")', (input, expected) => {
    expect(hexOf(md4(Buffer.from(input, 'latin1')))).toBe(expected);
  });

  it('hashes inputs spanning several blocks', () => {
    const input = Buffer.from('12345678901234567890123456789012345678901234567890123456789012345678901234567890', 'latin1');
    expect(hexOf(md4(input))).toBe('e33b4ddc9c38f2199c3e7b164fcc0536');
  });
});

describe('md5 / hmacMd5 (node:crypto)', () => {
  it('MD5 of parts equals MD5 of the concatenation', () => {
    expect(hexOf(md5(Buffer.from('ab'), Buffer.from('c')))).toBe('900150983cd24fb0d6963f7d28e17f72');
  });

  it('RFC 2202 HMAC-MD5 test case 2', () => {
    expect(hexOf(hmacMd5(Buffer.from('Jefe'), Buffer.from('what do ya want '), Buffer.from('for nothing?')))).toBe('750c783e6ab0b503eaa86e310a5db738');
  });
});

describe('HmacMd5Key', () => {
  it('gives hmacMd5 for keys short, 16-byte, 64-byte and long, over several parts', () => {
    for (const len of [0, 1, 16, 63, 64, 65, 200]) {
      const key = Buffer.alloc(len).map((_, i) => (i * 37 + len) & 0xff);
      const k = new HmacMd5Key(key);
      for (const parts of [[], [Buffer.from('abc')], [Buffer.alloc(4, 1), Buffer.alloc(3000, 7)]]) {
        expect(k.digest(...parts).equals(hmacMd5(key, ...parts))).toBe(true);
      }
    }
  });
});

describe('Rc4', () => {
  it.each([
    ['Key', 'Plaintext', 'bbf316e8d940af0ad3'],
    ['Wiki', 'pedia', '1021bf0420'],
    ['Secret', 'Attack at dawn', '45a01f645fc35b383552544b9bf5'],
  ])('known answer: RC4(%s, %s)', (key, plain, expected) => {
    expect(hexOf(rc4k(Buffer.from(key), Buffer.from(plain)))).toBe(expected);
  });

  it('RFC 6229 keystream for the 40-bit key 0102030405 (offset 0)', () => {
    expect(hexOf(rc4k(Buffer.from('0102030405', 'hex'), Buffer.alloc(16)))).toBe('b2396305f03dc027ccc3524a0a1118a8');
  });

  it('keeps its state across calls: two updates equal one', () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog');
    const stateful = new Rc4(Buffer.from('session key'));
    const split = Buffer.concat([stateful.update(data.subarray(0, 7)), stateful.update(data.subarray(7))]);
    expect(split.equals(rc4k(Buffer.from('session key'), data))).toBe(true);
  });

  it('updateInto writes the same bytes as update, in place or at an offset of another buffer', () => {
    const data = Buffer.from('the quick brown fox jumps over the lazy dog');
    const expected = rc4k(Buffer.from('k2'), data);
    const inPlace = Buffer.from(data);
    new Rc4(Buffer.from('k2')).updateInto(inPlace, inPlace);
    expect(inPlace.equals(expected)).toBe(true);
    const target = Buffer.alloc(data.length + 10, 0xaa);
    new Rc4(Buffer.from('k2')).updateInto(data, target, 5);
    expect(target.subarray(5, 5 + data.length).equals(expected)).toBe(true);
    expect(target.subarray(0, 5).equals(Buffer.alloc(5, 0xaa))).toBe(true);
    expect(() => new Rc4(Buffer.from('k')).updateInto(data, Buffer.alloc(3))).toThrow(RangeError);
  });

  it('reset() restarts the keystream from the key', () => {
    const h = new Rc4(Buffer.from('k'));
    const first = h.update(Buffer.alloc(8));
    h.update(Buffer.alloc(100));
    h.reset();
    expect(h.update(Buffer.alloc(8)).equals(first)).toBe(true);
  });

  it('refuses empty and oversized keys', () => {
    expect(() => new Rc4(Buffer.alloc(0))).toThrow(RangeError);
    expect(() => new Rc4(Buffer.alloc(257))).toThrow(RangeError);
  });
});

describe('constantTimeEqual', () => {
  it('compares content and length', () => {
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abc'))).toBe(true);
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abd'))).toBe(false);
    expect(constantTimeEqual(Buffer.from('abc'), Buffer.from('abcd'))).toBe(false);
  });
});
