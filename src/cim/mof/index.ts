/**
 * The MOF toolchain: lexer → parser (one file) → compiler driver (includes, namespaces) →
 * resolver (inheritance, validation). Most code wants src/cim/schema-loader.ts instead.
 */
export type * from './ast.js';
export { createLexer, tokenize, type Token, type TokenKind } from './lexer.js';
export { parseMof } from './parser.js';
export {
  compileMofFiles,
  compileMofText,
  decodeMofBytes,
  nodeMofHost,
  normaliseNamespace,
  type MofCompilation,
  type MofCompileOptions,
  type MofHost,
  type Namespaced,
} from './compiler.js';
export { resolveSchema, propertyOrder, type MofDeclaredInstance, type ResolvedNamespace, type ResolvedSchema } from './resolver.js';
export { MofSchemaError, MofSyntaxError, formatPos, type MofDiagnostic } from './errors.js';
