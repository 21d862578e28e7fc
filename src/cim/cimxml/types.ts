/**
 * What the CIM-XML (DSP0201) readers and writers need from their callers. They never reach for the
 * class registry themselves: the namespace is the caller's business (an embedded instance is read
 * in the namespace of the method it was passed to), so classes come in through a lookup function.
 */
import type { CimClass, CimType } from '../types.js';

/** Class lookup within one namespace; case-insensitive on the caller's side, undefined when unknown. */
export type ClassLookup = (className: string) => CimClass | undefined;

/**
 * What a qualifier declaration says about a qualifier (DSP0004 §5.6.1): the resolved
 * {@link CimQualifier} keeps only name and value, but CIM-XML needs the TYPE and the TRANSLATABLE
 * flavor. Callers that have the namespace's qualifier declarations (src/cim/mof/qualifiers.ts
 * QualifierTable) pass them in; otherwise the built-in table of standard qualifiers is used.
 */
export interface QualifierDeclInfo {
  readonly type: Exclude<CimType, 'reference' | 'instance'>;
  readonly isArray: boolean;
  readonly translatable?: boolean;
  /** EnableOverride (true, the default) vs DisableOverride */
  readonly overridable?: boolean;
  /** ToSubclass (true, the default) vs Restricted */
  readonly toSubclass?: boolean;
}

export type QualifierDeclLookup = (qualifierName: string) => QualifierDeclInfo | undefined;
