/**
 * What WQL needs from the class registry: lookup and derivation, both case-insensitive and scoped
 * to the query's namespace. Kept this small on purpose so the query layer does not depend on how
 * the registry is built.
 */
import type { ClassLookup } from '../objectpath.js';
import type { CimClass } from '../types.js';

export interface WqlSchema extends ClassLookup {
  /** case-insensitive, in the query's namespace */
  getClass(className: string): CimClass | undefined;
  /** true when `className` is `ancestor` or derives from it (case-insensitive) */
  isA(className: string, ancestor: string): boolean;
}
