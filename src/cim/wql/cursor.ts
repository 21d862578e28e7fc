/** A read position over the token list, with keyword helpers and error reporting in query terms. */
import { invalidQuery } from './errors.js';
import { describeToken, type Token } from './lexer.js';

/** Words that are never property or class names (WmiSdk/querying-with-wql.md names NULL, TRUE, FALSE). */
export const RESERVED = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IS', 'ISA', 'LIKE', 'NULL', 'TRUE', 'FALSE']);

export class TokenCursor {
  private index = 0;

  constructor(
    readonly text: string,
    private readonly tokens: readonly Token[],
  ) {}

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.index + offset, this.tokens.length - 1)];
  }

  next(): Token {
    const tok = this.peek();
    if (this.index < this.tokens.length - 1) this.index++;
    return tok;
  }

  /** Is `tok` the identifier `keyword` (case-insensitive)? */
  static isKeyword(tok: Token, keyword: string): boolean {
    return tok.kind === 'ident' && tok.text.length === keyword.length && tok.text.toUpperCase() === keyword;
  }

  static isReserved(tok: Token): boolean {
    return tok.kind === 'ident' && RESERVED.has(tok.text.toUpperCase());
  }

  acceptKeyword(keyword: string): boolean {
    if (!TokenCursor.isKeyword(this.peek(), keyword)) return false;
    this.next();
    return true;
  }

  expectKeyword(keyword: string, context: string): void {
    if (!this.acceptKeyword(keyword)) this.fail(`Expected ${keyword} ${context}, found ${this.describe(this.peek())}.`);
  }

  describe(tok: Token): string {
    return describeToken(this.text, tok);
  }

  fail(message: string): never {
    throw invalidQuery(message, this.text);
  }
}
