/**
 * MOF parser: tokens of one file → {@link MofFile}. Recursive descent over the DSP0221 grammar
 * (class, qualifier-type and instance declarations, compiler directives) with the extensions
 * Microsoft's WMI MOF files use: flavors after a qualifier (`[Description("…") : Amended]`),
 * class-typed embedded objects (`Msvm_CompatibilityVector Vectors[]`), the `object` type and
 * pragmas without arguments. Semantics (inheritance, typing of values) are not checked here.
 */
import type {
  MofArraySpec,
  MofClassDecl,
  MofFile,
  MofFlavor,
  MofInstanceDecl,
  MofIntrinsic,
  MofLiteral,
  MofMethodDecl,
  MofParameterDecl,
  MofPos,
  MofPragma,
  MofProduction,
  MofPropertyDecl,
  MofPropertyInit,
  MofQualifier,
  MofQualifierTypeDecl,
  MofScope,
  MofTypeRef,
  MofValue,
} from './ast.js';
import { MofSyntaxError } from './errors.js';
import { createLexer, type Token } from './lexer.js';

const INTRINSICS: ReadonlyMap<string, MofIntrinsic> = new Map(
  (['uint8', 'sint8', 'uint16', 'sint16', 'uint32', 'sint32', 'uint64', 'sint64', 'real32', 'real64', 'boolean', 'string', 'char16', 'datetime'] as const).map(
    (t) => [t, t],
  ),
);

const FLAVORS: ReadonlySet<string> = new Set([
  'enableoverride', 'disableoverride', 'tosubclass', 'restricted', 'translatable',
  'toinstance', 'nottoinstance', 'nottosubclass', 'amended',
]);

const SCOPES: ReadonlySet<string> = new Set(['class', 'association', 'indication', 'property', 'reference', 'method', 'parameter', 'qualifier', 'any']);

/** Parse one MOF text. Throws {@link MofSyntaxError} at the first error. */
export function parseMof(text: string, file: string): MofFile {
  return new Parser(createLexer(text, file), file).parseFile();
}

class Parser {
  /** lookahead pulled from the lexer (at most two tokens) */
  private readonly ahead: Token[] = [];

  constructor(
    private readonly lex: () => Token,
    private readonly file: string,
  ) {}

  parseFile(): MofFile {
    const productions: MofProduction[] = [];
    while (this.peek().kind !== 'eof') productions.push(this.production());
    return { file: this.file, productions };
  }

  // ---- token helpers ---------------------------------------------------------------------------

  private peek(k = 0): Token {
    while (this.ahead.length <= k) this.ahead.push(this.lex());
    return this.ahead[k];
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.ahead.shift();
    return t;
  }
  private pos(t: Token): MofPos {
    return { file: this.file, line: t.line, column: t.column };
  }
  private fail(t: Token, msg: string): never {
    throw new MofSyntaxError(this.pos(t), msg);
  }
  private describe(t: Token): string {
    switch (t.kind) {
      case 'eof': return 'end of file';
      case 'string': return 'a string literal';
      case 'char': return 'a char literal';
      case 'int': case 'real': return `number '${t.text}'`;
      case 'alias': return `'$${t.text}'`;
      default: return `'${t.text}'`;
    }
  }
  private isPunct(c: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.text === c;
  }
  private isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'ident' && t.text.toLowerCase() === w;
  }
  private expectPunct(c: string, what?: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.text !== c) this.fail(t, `expected '${c}'${what ? ' ' + what : ''} but found ${this.describe(t)}`);
    return t;
  }
  private expectIdent(what: string): Token {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(t, `expected ${what} but found ${this.describe(t)}`);
    return t;
  }
  private expectWord(w: string): Token {
    const t = this.next();
    if (t.kind !== 'ident' || t.text.toLowerCase() !== w) this.fail(t, `expected '${w}' but found ${this.describe(t)}`);
    return t;
  }

  // ---- productions -----------------------------------------------------------------------------

  private production(): MofProduction {
    if (this.isPunct('#')) return this.pragma();
    const start = this.peek();
    const qualifiers = this.isPunct('[') ? this.qualifierList() : [];
    if (this.isWord('class')) return this.classDecl(qualifiers, start);
    if (this.isWord('instance')) {
      const inst = this.instanceDecl(qualifiers, start);
      this.expectPunct(';', 'after the instance declaration');
      return inst;
    }
    if (this.isWord('qualifier')) {
      if (qualifiers.length) this.fail(start, 'a qualifier declaration cannot have qualifiers');
      return this.qualifierTypeDecl();
    }
    const t = this.peek();
    return this.fail(t, `expected 'class', 'instance of', 'qualifier' or '#pragma' but found ${this.describe(t)}`);
  }

  private pragma(): MofPragma {
    const hash = this.next();
    const kw = this.next();
    if (kw.kind !== 'ident' || kw.text.toLowerCase() !== 'pragma') this.fail(kw, `expected 'pragma' after '#' but found ${this.describe(kw)}`);
    const name = this.expectIdent('a pragma name');
    const args: MofPragma['args'][number][] = [];
    if (this.isPunct('(')) {
      this.next();
      if (!this.isPunct(')')) {
        for (;;) {
          const t = this.peek();
          if (t.kind === 'ident' && !['true', 'false', 'null'].includes(t.text.toLowerCase())) {
            this.next();
            args.push({ kind: 'identifier', name: t.text });
          } else {
            const v = this.literal();
            args.push(v);
          }
          if (this.isPunct(',')) { this.next(); continue; }
          break;
        }
      }
      this.expectPunct(')', 'to close the pragma');
    }
    return { kind: 'pragma', name: name.text.toLowerCase(), args, pos: this.pos(hash) };
  }

  private classDecl(qualifiers: MofQualifier[], start: Token): MofClassDecl {
    this.expectWord('class');
    const name = this.expectIdent('a class name');
    let superClass: string | undefined;
    if (this.isPunct(':')) {
      this.next();
      superClass = this.expectIdent('a superclass name').text;
    }
    this.expectPunct('{', `to open the body of class ${name.text}`);
    const properties: MofPropertyDecl[] = [];
    const methods: MofMethodDecl[] = [];
    while (!this.isPunct('}')) {
      if (this.peek().kind === 'eof') this.fail(this.peek(), `missing '}' to close class ${name.text}`);
      const feature = this.classFeature();
      if ('parameters' in feature) methods.push(feature);
      else properties.push(feature);
    }
    this.next();
    this.expectPunct(';', `after the body of class ${name.text}`);
    return {
      kind: 'class',
      name: name.text,
      ...(superClass !== undefined ? { superClass } : {}),
      qualifiers,
      properties,
      methods,
      pos: this.pos(qualifiers.length ? start : name),
    };
  }

  private classFeature(): MofPropertyDecl | MofMethodDecl {
    const start = this.peek();
    const qualifiers = this.isPunct('[') ? this.qualifierList() : [];
    const type = this.typeRef();
    const name = this.expectIdent('a property or method name');
    if (this.isPunct('(')) {
      this.next();
      const parameters: MofParameterDecl[] = [];
      if (!this.isPunct(')')) {
        for (;;) {
          parameters.push(this.parameter());
          if (this.isPunct(',')) { this.next(); continue; }
          break;
        }
      }
      this.expectPunct(')', `to close the parameter list of ${name.text}`);
      this.expectPunct(';', `after method ${name.text}`);
      return { name: name.text, returnType: type, parameters, qualifiers, pos: this.pos(qualifiers.length ? start : name) };
    }
    const property = this.typedName(qualifiers, type, name);
    this.expectPunct(';', `after property ${name.text}`);
    return property;
  }

  private parameter(): MofParameterDecl {
    const qualifiers = this.isPunct('[') ? this.qualifierList() : [];
    const type = this.typeRef();
    return this.typedName(qualifiers, type, this.expectIdent('a parameter name'));
  }

  /** The rest of a property or parameter after its name: an optional `[]` / `[n]` and `= default`. */
  private typedName(qualifiers: MofQualifier[], type: MofTypeRef, name: Token): MofPropertyDecl & MofParameterDecl {
    const array = this.isPunct('[') ? this.arraySpec() : undefined;
    let defaultValue: MofValue | undefined;
    if (this.isPunct('=')) {
      this.next();
      defaultValue = this.value();
    }
    return {
      name: name.text,
      type,
      ...(array ? { array } : {}),
      ...(defaultValue !== undefined ? { defaultValue } : {}),
      qualifiers,
      pos: this.pos(name),
    };
  }

  /** `uint16`, `string`, `object`, `ClassName REF`, or a class name (embedded object). */
  private typeRef(): MofTypeRef {
    const t = this.expectIdent('a data type');
    const lower = t.text.toLowerCase();
    if (this.isWord('ref')) {
      this.next();
      if (INTRINSICS.has(lower) || lower === 'object') this.fail(t, `'${t.text} REF': only a class can be referenced`);
      return { kind: 'ref', className: t.text };
    }
    const intrinsic = INTRINSICS.get(lower);
    if (intrinsic) return { kind: 'intrinsic', name: intrinsic };
    if (lower === 'object') return { kind: 'object' };
    return { kind: 'class', className: t.text };
  }

  private arraySpec(): MofArraySpec {
    this.expectPunct('[');
    if (this.isPunct(']')) {
      this.next();
      return {};
    }
    const t = this.next();
    if (t.kind !== 'int' || t.int === undefined || t.int <= 0n || t.int > 0x7fffffffn) this.fail(t, `expected a positive array size but found ${this.describe(t)}`);
    this.expectPunct(']', 'to close the array size');
    return { size: Number(t.int) };
  }

  private qualifierTypeDecl(): MofQualifierTypeDecl {
    const kw = this.next();
    const name = this.expectIdent('a qualifier name');
    this.expectPunct(':', `before the type of qualifier ${name.text}`);
    const typeTok = this.expectIdent('a qualifier type');
    const type = INTRINSICS.get(typeTok.text.toLowerCase());
    if (!type) this.fail(typeTok, `a qualifier type must be an intrinsic type, not '${typeTok.text}'`);
    const array = this.isPunct('[') ? this.arraySpec() : undefined;
    let defaultValue: MofValue | undefined;
    if (this.isPunct('=')) {
      this.next();
      defaultValue = this.value();
    }
    const scopes: MofScope[] = [];
    const flavors: MofFlavor[] = [];
    for (;;) {
      if (this.isPunct(',')) this.next();
      if (this.isWord('scope')) {
        this.next();
        this.expectPunct('(');
        for (;;) {
          const s = this.expectIdent('a scope (class, association, indication, property, reference, method, parameter, any)');
          const v = s.text.toLowerCase();
          if (!SCOPES.has(v)) this.fail(s, `unknown scope '${s.text}'`);
          scopes.push(v as MofScope);
          if (this.isPunct(',')) { this.next(); continue; }
          break;
        }
        this.expectPunct(')', 'to close Scope(...)');
        continue;
      }
      if (this.isWord('flavor')) {
        this.next();
        this.expectPunct('(');
        for (;;) {
          flavors.push(this.flavor());
          if (this.isPunct(',')) { this.next(); continue; }
          break;
        }
        this.expectPunct(')', 'to close Flavor(...)');
        continue;
      }
      break;
    }
    if (scopes.length === 0) this.fail(this.peek(), `qualifier ${name.text} needs a Scope(...)`);
    this.expectPunct(';', `after the declaration of qualifier ${name.text}`);
    return {
      kind: 'qualifier',
      name: name.text,
      type,
      ...(array ? { array } : {}),
      ...(defaultValue !== undefined ? { defaultValue } : {}),
      scopes,
      flavors,
      pos: this.pos(kw),
    };
  }

  private flavor(): MofFlavor {
    const f = this.expectIdent('a flavor');
    const v = f.text.toLowerCase();
    if (!FLAVORS.has(v)) this.fail(f, `unknown flavor '${f.text}'`);
    return v as MofFlavor;
  }

  /** `instance of X [as $A] { P = v; … }` (no trailing ';': callers differ). */
  private instanceDecl(qualifiers: MofQualifier[], start: Token): MofInstanceDecl {
    const kw = this.next(); // instance
    this.expectWord('of');
    const cls = this.expectIdent('a class name');
    let alias: string | undefined;
    if (this.isWord('as')) {
      this.next();
      const a = this.next();
      if (a.kind !== 'alias') this.fail(a, `expected '$alias' after 'as' but found ${this.describe(a)}`);
      alias = a.text;
    }
    this.expectPunct('{', `to open the instance of ${cls.text}`);
    const properties: MofPropertyInit[] = [];
    while (!this.isPunct('}')) {
      if (this.peek().kind === 'eof') this.fail(this.peek(), `missing '}' to close the instance of ${cls.text}`);
      const pq = this.isPunct('[') ? this.qualifierList() : [];
      const pname = this.expectIdent('a property name');
      this.expectPunct('=', `after property name ${pname.text}`);
      const value = this.value();
      this.expectPunct(';', `after the value of ${pname.text}`);
      properties.push({ name: pname.text, value, qualifiers: pq, pos: this.pos(pname) });
    }
    this.next();
    return {
      kind: 'instance',
      className: cls.text,
      ...(alias !== undefined ? { alias } : {}),
      qualifiers,
      properties,
      pos: this.pos(qualifiers.length ? start : kw),
    };
  }

  // ---- qualifiers --------------------------------------------------------------------------------

  private qualifierList(): MofQualifier[] {
    this.expectPunct('[');
    const list: MofQualifier[] = [];
    for (;;) {
      const name = this.expectIdent('a qualifier name');
      let value: MofValue | undefined;
      if (this.isPunct('(')) {
        this.next();
        value = this.value();
        this.expectPunct(')', `to close the value of qualifier ${name.text}`);
      } else if (this.isPunct('{')) {
        value = this.arrayValue();
      }
      const flavors: MofFlavor[] = [];
      if (this.isPunct(':')) {
        this.next();
        flavors.push(this.flavor());
        while (this.peek().kind === 'ident' && FLAVORS.has(this.peek().text.toLowerCase())) flavors.push(this.flavor());
      }
      list.push({ name: name.text, ...(value !== undefined ? { value } : {}), flavors, pos: this.pos(name) });
      if (this.isPunct(',')) { this.next(); continue; }
      break;
    }
    this.expectPunct(']', 'to close the qualifier list');
    return list;
  }

  // ---- values ------------------------------------------------------------------------------------

  private value(): MofValue {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === '{') return this.arrayValue();
    if (t.kind === 'alias') {
      this.next();
      return { kind: 'alias', name: t.text };
    }
    if (t.kind === 'ident' && t.text.toLowerCase() === 'instance') {
      return { kind: 'instance', instance: this.instanceDecl([], t) };
    }
    return this.literal();
  }

  private arrayValue(): MofValue {
    this.expectPunct('{');
    const items: MofValue[] = [];
    if (!this.isPunct('}')) {
      for (;;) {
        const t = this.peek();
        if (t.kind === 'punct' && t.text === '{') this.fail(t, 'arrays cannot be nested');
        items.push(this.value());
        if (this.isPunct(',')) { this.next(); continue; }
        break;
      }
    }
    this.expectPunct('}', 'to close the array');
    return { kind: 'array', items };
  }

  private literal(): MofLiteral {
    const t = this.next();
    switch (t.kind) {
      case 'string': {
        // adjacent string literals are one value (DSP0221 stringValue)
        let s = t.str ?? '';
        while (this.peek().kind === 'string') s += this.next().str ?? '';
        return { kind: 'string', value: s };
      }
      case 'char':
        return { kind: 'char', value: t.str ?? '' };
      case 'int':
        return { kind: 'integer', value: t.int ?? 0n, raw: t.text };
      case 'real':
        return { kind: 'real', value: t.real ?? 0, raw: t.text };
      case 'ident': {
        const w = t.text.toLowerCase();
        if (w === 'true') return { kind: 'boolean', value: true };
        if (w === 'false') return { kind: 'boolean', value: false };
        if (w === 'null') return { kind: 'null' };
        break;
      }
    }
    return this.fail(t, `expected a value but found ${this.describe(t)}`);
  }
}
