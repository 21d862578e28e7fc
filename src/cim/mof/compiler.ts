/**
 * MOF compiler driver: reads files, follows `#pragma include`, tracks `#pragma namespace` and
 * collects every declaration with the namespace it belongs to. It does not resolve classes; that
 * is resolver.ts, so the same compilation can be inspected (tests, tools) without a registry.
 *
 * Pragma semantics (mofcomp-compatible where it matters):
 * - `namespace("\\\\.\\root\\x")`: absolute when it starts with a server prefix or `root`,
 *   otherwise relative to the current namespace. The namespace in effect when a file includes
 *   another is the included file's starting namespace; a namespace pragma inside the included
 *   file lasts until that file ends (it does not leak back into the includer).
 * - `include("path")`: relative to the including file. Include cycles are errors.
 * - `locale`, `classflags`, `instanceflags`, `source`, `nonlocal`, `nonlocaltype`, `autorecover`,
 *   `deleteclass`, `deleteinstance`: accepted and ignored (they steer WMI's repository, which we
 *   do not have). Unknown pragmas are reported as warnings.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve as resolvePath, isAbsolute } from 'node:path';
import type { MofClassDecl, MofInstanceDecl, MofPos, MofPragma, MofQualifierTypeDecl } from './ast.js';
import { MofSyntaxError, type MofDiagnostic } from './errors.js';
import { parseMof } from './parser.js';

/** File access, replaceable for tests (in-memory files). */
export interface MofHost {
  readFile(path: string): string;
  /** absolute path of `includePath` written in `fromFile` */
  resolve(fromFile: string, includePath: string): string;
  /** how a path is shown in positions and errors */
  display(path: string): string;
}

export interface MofCompileOptions {
  host?: MofHost;
  /** namespace before any `#pragma namespace` (mofcomp uses root\default) */
  defaultNamespace?: string;
  /** directory that displayed paths are relative to (default: process.cwd()) */
  displayRoot?: string;
}

export interface Namespaced<T> {
  /** normalised namespace (forward slashes, no leading/trailing slash), spelling as written */
  readonly namespace: string;
  readonly decl: T;
}

export interface MofCompilation {
  readonly classes: readonly Namespaced<MofClassDecl>[];
  readonly instances: readonly Namespaced<MofInstanceDecl>[];
  readonly qualifiers: readonly Namespaced<MofQualifierTypeDecl>[];
  /** every file read, in reading order (displayed form) */
  readonly files: readonly string[];
  readonly warnings: readonly MofDiagnostic[];
}

const IGNORED_PRAGMAS = new Set([
  'locale', 'instancelocale', 'classflags', 'instanceflags', 'source', 'nonlocal', 'nonlocaltype',
  'autorecover', 'deleteclass', 'deleteinstance',
]);

/** Decode a MOF file: UTF-8 by default, UTF-16 when it starts with a BOM (WMI tools write UTF-16LE). */
export function decodeMofBytes(buf: Buffer): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return buf.subarray(2).toString('utf16le');
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) {
    const swapped = Buffer.from(buf.subarray(2));
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return buf.toString('utf8');
}

export function nodeMofHost(displayRoot = process.cwd()): MofHost {
  return {
    readFile: (p) => decodeMofBytes(readFileSync(p)),
    resolve: (from, inc) => (isAbsolute(inc) ? inc : resolvePath(dirname(from), inc.replace(/\\/g, '/'))),
    display: (p) => {
      const r = relative(displayRoot, p);
      return r && !r.startsWith('..') ? r.replace(/\\/g, '/') : p;
    },
  };
}

/** Normalise a namespace name: `\` → `/`, no server prefix, no leading/trailing slashes. */
export function normaliseNamespace(ns: string): string {
  let s = ns.replace(/\\/g, '/');
  // `//server/root/x` or `//./root/x`
  const server = /^\/\/[^/]*\//.exec(s);
  if (server) s = s.slice(server[0].length);
  return s.replace(/^\/+|\/+$/g, '').replace(/\/{2,}/g, '/');
}

/**
 * Compile MOF entry files (absolute or relative to the working directory) and everything they
 * include. Throws {@link MofSyntaxError} at the first syntax error.
 */
export function compileMofFiles(entries: readonly string[], opts: MofCompileOptions = {}): MofCompilation {
  const host = opts.host ?? nodeMofHost(opts.displayRoot);
  const acc = new Accumulator(host);
  for (const e of entries) acc.compileFile(resolvePath(e), opts.defaultNamespace ?? 'root/default', [], undefined);
  return acc.result();
}

/** Compile one MOF text held in memory (includes are read through the host). */
export function compileMofText(text: string, file: string, opts: MofCompileOptions = {}): MofCompilation {
  const host = opts.host ?? nodeMofHost(opts.displayRoot);
  const acc = new Accumulator(host);
  acc.compileText(text, file, opts.defaultNamespace ?? 'root/default', []);
  return acc.result();
}

class Accumulator {
  private readonly classes: Namespaced<MofClassDecl>[] = [];
  private readonly instances: Namespaced<MofInstanceDecl>[] = [];
  private readonly qualifiers: Namespaced<MofQualifierTypeDecl>[] = [];
  private readonly files: string[] = [];
  private readonly warnings: MofDiagnostic[] = [];

  constructor(private readonly host: MofHost) {}

  result(): MofCompilation {
    return { classes: this.classes, instances: this.instances, qualifiers: this.qualifiers, files: this.files, warnings: this.warnings };
  }

  compileFile(path: string, namespace: string, stack: readonly string[], includedAt: MofPos | undefined): void {
    if (stack.includes(path)) {
      const chain = [...stack, path].map((p) => this.host.display(p)).join(' -> ');
      throw new MofSyntaxError(includedAt ?? { file: this.host.display(path), line: 1, column: 1 }, `include cycle: ${chain}`);
    }
    let text: string;
    try {
      text = this.host.readFile(path);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new MofSyntaxError(
        includedAt ?? { file: this.host.display(path), line: 1, column: 1 },
        `cannot read MOF file ${this.host.display(path)}: ${why}`,
      );
    }
    this.compileText(text, path, namespace, stack);
  }

  compileText(text: string, path: string, startNamespace: string, stack: readonly string[]): void {
    const shown = this.host.display(path);
    this.files.push(shown);
    const mof = parseMof(text, shown);
    let ns = normaliseNamespace(startNamespace);
    const here = [...stack, path];
    for (const p of mof.productions) {
      switch (p.kind) {
        case 'pragma':
          ns = this.pragma(p, path, ns, here);
          break;
        case 'class':
          this.classes.push({ namespace: ns, decl: p });
          break;
        case 'instance':
          this.instances.push({ namespace: ns, decl: p });
          break;
        case 'qualifier':
          this.qualifiers.push({ namespace: ns, decl: p });
          break;
      }
    }
  }

  /** Apply one pragma; returns the namespace in effect afterwards. */
  private pragma(p: MofPragma, path: string, ns: string, stack: readonly string[]): string {
    const stringArg = (): string => {
      const a = p.args[0];
      if (p.args.length !== 1 || !a || a.kind !== 'string') throw new MofSyntaxError(p.pos, `#pragma ${p.name} takes one string argument`);
      return a.value;
    };
    switch (p.name) {
      case 'namespace': {
        const raw = stringArg();
        const abs = /^(\\\\|\/\/)/.test(raw) || /^[\\/]*root([\\/]|$)/i.test(raw);
        const target = normaliseNamespace(raw);
        if (!target) throw new MofSyntaxError(p.pos, '#pragma namespace needs a namespace name');
        return abs ? target : normaliseNamespace(`${ns}/${target}`);
      }
      case 'include': {
        const inc = stringArg();
        this.compileFile(this.host.resolve(path, inc), ns, stack, p.pos);
        return ns;
      }
      default:
        if (!IGNORED_PRAGMAS.has(p.name)) this.warnings.push({ pos: p.pos, message: `unknown #pragma ${p.name} ignored` });
        return ns;
    }
  }
}
