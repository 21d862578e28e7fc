/**
 * Typing of MOF literals against a declared CIM type: default values of properties and
 * parameters, qualifier values and instance initializers. A MOF literal has no type of its own
 * (`5` may be a uint8 or a real64, `"20240101…"` a string or a datetime), so the declaration
 * decides, and the lexical rules of src/cim/values.ts decide what fits.
 */
import { CimValueError } from '../errors.js';
import type { CimIntType, CimScalar, CimType, CimValue, QualifierValue } from '../types.js';
import { isIntType, parseDateTime, parseInteger } from '../values.js';
import type { MofIntrinsic, MofLiteral, MofValue } from './ast.js';

/** Thrown for a literal that does not fit; the caller adds the source position. */
export class LiteralTypeError extends Error {}

function describe(v: MofValue): string {
  switch (v.kind) {
    case 'integer': case 'real': return `number ${v.raw}`;
    case 'string': return `string "${v.value.length > 40 ? v.value.slice(0, 40) + '…' : v.value}"`;
    case 'char': return `char '${v.value}'`;
    case 'boolean': return String(v.value);
    case 'null': return 'NULL';
    case 'array': return 'an array';
    case 'alias': return `$${v.name}`;
    case 'instance': return `an instance of ${v.instance.className}`;
  }
}

function intValue(type: CimIntType, v: bigint): number | bigint {
  try {
    return parseInteger(type, v.toString());
  } catch (e) {
    if (e instanceof CimValueError) throw new LiteralTypeError(`${v} is out of range for ${type}`);
    throw e;
  }
}

/** One scalar literal as a value of `type` (references and instances are handled by callers). */
export function scalarLiteral(type: CimType, v: MofValue): CimScalar {
  const bad = (): never => {
    throw new LiteralTypeError(`${describe(v)} is not a valid ${type} value`);
  };
  if (isIntType(type)) {
    if (v.kind !== 'integer') bad();
    return intValue(type, (v as Extract<MofLiteral, { kind: 'integer' }>).value);
  }
  switch (type) {
    case 'real32':
    case 'real64':
      if (v.kind === 'real') return v.value;
      if (v.kind === 'integer') return Number(v.value);
      return bad();
    case 'boolean':
      if (v.kind !== 'boolean') bad();
      return (v as Extract<MofLiteral, { kind: 'boolean' }>).value;
    case 'string':
      if (v.kind === 'string' || v.kind === 'char') return v.value;
      return bad();
    case 'char16':
      if ((v.kind === 'char' || v.kind === 'string') && v.value.length === 1) return v.value;
      return bad();
    case 'datetime':
      if (v.kind !== 'string') bad();
      try {
        return parseDateTime((v as Extract<MofLiteral, { kind: 'string' }>).value);
      } catch (e) {
        if (e instanceof CimValueError) throw new LiteralTypeError(`${describe(v)} is not a valid datetime`);
        throw e;
      }
    default:
      return bad();
  }
}

/**
 * A literal (or array of literals) as a value of a declared feature. NULL is allowed for
 * everything; arrays must be written with braces and scalars without (DSP0221).
 */
export function typedLiteral(type: CimType, isArray: boolean, v: MofValue): CimValue {
  if (v.kind === 'null') return null;
  if (isArray) {
    if (v.kind !== 'array') throw new LiteralTypeError(`an array value must be written as { … }, found ${describe(v)}`);
    return v.items.map((item) => {
      if (item.kind === 'null') throw new LiteralTypeError('array elements cannot be NULL');
      return scalarLiteral(type, item);
    });
  }
  if (v.kind === 'array') throw new LiteralTypeError(`a scalar ${type} cannot take an array value`);
  return scalarLiteral(type, v);
}

/**
 * A qualifier value typed by its qualifier declaration. Array-typed qualifiers accept a lone
 * scalar as a one-element array (WMI's mofcomp does, and Microsoft files rely on it).
 */
export function qualifierLiteral(type: MofIntrinsic, isArray: boolean, v: MofValue): QualifierValue {
  const scalar = (item: MofValue): boolean | string | number | bigint | null => {
    if (item.kind === 'null') return null;
    if (type === 'datetime') {
      // qualifier datetimes stay text: nothing reads them as values
      if (item.kind !== 'string') throw new LiteralTypeError(`${describe(item)} is not a valid datetime`);
      return item.value;
    }
    const s = scalarLiteral(type, item);
    if (typeof s === 'object') throw new LiteralTypeError(`${describe(item)} is not a valid ${type} value`);
    return s;
  };
  if (v.kind === 'array') {
    if (!isArray) throw new LiteralTypeError(`this qualifier takes a single ${type} value, not an array`);
    return v.items.map(scalar);
  }
  if (v.kind === 'alias' || v.kind === 'instance') throw new LiteralTypeError(`${describe(v)} cannot be a qualifier value`);
  const s = scalar(v);
  return isArray && s !== null ? [s] : s;
}

export function sameQualifierValue(a: QualifierValue, b: QualifierValue): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => x === b[i]);
  }
  return a === b;
}
