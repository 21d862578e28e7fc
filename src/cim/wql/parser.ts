/**
 * WQL syntax → {@link WqlStatement}. No schema is consulted here; every error is
 * WBEM_E_INVALID_QUERY with a message naming what was expected and where.
 *
 * Data query grammar (WmiSdk/select-statement-for-data-queries.md, where-clause.md, wql-operators.md):
 *
 *   select    := SELECT ( '*' | prop ( ',' prop )* ) FROM class [ WHERE or ]
 *   or        := and ( OR and )*               -- OR binds looser than AND (wql-sql-for-wmi.md)
 *   and       := unary ( AND unary )*
 *   unary     := NOT unary | '(' or ')' | predicate
 *   predicate := prop op const | const op prop | prop IS [NOT] NULL | prop LIKE string | prop ISA string
 *   prop      := name ( '.' name )*            -- dots reach into embedded objects
 *
 * A property may not be compared with a property, nor a constant with a constant ("Either a
 * property name or a constant must appear on either side of the operator"). `IS` only takes NULL.
 * WQL has no `NOT LIKE`: the like-operator page puts NOT before the property instead.
 */
import { parseAssocStatement, type AssociatorsStatement, type ReferencesStatement } from './assoc.js';
import type { Literal, PropertyRef, SelectStatement, WhereExpr } from './ast.js';
import { TokenCursor } from './cursor.js';
import { invalidQuery } from './errors.js';
import { tokenize, type ComparisonOp, type Token } from './lexer.js';
import { stats } from './stats.js';

export type WqlStatement = SelectStatement | AssociatorsStatement | ReferencesStatement;

/** Parenthesis / NOT nesting beyond this is refused (it would only exhaust the stack). */
export const MAX_NESTING = 200;

const FLIPPED: Readonly<Record<ComparisonOp, ComparisonOp>> = { '=': '=', '<>': '<>', '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
const EVENT_WORDS = new Set(['WITHIN', 'GROUP', 'HAVING', 'BY']);

/** Parse any WQL statement. */
export function parseWql(text: string): WqlStatement {
  if (text.trim() === '') throw invalidQuery('The query is empty.', text);
  const cur = new TokenCursor(text, tokenize(text));
  stats.parsed++;
  const first = cur.peek();
  if (TokenCursor.isKeyword(first, 'SELECT')) return parseSelect(cur);
  if (TokenCursor.isKeyword(first, 'ASSOCIATORS')) return parseAssocStatement(cur, 'associators');
  if (TokenCursor.isKeyword(first, 'REFERENCES')) return parseAssocStatement(cur, 'references');
  return cur.fail(`A WQL query starts with SELECT, ASSOCIATORS OF or REFERENCES OF; found ${cur.describe(first)}.`);
}

function parseSelect(cur: TokenCursor): SelectStatement {
  cur.next(); // SELECT
  let properties: '*' | PropertyRef[];
  if (cur.peek().kind === '*') {
    cur.next();
    properties = '*';
    if (cur.peek().kind === ',') cur.fail(`'*' cannot be combined with property names in the select list (${cur.describe(cur.peek())}).`);
  } else {
    properties = [];
    for (;;) {
      properties.push(parseProperty(cur, 'in the select list'));
      if (cur.peek().kind !== ',') break;
      cur.next();
    }
  }
  cur.expectKeyword('FROM', 'after the select list');
  const clsTok = cur.next();
  if (clsTok.kind !== 'ident' || TokenCursor.isReserved(clsTok)) {
    cur.fail(`Expected a class name after FROM, found ${cur.describe(clsTok)}.`);
  }
  if (cur.peek().kind === '.') cur.fail(`Expected a class name after FROM, found ${cur.describe(clsTok)}: class names contain no '.'.`);
  let where: WhereExpr | null = null;
  if (cur.acceptKeyword('WHERE')) {
    if (cur.peek().kind === 'eof') cur.fail('Expected a condition after WHERE, found the end of the query.');
    where = parseOr(cur, 0);
  }
  const rest = cur.peek();
  if (rest.kind !== 'eof') {
    if (rest.kind === ')') cur.fail(`Unbalanced parentheses: ${cur.describe(rest)} has no matching '('.`);
    if (rest.kind === 'ident' && EVENT_WORDS.has(rest.text.toUpperCase())) {
      cur.fail(`Event query clauses are not supported in a data query: ${cur.describe(rest)}.`);
    }
    cur.fail(`Unexpected ${cur.describe(rest)} after the end of the query${where ? ' (conditions are joined with AND or OR)' : ''}.`);
  }
  return { kind: 'select', text: cur.text, className: clsTok.text, properties, where };
}

function parseProperty(cur: TokenCursor, context: string): PropertyRef {
  const first = cur.next();
  if (first.kind !== 'ident' || TokenCursor.isReserved(first)) {
    cur.fail(`Expected a property name ${context}, found ${cur.describe(first)}.`);
  }
  const path = [first.text];
  while (cur.peek().kind === '.') {
    cur.next();
    const seg = cur.next();
    if (seg.kind !== 'ident' || TokenCursor.isReserved(seg)) cur.fail(`Expected a property name after '.', found ${cur.describe(seg)}.`);
    path.push(seg.text);
  }
  return { path, pos: first.pos };
}

function parseOr(cur: TokenCursor, depth: number): WhereExpr {
  const operands = [parseAnd(cur, depth)];
  while (cur.acceptKeyword('OR')) operands.push(parseAnd(cur, depth));
  return operands.length === 1 ? operands[0] : { kind: 'or', operands };
}

function parseAnd(cur: TokenCursor, depth: number): WhereExpr {
  const operands = [parseUnary(cur, depth)];
  while (cur.acceptKeyword('AND')) operands.push(parseUnary(cur, depth));
  return operands.length === 1 ? operands[0] : { kind: 'and', operands };
}

function parseUnary(cur: TokenCursor, depth: number): WhereExpr {
  if (depth > MAX_NESTING) cur.fail(`The condition is nested more than ${MAX_NESTING} levels deep.`);
  if (cur.acceptKeyword('NOT')) return { kind: 'not', operand: parseUnary(cur, depth + 1) };
  const tok = cur.peek();
  if (tok.kind === '(') {
    cur.next();
    if (cur.peek().kind === ')') cur.fail(`Empty parentheses at column ${tok.pos + 1}.`);
    const inner = parseOr(cur, depth + 1);
    const close = cur.next();
    if (close.kind !== ')') {
      cur.fail(`Unbalanced parentheses: missing ')' for the '(' at column ${tok.pos + 1}; found ${cur.describe(close)}.`);
    }
    return inner;
  }
  return parsePredicate(cur);
}

type Operand = { kind: 'prop'; prop: PropertyRef } | { kind: 'const'; value: Literal | null; tok: Token };

function parseOperand(cur: TokenCursor): Operand | null {
  const tok = cur.peek();
  switch (tok.kind) {
    case 'string':
      cur.next();
      return { kind: 'const', value: { kind: 'string', value: tok.value }, tok };
    case 'integer':
      cur.next();
      return { kind: 'const', value: { kind: 'integer', value: tok.value, text: tok.text }, tok };
    case 'real':
      cur.next();
      return { kind: 'const', value: { kind: 'real', value: tok.value, text: tok.text }, tok };
    case 'ident': {
      const upper = tok.text.toUpperCase();
      if (upper === 'TRUE' || upper === 'FALSE') {
        cur.next();
        return { kind: 'const', value: { kind: 'boolean', value: upper === 'TRUE' }, tok };
      }
      if (upper === 'NULL') {
        cur.next();
        return { kind: 'const', value: null, tok };
      }
      if (TokenCursor.isReserved(tok)) return null;
      return { kind: 'prop', prop: parseProperty(cur, 'in the condition') };
    }
    default:
      return null;
  }
}

function parsePredicate(cur: TokenCursor): WhereExpr {
  const startTok = cur.peek();
  const left = parseOperand(cur);
  if (!left) cur.fail(`Expected a property, a constant, NOT or '(' in the condition, found ${cur.describe(startTok)}.`);
  const opTok = cur.peek();
  const leftName = left.kind === 'prop' ? `'${left.prop.path.join('.')}'` : cur.describe(left.tok);

  if (TokenCursor.isKeyword(opTok, 'IS')) {
    cur.next();
    const negated = cur.acceptKeyword('NOT');
    if (!cur.acceptKeyword('NULL')) {
      cur.fail(`IS ${negated ? 'NOT ' : ''}must be followed by NULL (WQL only tests for NULL with IS), found ${cur.describe(cur.peek())}.`);
    }
    if (left.kind !== 'prop') cur.fail(`IS ${negated ? 'NOT ' : ''}NULL needs a property on its left, found ${leftName}.`);
    return { kind: 'isNull', property: left.prop, negated, pos: opTok.pos };
  }
  if (TokenCursor.isKeyword(opTok, 'LIKE') || TokenCursor.isKeyword(opTok, 'ISA')) {
    const word = opTok.kind === 'ident' ? opTok.text.toUpperCase() : '';
    cur.next();
    if (left.kind !== 'prop') cur.fail(`${word} needs a property on its left, found ${leftName}.`);
    const right = cur.next();
    if (right.kind !== 'string') {
      cur.fail(`${word} must be followed by a quoted ${word === 'LIKE' ? 'pattern' : 'class name'}, found ${cur.describe(right)}.`);
    }
    return word === 'LIKE'
      ? { kind: 'like', property: left.prop, pattern: right.value, pos: opTok.pos }
      : { kind: 'isa', property: left.prop, className: right.value, pos: opTok.pos };
  }
  if (TokenCursor.isKeyword(opTok, 'NOT') && left.kind === 'prop') {
    cur.fail(`WQL has no '${leftName} NOT …' form; put NOT before the property (NOT ${left.prop.path.join('.')} LIKE …) at column ${opTok.pos + 1}.`);
  }
  if (opTok.kind !== 'op') {
    cur.fail(`Expected an operator (=, <>, !=, <, >, <=, >=, LIKE, ISA or IS) after ${leftName}, found ${cur.describe(opTok)}.`);
  }
  cur.next();
  const rightTok = cur.peek();
  const right = parseOperand(cur);
  if (!right) cur.fail(`Expected a constant or a property after '${opTok.text}', found ${cur.describe(rightTok)}.`);

  if (left.kind === 'prop' && right.kind === 'prop') {
    cur.fail(`Property names cannot appear on both sides of '${opTok.text}' (column ${opTok.pos + 1}); compare a property with a constant.`);
  }
  if (left.kind === 'const' && right.kind === 'const') {
    cur.fail(`'${opTok.text}' at column ${opTok.pos + 1} compares two constants; one side must be a property.`);
  }
  const [prop, constant, op] =
    left.kind === 'prop' ? [left.prop, right as Extract<Operand, { kind: 'const' }>, opTok.op] : [(right as Extract<Operand, { kind: 'prop' }>).prop, left, FLIPPED[opTok.op]];
  if (constant.value === null) {
    // `P = NULL` and `P <> NULL` read as IS [NOT] NULL; NULL has no order.
    if (op !== '=' && op !== '<>') {
      cur.fail(`NULL can only be tested with IS [NOT] NULL, = or <>; '${opTok.text}' at column ${opTok.pos + 1} orders it.`);
    }
    return { kind: 'isNull', property: prop, negated: op === '<>', pos: opTok.pos };
  }
  return { kind: 'compare', op, property: prop, value: constant.value, pos: opTok.pos };
}
