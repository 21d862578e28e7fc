/**
 * How WQL problems become CIM errors. Every failure names the query in ParameterInfo and the
 * ExecQuery operation, which is what Windows puts in the `__ExtendedStatus` of a rejected WQL
 * filter (captures/windows/winrb-fault-enumerate-wql-cannotprocessfilter-2008r2.response.xml).
 */
import { CimError, CimStatus, type CimStatusCode } from '../errors.js';

export function queryError(status: CimStatusCode, message: string, query: string): CimError {
  return new CimError(status, message, { operation: 'ExecQuery', parameterInfo: query });
}

/** WBEM_E_INVALID_QUERY: the text does not parse, or does not fit the schema. */
export function invalidQuery(message: string, query: string): CimError {
  return queryError(CimStatus.INVALID_QUERY, message, query);
}

/** WBEM_E_INVALID_CLASS, worded like Windows' provider fault for a WQL filter on a missing class. */
export function invalidClass(className: string, query: string): CimError {
  return queryError(
    CimStatus.INVALID_CLASS,
    `The specified class '${className}' does not exist in the given namespace.`,
    query,
  );
}

/** A short, printable excerpt of the query around a position (for messages). */
export function near(text: string, pos: number): string {
  if (pos >= text.length) return 'the end of the query';
  const excerpt = text.slice(pos, pos + 20).replace(/\s+/g, ' ');
  return `'${excerpt}${pos + 20 < text.length ? '…' : ''}' (column ${pos + 1})`;
}
