/**
 * MOF lexer (DSP0221 §A.17 lexical rules, plus the WMI habits found in Microsoft MOF files).
 *
 * Hand-written over char codes because the whole schema is compiled at every server start
 * (budget: well under 100 ms for all files). Keywords are not reserved here: MOF keywords are
 * case-insensitive and several of them (`Association`, `Indication`, `In`, `Out`) are also
 * qualifier names, so the parser decides by context.
 */
import type { MofPos } from './ast.js';
import { MofSyntaxError } from './errors.js';

export type TokenKind =
  | 'ident'
  /** `{ } [ ] ( ) ; : , = #` */
  | 'punct'
  | 'string'
  | 'char'
  | 'int'
  | 'real'
  /** `$Name` (instance alias) */
  | 'alias'
  | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** identifier / punctuation / alias name / raw number text */
  readonly text: string;
  /** decoded value of string/char literals, parsed value of numbers */
  readonly str?: string;
  readonly int?: bigint;
  readonly real?: number;
  readonly line: number;
  readonly column: number;
}

const PUNCT = new Set(['{', '}', '[', ']', '(', ')', ';', ':', ',', '=', '#']);

function isIdentStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 0x30 && c <= 0x39);
}
function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

/** Every token has the same shape (one V8 hidden class keeps the parser's property reads monomorphic). */
function tok(kind: TokenKind, text: string, line: number, column: number, str?: string, int?: bigint, real?: number): Token {
  return { kind, text, str, int, real, line, column };
}

/** Tokenize a whole MOF text (tests and tools; the parser pulls tokens one by one). */
export function tokenize(text: string, file: string): Token[] {
  const next = createLexer(text, file);
  const tokens: Token[] = [];
  for (;;) {
    const t = next();
    tokens.push(t);
    if (t.kind === 'eof') return tokens;
  }
}

/**
 * A pull lexer: each call returns the next token, then `eof` forever. Pulling instead of building
 * a token array keeps tokens short-lived, which matters for start-up time (young-generation GC).
 * `file` is only used for positions in errors.
 */
export function createLexer(text: string, file: string): () => Token {
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i; // a BOM is not a column

  const posAt = (offset: number): MofPos => ({ file, line, column: offset - lineStart + 1 });
  const fail = (offset: number, msg: string): never => {
    throw new MofSyntaxError(posAt(offset), msg);
  };

  return function next(): Token {
    while (i < n) {
      const c = text.charCodeAt(i);
      // whitespace and newlines
      if (c === 0x0a) { i++; line++; lineStart = i; continue; }
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0c || c === 0x0b) { i++; continue; }

      // comments
      if (c === 0x2f) {
        const d = text.charCodeAt(i + 1);
        if (d === 0x2f) {
          i += 2;
          while (i < n && text.charCodeAt(i) !== 0x0a) i++;
          continue;
        }
        if (d === 0x2a) {
          const startLine = line;
          const startCol = i - lineStart + 1;
          i += 2;
          for (;;) {
            if (i >= n) {
              throw new MofSyntaxError({ file, line: startLine, column: startCol }, 'unterminated /* comment');
            }
            const e = text.charCodeAt(i);
            if (e === 0x2a && text.charCodeAt(i + 1) === 0x2f) { i += 2; break; }
            if (e === 0x0a) { line++; lineStart = i + 1; }
            i++;
          }
          continue;
        }
        fail(i, "unexpected character '/'");
      }

      const col = i - lineStart + 1;

      if (isIdentStart(c)) {
        const start = i;
        i++;
        while (i < n && isIdentPart(text.charCodeAt(i))) i++;
        return tok('ident', text.slice(start, i), line, col);
      }

      if (c === 0x22 /* " */) {
        const value = readQuoted(0x22);
        return tok('string', '"', line, col, value);
      }

      if (c === 0x27 /* ' */) {
        const value = readQuoted(0x27);
        if (value.length !== 1) fail(i - 1, 'a char16 literal must hold exactly one character');
        return tok('char', "'", line, col, value);
      }

      if (isDigit(c) || ((c === 0x2b || c === 0x2d || c === 0x2e) && isDigit(text.charCodeAt(i + 1))) || ((c === 0x2b || c === 0x2d) && text.charCodeAt(i + 1) === 0x2e && isDigit(text.charCodeAt(i + 2)))) {
        return readNumber(col);
      }

      if (c === 0x24 /* $ */) {
        const start = i + 1;
        i++;
        if (!isIdentStart(text.charCodeAt(i))) fail(i, "expected an alias name after '$'");
        while (i < n && isIdentPart(text.charCodeAt(i))) i++;
        return tok('alias', text.slice(start, i), line, col);
      }

      const ch = text[i];
      if (PUNCT.has(ch)) {
        i++;
        return tok('punct', ch, line, col);
      }
      fail(i, `unexpected character '${ch}'`);
    }
    return tok('eof', '', line, i - lineStart + 1);
  };

  /** Read a quoted literal starting at text[i] (the quote); returns the decoded text. */
  function readQuoted(quote: number): string {
    const open = i;
    i++;
    let out = '';
    let chunkStart = i;
    for (;;) {
      if (i >= n) fail(open, quote === 0x22 ? 'unterminated string literal' : 'unterminated char literal');
      const e = text.charCodeAt(i);
      if (e === quote) {
        out += text.slice(chunkStart, i);
        i++;
        return out;
      }
      if (e === 0x0a || e === 0x0d) fail(i, 'line break inside a literal (close it and use string concatenation)');
      if (e === 0x5c /* \ */) {
        out += text.slice(chunkStart, i);
        const esc = text[i + 1];
        switch (esc) {
          case 'b': out += '\b'; i += 2; break;
          case 't': out += '\t'; i += 2; break;
          case 'n': out += '\n'; i += 2; break;
          case 'f': out += '\f'; i += 2; break;
          case 'r': out += '\r'; i += 2; break;
          case '"': out += '"'; i += 2; break;
          case "'": out += "'"; i += 2; break;
          case '\\': out += '\\'; i += 2; break;
          case 'x':
          case 'X': {
            // \x followed by 1 to 4 hex digits (DSP0221 escapeSequence)
            let j = i + 2;
            while (j < n && j < i + 6 && isHexDigit(text.charCodeAt(j))) j++;
            if (j === i + 2) fail(i, 'expected hex digits after \\x');
            out += String.fromCharCode(parseInt(text.slice(i + 2, j), 16));
            i = j;
            break;
          }
          default:
            fail(i, `unknown escape sequence '\\${esc ?? ''}'`);
        }
        chunkStart = i;
        continue;
      }
      i++;
    }
  }

  /** Decimal, hex (0x), binary (…b), octal (0…) integers and reals, with an optional sign. */
  function readNumber(col: number): Token {
    const start = i;
    let neg = false;
    const s0 = text.charCodeAt(i);
    if (s0 === 0x2b || s0 === 0x2d) { neg = s0 === 0x2d; i++; }
    const bodyStart = i;
    // hex
    if (text.charCodeAt(i) === 0x30 && (text.charCodeAt(i + 1) === 0x78 || text.charCodeAt(i + 1) === 0x58)) {
      i += 2;
      const hs = i;
      while (i < n && isHexDigit(text.charCodeAt(i))) i++;
      if (i === hs) fail(start, 'expected hex digits after 0x');
      checkEnd();
      const v = BigInt('0x' + text.slice(hs, i));
      return tok('int', text.slice(start, i), line, col, undefined, neg ? -v : v);
    }
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    // a number must consume something, or the caller would loop on the same character
    if (i === bodyStart && !(text.charCodeAt(i) === 0x2e && isDigit(text.charCodeAt(i + 1)))) fail(start, `malformed number '${text.slice(start, i + 2)}'`);
    let isReal = false;
    if (text.charCodeAt(i) === 0x2e && isDigit(text.charCodeAt(i + 1))) {
      isReal = true;
      i++;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    const e = text.charCodeAt(i);
    if ((e === 0x65 || e === 0x45) && i > bodyStart) {
      let j = i + 1;
      const sc = text.charCodeAt(j);
      if (sc === 0x2b || sc === 0x2d) j++;
      if (isDigit(text.charCodeAt(j))) {
        isReal = true;
        i = j;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
      }
    }
    if (isReal) {
      checkEnd();
      const raw = text.slice(start, i);
      return tok('real', raw, line, col, undefined, undefined, Number(raw));
    }
    const digits = text.slice(bodyStart, i);
    // binary: 1*binaryDigit ("b" / "B")
    const b = text.charCodeAt(i);
    if ((b === 0x62 || b === 0x42) && /^[01]+$/.test(digits) && !isIdentPart(text.charCodeAt(i + 1))) {
      i++;
      const v = BigInt('0b' + digits);
      return tok('int', text.slice(start, i), line, col, undefined, neg ? -v : v);
    }
    checkEnd();
    let v: bigint;
    if (digits.length > 1 && digits.charCodeAt(0) === 0x30) {
      if (!/^[0-7]+$/.test(digits)) fail(start, `'${digits}' is not a valid octal number`);
      v = BigInt('0o' + digits.slice(1));
    } else {
      v = BigInt(digits);
    }
    return tok('int', text.slice(start, i), line, col, undefined, neg ? -v : v);

    function checkEnd(): void {
      if (i < n && isIdentPart(text.charCodeAt(i))) fail(start, `malformed number '${text.slice(start, i + 1)}'`);
    }
  }
}
