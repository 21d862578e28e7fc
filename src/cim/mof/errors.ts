/**
 * Errors of the MOF toolchain. They are start-up errors for the people who edit schemas/*.mof,
 * never wire errors, so they carry source positions and plain messages instead of CIM status codes.
 */
import type { MofPos } from './ast.js';

export function formatPos(pos: MofPos): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

/** A lexical or grammatical error in one MOF file (or a failed include). */
export class MofSyntaxError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** the message without the position prefix */
  readonly detail: string;

  constructor(pos: MofPos, detail: string) {
    super(`${formatPos(pos)}: ${detail}`);
    this.name = 'MofSyntaxError';
    this.file = pos.file;
    this.line = pos.line;
    this.column = pos.column;
    this.detail = detail;
  }
}

export interface MofDiagnostic {
  readonly pos: MofPos;
  readonly message: string;
}

/**
 * A schema that parses but does not make sense (unknown superclass, bad override, unknown REF
 * class …). All problems found in one load are reported together so a schema author fixes them
 * in one round.
 */
export class MofSchemaError extends Error {
  readonly diagnostics: readonly MofDiagnostic[];

  constructor(diagnostics: readonly MofDiagnostic[]) {
    const lines = diagnostics.map((d) => `${formatPos(d.pos)}: ${d.message}`);
    super(
      diagnostics.length === 1
        ? lines[0]
        : `${diagnostics.length} schema errors:\n  ${lines.join('\n  ')}`,
    );
    this.name = 'MofSchemaError';
    this.diagnostics = diagnostics;
  }
}
