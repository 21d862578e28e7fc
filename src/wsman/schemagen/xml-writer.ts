/**
 * A tiny indented XML writer for generated schema documents. Output must be byte-stable (a test
 * regenerates every file and compares), so attribute order is the caller's order, indentation is
 * two spaces, line ends are LF and there is exactly one trailing newline.
 */
import { escapeAttr, escapeText } from '../../xml/escape.js';

export type Attrs = ReadonlyArray<readonly [string, string | number | undefined]>;

export class XmlWriter {
  private readonly lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  private depth = 0;
  private readonly stack: string[] = [];

  comment(text: string): this {
    // "--" may not appear inside a comment
    this.lines.push(`${this.pad()}<!-- ${text.replace(/--/g, '- -')} -->`);
    return this;
  }

  open(name: string, attrs: Attrs = []): this {
    this.lines.push(`${this.pad()}<${name}${attrText(attrs)}>`);
    this.stack.push(name);
    this.depth++;
    return this;
  }

  close(): this {
    const name = this.stack.pop();
    if (name === undefined) throw new Error('XmlWriter: close() without open()');
    this.depth--;
    this.lines.push(`${this.pad()}</${name}>`);
    return this;
  }

  empty(name: string, attrs: Attrs = []): this {
    this.lines.push(`${this.pad()}<${name}${attrText(attrs)}/>`);
    return this;
  }

  /** `<name attrs>text</name>` on one line. */
  text(name: string, text: string, attrs: Attrs = []): this {
    this.lines.push(`${this.pad()}<${name}${attrText(attrs)}>${escapeText(text)}</${name}>`);
    return this;
  }

  toString(): string {
    if (this.stack.length) throw new Error(`XmlWriter: unclosed <${this.stack[this.stack.length - 1]}>`);
    return this.lines.join('\n') + '\n';
  }

  private pad(): string {
    return '  '.repeat(this.depth);
  }
}

function attrText(attrs: Attrs): string {
  let s = '';
  for (const [k, v] of attrs) if (v !== undefined) s += ` ${k}="${escapeAttr(String(v))}"`;
  return s;
}
