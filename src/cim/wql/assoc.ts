/**
 * ASSOCIATORS OF / REFERENCES OF (WmiSdk/associators-of-statement.md, references-of-statement.md).
 *
 *   ASSOCIATORS OF {ObjectPath} [WHERE AssocClass = C ClassDefsOnly RequiredAssocQualifier = Q
 *                                      RequiredQualifier = Q ResultClass = C ResultRole = P Role = P
 *                                      SchemaOnly KeysOnly]
 *   REFERENCES OF {ObjectPath}  [WHERE ClassDefsOnly RequiredQualifier = Q ResultClass = C Role = P
 *                                      SchemaOnly KeysOnly]
 *
 * Subclauses are separated by white space only — "AND"/"OR" and any operator but `=` make the query
 * invalid, as both pages say; values are bare names. ClassDefsOnly with ResultClass is invalid (both
 * pages). The pages are silent on the other combinations; this module also rejects ClassDefsOnly
 * with SchemaOnly, KeysOnly with either (they ask for classes, KeysOnly shapes instances), and
 * SchemaOnly on an instance path (schema queries name a class: `{myClass}`).
 *
 * Only parsing and validation live here; the association engine evaluates the result.
 */
import { CimError, CimStatus } from '../errors.js';
import { parseObjectPath, type ClassLookup, type ObjectPath, type ObjectPathKind } from '../objectpath.js';
import type { CimRef } from '../types.js';
import type { AssocFilters } from './ast.js';
import { TokenCursor } from './cursor.js';
import { invalidClass, invalidQuery } from './errors.js';

export interface AssocStatement<K extends 'associators' | 'references'> extends AssocFilters {
  readonly kind: K;
  readonly text: string;
  /** the path as written between the braces (trimmed) */
  readonly objectPathText: string;
  readonly objectKind: ObjectPathKind;
  /** the source object; key values are typed once the statement is prepared against a schema */
  readonly object: CimRef;
}
export type AssociatorsStatement = AssocStatement<'associators'>;
export type ReferencesStatement = AssocStatement<'references'>;

type ValuedKeyword = 'assocClass' | 'resultClass' | 'role' | 'resultRole' | 'requiredQualifier' | 'requiredAssocQualifier';
type FlagKeyword = 'classDefsOnly' | 'schemaOnly' | 'keysOnly';

const VALUED: Readonly<Record<string, ValuedKeyword>> = {
  ASSOCCLASS: 'assocClass',
  RESULTCLASS: 'resultClass',
  ROLE: 'role',
  RESULTROLE: 'resultRole',
  REQUIREDQUALIFIER: 'requiredQualifier',
  REQUIREDASSOCQUALIFIER: 'requiredAssocQualifier',
};
const FLAGS: Readonly<Record<string, FlagKeyword>> = { CLASSDEFSONLY: 'classDefsOnly', SCHEMAONLY: 'schemaOnly', KEYSONLY: 'keysOnly' };
/** Keywords REFERENCES OF does not take (it has no far end to filter). */
const ASSOCIATORS_ONLY = new Set(['ASSOCCLASS', 'RESULTROLE', 'REQUIREDASSOCQUALIFIER']);

const SPELLING: Readonly<Record<ValuedKeyword | FlagKeyword, string>> = {
  assocClass: 'AssocClass',
  resultClass: 'ResultClass',
  role: 'Role',
  resultRole: 'ResultRole',
  requiredQualifier: 'RequiredQualifier',
  requiredAssocQualifier: 'RequiredAssocQualifier',
  classDefsOnly: 'ClassDefsOnly',
  schemaOnly: 'SchemaOnly',
  keysOnly: 'KeysOnly',
};

export function parseAssocStatement<K extends 'associators' | 'references'>(cur: TokenCursor, kind: K): AssocStatement<K> {
  const statement = kind === 'associators' ? 'ASSOCIATORS OF' : 'REFERENCES OF';
  cur.next(); // ASSOCIATORS / REFERENCES
  cur.expectKeyword('OF', `after ${statement.split(' ')[0]}`);
  const pathTok = cur.next();
  if (pathTok.kind !== 'braced') cur.fail(`Expected an object path in braces after ${statement}, found ${cur.describe(pathTok)}.`);
  const objectPathText = pathTok.text.trim();
  let path: ObjectPath;
  try {
    path = parseObjectPath(objectPathText);
  } catch (e) {
    if (e instanceof CimError) cur.fail(`Invalid object path in ${statement} {…}: ${e.message}`);
    throw e;
  }

  const values: Partial<Record<ValuedKeyword, string>> = {};
  const flags: Record<FlagKeyword, boolean> = { classDefsOnly: false, schemaOnly: false, keysOnly: false };
  const seen = new Set<string>();
  if (cur.acceptKeyword('WHERE')) {
    if (cur.peek().kind === 'eof') cur.fail(`Expected ${statement} keywords after WHERE, found the end of the query.`);
    while (cur.peek().kind !== 'eof') {
      const tok = cur.next();
      if (tok.kind !== 'ident') cur.fail(`Expected an ${statement} keyword, found ${cur.describe(tok)}.`);
      const upper = tok.text.toUpperCase();
      if (upper === 'AND' || upper === 'OR') {
        cur.fail(`${statement} keywords are separated by spaces, not ${upper} (column ${tok.pos + 1}).`);
      }
      const valued = VALUED[upper];
      const flag = FLAGS[upper];
      if (!valued && !flag) {
        const allowed = Object.entries(SPELLING)
          .filter(([k]) => kind === 'associators' || !ASSOCIATORS_ONLY.has(k.toUpperCase()))
          .map(([, v]) => v)
          .join(', ');
        cur.fail(`Unknown ${statement} keyword ${cur.describe(tok)}; expected one of ${allowed}.`);
      }
      if (kind === 'references' && ASSOCIATORS_ONLY.has(upper)) {
        cur.fail(`${SPELLING[valued ?? flag]} is not valid in REFERENCES OF (column ${tok.pos + 1}); it only applies to ASSOCIATORS OF.`);
      }
      if (seen.has(upper)) cur.fail(`${SPELLING[valued ?? flag]} appears twice (column ${tok.pos + 1}).`);
      seen.add(upper);
      if (flag) {
        flags[flag] = true;
        continue;
      }
      const op = cur.next();
      if (op.kind !== 'op' || op.op !== '=') {
        cur.fail(`${SPELLING[valued]} must be followed by '=' (the only operator ${statement} accepts), found ${cur.describe(op)}.`);
      }
      const value = cur.next();
      if (value.kind !== 'ident') {
        const hint = value.kind === 'string' ? ' (names are written without quotes)' : '';
        cur.fail(`Expected a name after ${SPELLING[valued]} =, found ${cur.describe(value)}${hint}.`);
      }
      values[valued] = value.text;
    }
  } else if (cur.peek().kind !== 'eof') {
    cur.fail(`Expected WHERE or the end of the query after the object path, found ${cur.describe(cur.peek())}.`);
  }

  if (flags.classDefsOnly && values.resultClass !== undefined) cur.fail('ClassDefsOnly and ResultClass cannot be used together.');
  if (flags.classDefsOnly && flags.schemaOnly) cur.fail('ClassDefsOnly and SchemaOnly cannot be used together.');
  if (flags.keysOnly && (flags.classDefsOnly || flags.schemaOnly)) {
    cur.fail(`KeysOnly shapes instances and cannot be combined with ${flags.classDefsOnly ? 'ClassDefsOnly' : 'SchemaOnly'}.`);
  }
  if (flags.schemaOnly && path.kind !== 'class') cur.fail(`SchemaOnly needs a class path ({${path.ref.className}}), not an instance path.`);

  return {
    kind,
    text: cur.text,
    objectPathText,
    objectKind: path.kind,
    object: path.ref,
    ...values,
    ...flags,
  };
}

/**
 * Bind an ASSOCIATORS OF / REFERENCES OF statement to a schema: the source path's keys are typed
 * against its class, and AssocClass / ResultClass take the schema's spelling. A class the schema
 * does not know is WBEM_E_INVALID_CLASS, as for SELECT … FROM (a choice: the pages are silent).
 */
export function prepareAssocStatement<K extends 'associators' | 'references'>(stmt: AssocStatement<K>, schema: ClassLookup): AssocStatement<K> {
  let path: ObjectPath;
  try {
    path = parseObjectPath(stmt.objectPathText, { schema });
  } catch (e) {
    if (!(e instanceof CimError)) throw e;
    if (e.status === CimStatus.INVALID_CLASS) throw invalidClass(stmt.object.className, stmt.text);
    throw invalidQuery(`Invalid object path in ${stmt.kind === 'associators' ? 'ASSOCIATORS' : 'REFERENCES'} OF {…}: ${e.message}`, stmt.text);
  }
  const resolve = (name: string | undefined): string | undefined => {
    if (name === undefined) return undefined;
    const cls = schema.getClass(name);
    if (!cls) throw invalidClass(name, stmt.text);
    return cls.name;
  };
  return {
    ...stmt,
    object: path.ref,
    ...(stmt.assocClass !== undefined ? { assocClass: resolve(stmt.assocClass) } : {}),
    ...(stmt.resultClass !== undefined ? { resultClass: resolve(stmt.resultClass) } : {}),
  };
}

