import { describe, expect, it } from 'vitest';
import { tokenize, type Token } from '../../../src/cim/mof/lexer.js';
import { MofSyntaxError } from '../../../src/cim/mof/errors.js';

const kinds = (ts: Token[]) => ts.map((t) => t.kind);
const lexError = (text: string): MofSyntaxError => {
  try {
    tokenize(text, 'x.mof');
  } catch (e) {
    if (e instanceof MofSyntaxError) return e;
    throw e;
  }
  throw new Error('expected a MofSyntaxError');
};

describe('MOF lexer', () => {
  it('tokenizes identifiers, punctuation and aliases with positions', () => {
    const ts = tokenize('class A : B {\n  [Key] string Id;\n};\ninstance of A as $a {};', 'x.mof');
    expect(ts.slice(0, 5).map((t) => t.text)).toEqual(['class', 'A', ':', 'B', '{']);
    const key = ts.find((t) => t.text === 'Key')!;
    expect([key.line, key.column]).toEqual([2, 4]);
    const alias = ts.find((t) => t.kind === 'alias')!;
    expect(alias.text).toBe('a');
    expect(ts[ts.length - 1].kind).toBe('eof');
  });

  it('skips // and /* */ comments and tracks lines across them', () => {
    const ts = tokenize('// one\n/* two\nthree */ x /* */ y', 'x.mof');
    expect(ts.map((t) => t.text)).toEqual(['x', 'y', '']);
    expect(ts[0].line).toBe(3);
    expect(ts[1].column).toBe(18);
  });

  it('decodes string escapes and keeps adjacent literals separate (the parser joins them)', () => {
    const ts = tokenize(String.raw`"a\"b\\c\n\t\x41\X263A" "d"`, 'x.mof');
    expect(ts[0].str).toBe('a"b\\c\n\tA\u263a');
    expect(ts[1].str).toBe('d');
  });

  it('reads char literals', () => {
    const ts = tokenize(String.raw`'a' '\''`, 'x.mof');
    expect(ts.slice(0, 2).map((t) => [t.kind, t.str])).toEqual([['char', 'a'], ['char', "'"]]);
  });

  it('reads decimal, hex, binary, octal and negative integers as bigint', () => {
    const ts = tokenize('42 -7 +3 0x1F 0XfF 101b -11B 017 0 00', 'x.mof');
    expect(ts.filter((t) => t.kind === 'int').map((t) => t.int)).toEqual([42n, -7n, 3n, 31n, 255n, 5n, -3n, 15n, 0n, 0n]);
  });

  it('keeps uint64 values exact', () => {
    const [t] = tokenize('18446744073709551615', 'x.mof');
    expect(t.int).toBe(18446744073709551615n);
  });

  it('reads reals', () => {
    const ts = tokenize('1.5 -0.25 .5 1e3 2.5E-2', 'x.mof');
    expect(kinds(ts).slice(0, 5)).toEqual(['real', 'real', 'real', 'real', 'real']);
    expect(ts.slice(0, 5).map((t) => t.real)).toEqual([1.5, -0.25, 0.5, 1000, 0.025]);
  });

  it('accepts a UTF-8 BOM', () => {
    expect(tokenize('\ufeffclass', 'x.mof')[0]).toMatchObject({ text: 'class', line: 1, column: 1 });
  });

  describe('errors carry file:line:column', () => {
    it('unterminated string', () => {
      const e = lexError('class A {\n  string S = "abc;\n};');
      expect([e.file, e.line, e.column]).toEqual(['x.mof', 2, 19]);
      expect(e.message).toMatch(/^x\.mof:2:19: line break inside a literal/);
    });
    it('unterminated comment reports where it starts', () => {
      const e = lexError('a\n  /* never closed\n\n');
      expect([e.line, e.column]).toEqual([2, 3]);
      expect(e.detail).toBe('unterminated /* comment');
    });
    it('unknown escape', () => {
      const e = lexError('"a\\qb"');
      expect([e.line, e.column, e.detail]).toEqual([1, 3, "unknown escape sequence '\\q'"]);
    });
    it('bad octal', () => {
      expect(lexError('x = 09;').detail).toBe("'09' is not a valid octal number");
    });
    it('malformed number', () => {
      expect(lexError('x = 12abc;').detail).toMatch(/malformed number/);
    });
    it('unexpected character', () => {
      const e = lexError('class A {\n  @\n};');
      expect([e.line, e.column, e.detail]).toEqual([2, 3, "unexpected character '@'"]);
    });
    it('char literal of more than one character', () => {
      expect(lexError("'ab'").detail).toMatch(/exactly one character/);
    });
  });
});

describe('hostile number text', () => {
  it.each(["1..2", '..0', 'x = ..5;', '+..1'])('%s fails fast instead of looping', (text) => {
    expect(() => tokenize(text, 'hostile.mof')).toThrow();
  });
});
