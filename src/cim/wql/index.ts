/**
 * WQL for the emulator: data queries (SELECT), ASSOCIATORS OF and REFERENCES OF.
 *
 *   const q = prepareQuery(text, schema);           // parse + bind + compile, once per request
 *   if (q.kind === 'select')
 *     for (const inst of candidates) if (q.matches(inst, classOf(inst), ctx)) out.push(q.project(inst));
 *
 * Errors are CimErrors: WBEM_E_INVALID_QUERY for anything that does not parse or does not fit the
 * schema, WBEM_E_INVALID_CLASS for an unknown class, WBEM_E_QUERY_LANGUAGE_NOT_SUPPORTED for a
 * dialect other than WQL. Each carries Operation "ExecQuery" and the query as ParameterInfo.
 */
import { CimStatus } from '../errors.js';
import { prepareAssocStatement, type AssociatorsStatement, type ReferencesStatement } from './assoc.js';
import { queryError } from './errors.js';
import { CompiledSelect, compileSelect } from './evaluate.js';
import { parseWql } from './parser.js';
import type { WqlSchema } from './schema.js';

export type { AssocFilters, ComparisonOp, Literal, PropertyRef, SelectStatement, WhereExpr } from './ast.js';
export type { AssocStatement, AssociatorsStatement, ReferencesStatement } from './assoc.js';
export { prepareAssocStatement } from './assoc.js';
export { ciCompare, ciEquals } from './casefold.js';
export { CompiledSelect, compileSelect, type Predicate } from './evaluate.js';
export { compileLike, LikePatternError, type LikeMatcher } from './like.js';
export { MAX_NESTING, parseWql, type WqlStatement } from './parser.js';
export type { WqlSchema } from './schema.js';
export { wqlStats, type WqlStats } from './stats.js';
export { SYSTEM_PROPERTIES, type EvalContext, type SystemProperty } from './system-props.js';

export type PreparedQuery = CompiledSelect | AssociatorsStatement | ReferencesStatement;

/** Reject query languages other than WQL (the WS-Man WQL dialect URI maps to 'WQL' before this). */
export function checkQueryLanguage(language: string, query = ''): void {
  if (language.trim().toUpperCase() !== 'WQL') {
    throw queryError(CimStatus.QUERY_LANGUAGE_NOT_SUPPORTED, `The query language '${language}' is not supported; only WQL is.`, query);
  }
}

/** Parse, bind and compile a query for one namespace's schema. */
export function prepareQuery(text: string, schema: WqlSchema, language = 'WQL'): PreparedQuery {
  checkQueryLanguage(language, text);
  const stmt = parseWql(text);
  return stmt.kind === 'select' ? compileSelect(stmt, schema) : prepareAssocStatement(stmt, schema);
}

/** A SELECT statement only (ASSOCIATORS OF / REFERENCES OF are WBEM_E_INVALID_QUERY here). */
export function compileQuery(text: string, schema: WqlSchema): CompiledSelect {
  const stmt = parseWql(text);
  if (stmt.kind !== 'select') {
    throw queryError(CimStatus.INVALID_QUERY, `Expected a SELECT query, found ${stmt.kind === 'associators' ? 'ASSOCIATORS OF' : 'REFERENCES OF'}.`, text);
  }
  return compileSelect(stmt, schema);
}
