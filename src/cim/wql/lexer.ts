/**
 * WQL tokens. The lexer knows no keywords (they are identifiers the parser recognises
 * case-insensitively) and no schema; it turns text into literals with their final values so the
 * parser and compiler never look at characters again.
 *
 * Literal rules (WmiSdk/where-clause.md and wql-sql-for-wmi.md):
 * - strings in single or double quotes; inside them only `\\`, `\"` and `\'` are escapes (the three
 *   where-clause.md lists) — any other backslash sequence is rejected rather than guessed at, so a
 *   client that forgot to double a backslash gets an error instead of a silently different value;
 * - integers in decimal or `0x` hexadecimal, reals with a fraction and/or exponent, either with a
 *   leading sign (there is no arithmetic in WQL, so a sign is always part of the literal);
 * - `{ … }` after ASSOCIATORS OF / REFERENCES OF is one token holding the raw object path.
 */
import { stats } from './stats.js';
import { invalidQuery, near } from './errors.js';

export type ComparisonOp = '=' | '<>' | '<' | '>' | '<=' | '>=';

export type Token =
  | { readonly kind: 'ident'; readonly text: string; readonly pos: number }
  | { readonly kind: 'string'; readonly value: string; readonly pos: number }
  | { readonly kind: 'integer'; readonly value: bigint; readonly text: string; readonly pos: number }
  | { readonly kind: 'real'; readonly value: number; readonly text: string; readonly pos: number }
  /** comparison operator; `!=` is normalised to `<>` */
  | { readonly kind: 'op'; readonly op: ComparisonOp; readonly text: string; readonly pos: number }
  | { readonly kind: '(' | ')' | ',' | '*' | '.'; readonly pos: number }
  /** the raw text between `{` and `}` */
  | { readonly kind: 'braced'; readonly text: string; readonly pos: number }
  | { readonly kind: 'eof'; readonly pos: number };

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isHexDigit = (c: number) => isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
/** ASCII letters, underscore, and anything non-ASCII (MOF identifiers allow Unicode letters). */
const isIdentStart = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c >= 0x80;
const isIdentPart = (c: number) => isIdentStart(c) || isDigit(c);
const isSpace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

export function tokenize(text: string): Token[] {
  stats.lexed++;
  const tokens: Token[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    const start = i;
    if (isIdentStart(c)) {
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', text: text.slice(start, i), pos: start });
      continue;
    }
    if (isDigit(c) || ((c === 0x2d || c === 0x2b) && i + 1 < n && isDigit(text.charCodeAt(i + 1)))) {
      i = readNumber(text, start, tokens);
      continue;
    }
    switch (c) {
      case 0x22: // "
      case 0x27: // '
        i = readString(text, start, tokens);
        continue;
      case 0x7b: // {
        i = readBraced(text, start, tokens);
        continue;
      case 0x28:
        tokens.push({ kind: '(', pos: start });
        i++;
        continue;
      case 0x29:
        tokens.push({ kind: ')', pos: start });
        i++;
        continue;
      case 0x2c:
        tokens.push({ kind: ',', pos: start });
        i++;
        continue;
      case 0x2a:
        tokens.push({ kind: '*', pos: start });
        i++;
        continue;
      case 0x2e:
        tokens.push({ kind: '.', pos: start });
        i++;
        continue;
      case 0x3d: // =
        tokens.push({ kind: 'op', op: '=', text: '=', pos: start });
        i++;
        continue;
      case 0x3c: {
        // <, <=, <>
        const next = text.charCodeAt(i + 1);
        if (next === 0x3d) tokens.push({ kind: 'op', op: '<=', text: '<=', pos: start });
        else if (next === 0x3e) tokens.push({ kind: 'op', op: '<>', text: '<>', pos: start });
        else tokens.push({ kind: 'op', op: '<', text: '<', pos: start });
        i += next === 0x3d || next === 0x3e ? 2 : 1;
        continue;
      }
      case 0x3e: {
        const next = text.charCodeAt(i + 1);
        tokens.push(next === 0x3d ? { kind: 'op', op: '>=', text: '>=', pos: start } : { kind: 'op', op: '>', text: '>', pos: start });
        i += next === 0x3d ? 2 : 1;
        continue;
      }
      case 0x21: // ! only as !=
        if (text.charCodeAt(i + 1) === 0x3d) {
          tokens.push({ kind: 'op', op: '<>', text: '!=', pos: start });
          i += 2;
          continue;
        }
        break;
    }
    throw invalidQuery(`Unexpected character ${describeChar(text, i)} at column ${i + 1}.`, text);
  }
  tokens.push({ kind: 'eof', pos: n });
  return tokens;
}

function describeChar(text: string, i: number): string {
  const c = text.charCodeAt(i);
  return c < 0x20 || c === 0x7f ? `U+${c.toString(16).toUpperCase().padStart(4, '0')}` : `'${text[i]}'`;
}

function readNumber(text: string, start: number, out: Token[]): number {
  const n = text.length;
  let i = start;
  if (text[i] === '-' || text[i] === '+') i++;
  const digitsStart = i;
  let kind: 'integer' | 'real' = 'integer';
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
    i += 2;
    const hexStart = i;
    while (i < n && isHexDigit(text.charCodeAt(i))) i++;
    if (i === hexStart) throw invalidQuery(`Invalid hexadecimal literal at column ${start + 1}: no digits after '0x'.`, text);
  } else {
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    if (text[i] === '.' && isDigit(text.charCodeAt(i + 1))) {
      kind = 'real';
      i++;
      while (i < n && isDigit(text.charCodeAt(i))) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      let j = i + 1;
      if (text[j] === '+' || text[j] === '-') j++;
      if (isDigit(text.charCodeAt(j))) {
        kind = 'real';
        i = j;
        while (i < n && isDigit(text.charCodeAt(i))) i++;
      }
    }
  }
  if (i < n && (isIdentPart(text.charCodeAt(i)) || text[i] === '.')) {
    let j = i;
    while (j < n && (isIdentPart(text.charCodeAt(j)) || text[j] === '.')) j++;
    throw invalidQuery(`Invalid numeric literal '${text.slice(start, j)}' at column ${start + 1}.`, text);
  }
  const literal = text.slice(start, i);
  if (kind === 'real') {
    out.push({ kind: 'real', value: Number(literal), text: literal, pos: start });
  } else {
    const negative = literal.startsWith('-');
    const magnitude = BigInt(text.slice(digitsStart, i));
    out.push({ kind: 'integer', value: negative ? -magnitude : magnitude, text: literal, pos: start });
  }
  return i;
}

function readString(text: string, start: number, out: Token[]): number {
  const quote = text[start];
  const n = text.length;
  let i = start + 1;
  let value = '';
  let runStart = i;
  while (i < n) {
    const ch = text[i];
    if (ch === quote) {
      value += text.slice(runStart, i);
      out.push({ kind: 'string', value, pos: start });
      return i + 1;
    }
    if (ch === '\\') {
      const next = text[i + 1];
      if (next !== '\\' && next !== '"' && next !== "'") {
        const shown = next === undefined ? '\\' : `\\${next}`;
        throw invalidQuery(
          `Invalid escape sequence '${shown}' in the string literal at column ${start + 1}: ` +
            `WQL strings only accept \\\\, \\" and \\' (write a backslash as \\\\).`,
          text,
        );
      }
      value += text.slice(runStart, i) + next;
      i += 2;
      runStart = i;
      continue;
    }
    i++;
  }
  throw invalidQuery(`Unterminated string literal starting at column ${start + 1}.`, text);
}

/** `{ObjectPath}`: quotes inside the path may contain `}`; backslash escapes the next character there. */
function readBraced(text: string, start: number, out: Token[]): number {
  const n = text.length;
  let i = start + 1;
  let quote: string | null = null;
  while (i < n) {
    const ch = text[i];
    if (quote !== null) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = null;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '}') {
      out.push({ kind: 'braced', text: text.slice(start + 1, i), pos: start });
      return i + 1;
    } else if (ch === '{') {
      throw invalidQuery(`Unexpected '{' inside the object path starting at column ${start + 1}.`, text);
    }
    i++;
  }
  throw invalidQuery(`Unterminated object path: '{' at column ${start + 1} has no closing '}'.`, text);
}

/** For parser messages: how a token looks in the query. */
export function describeToken(text: string, tok: Token): string {
  return tok.kind === 'eof' ? 'the end of the query' : near(text, tok.pos);
}
