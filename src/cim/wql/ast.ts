/**
 * The syntax tree of a WQL statement, before it is bound to a schema. Names are kept as written;
 * binding resolves them case-insensitively against the class.
 */
import type { ComparisonOp } from './lexer.js';

export type { ComparisonOp };

/** A property as written: `Name`, `__CLASS`, or a dotted path into an embedded object `Emb.Prop`. */
export interface PropertyRef {
  /** the segments as written (`['Emb', 'Prop']`) */
  readonly path: readonly string[];
  /** column of the first segment (0-based) */
  readonly pos: number;
}

export type Literal =
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'integer'; readonly value: bigint; readonly text: string }
  | { readonly kind: 'real'; readonly value: number; readonly text: string }
  | { readonly kind: 'boolean'; readonly value: boolean };

/**
 * A WHERE condition. Comparisons are normalised with the property on the left (`5 < P` becomes
 * `P > 5`), and `P = NULL` / `P <> NULL` become `isNull`.
 */
export type WhereExpr =
  | { readonly kind: 'and' | 'or'; readonly operands: readonly WhereExpr[] }
  | { readonly kind: 'not'; readonly operand: WhereExpr }
  | { readonly kind: 'compare'; readonly op: ComparisonOp; readonly property: PropertyRef; readonly value: Literal; readonly pos: number }
  | { readonly kind: 'like'; readonly property: PropertyRef; readonly pattern: string; readonly pos: number }
  | { readonly kind: 'isa'; readonly property: PropertyRef; readonly className: string; readonly pos: number }
  | { readonly kind: 'isNull'; readonly property: PropertyRef; readonly negated: boolean; readonly pos: number };

export interface SelectStatement {
  readonly kind: 'select';
  readonly text: string;
  /** as written after FROM */
  readonly className: string;
  /** `'*'` or the select list as written (duplicates kept) */
  readonly properties: '*' | readonly PropertyRef[];
  readonly where: WhereExpr | null;
}

/** Keywords of the ASSOCIATORS OF / REFERENCES OF WHERE clause (WmiSdk/associators-of-statement.md). */
export interface AssocFilters {
  readonly assocClass?: string;
  readonly resultClass?: string;
  readonly role?: string;
  readonly resultRole?: string;
  readonly requiredQualifier?: string;
  readonly requiredAssocQualifier?: string;
  readonly classDefsOnly: boolean;
  readonly schemaOnly: boolean;
  readonly keysOnly: boolean;
}
