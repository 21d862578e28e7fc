/**
 * The CIM object model shared by every layer right of `wsman`: class declarations as the MOF
 * compiler produces them, typed values, instance paths and instances.
 *
 * Nothing here knows XML prefixes or HTTP. Names are compared case-insensitively everywhere
 * (DSP0004 §5.2), so every map is keyed by the lower-cased name and every declaration keeps the
 * spelling of its MOF for output.
 */

/** CIM intrinsic types (DSP0004 §5.2) plus the two object-valued kinds. */
export type CimIntType = 'uint8' | 'sint8' | 'uint16' | 'sint16' | 'uint32' | 'sint32' | 'uint64' | 'sint64';
export type CimType =
  | CimIntType
  | 'real32'
  | 'real64'
  | 'boolean'
  | 'string'
  | 'char16'
  | 'datetime'
  /** `ClassName REF Prop`: the value is a {@link CimRef}. */
  | 'reference'
  /** An embedded object typed by class (`Msvm_X Prop` in MOF, or `string` + EmbeddedInstance/EmbeddedObject). */
  | 'instance';

export const INTEGER_TYPES: ReadonlySet<CimType> = new Set([
  'uint8', 'sint8', 'uint16', 'sint16', 'uint32', 'sint32', 'uint64', 'sint64',
]);

/** A qualifier value as written in MOF: scalar or array of literals. */
export type QualifierValue = boolean | string | number | bigint | null | Array<boolean | string | number | bigint | null>;

export interface CimQualifier {
  /** spelling as written in the MOF */
  readonly name: string;
  readonly value: QualifierValue;
}

/** Qualifiers keyed by lower-cased name. */
export type QualifierMap = ReadonlyMap<string, CimQualifier>;

/** What all typed features (properties, parameters, method results) share. */
export interface CimTypedElement {
  readonly name: string;
  readonly type: CimType;
  readonly isArray: boolean;
  /** fixed array size `[4]`, when declared */
  readonly arraySize?: number;
  /** class named by a REF or by an embedded object typed with a class */
  readonly refClass?: string;
  /**
   * For `string` features with an EmbeddedInstance("X") qualifier: the class X. The wire form is a
   * string (CIM-XML text); `type` stays 'string' so rendering stays a string, and `embeddedInstance`
   * tells the WS-Man layer to parse/produce CIM-XML.
   */
  readonly embeddedInstance?: string;
  /** EmbeddedObject qualifier (string holding any instance) */
  readonly embeddedObject?: boolean;
  readonly qualifiers: QualifierMap;
}

export interface CimPropertyDecl extends CimTypedElement {
  /** class that first declared the property */
  readonly classOrigin: string;
  /** true when the property is inherited unchanged into this class */
  readonly propagated: boolean;
  readonly key: boolean;
  readonly required: boolean;
  /** Write qualifier (effective, including overrides) */
  readonly writeable: boolean;
  /** ValueMap / Values qualifiers, when present (parallel arrays) */
  readonly valueMap?: readonly string[];
  readonly values?: readonly string[];
  readonly defaultValue?: CimValue;
}

export interface CimParameterDecl extends CimTypedElement {
  readonly in: boolean;
  readonly out: boolean;
  readonly required: boolean;
  readonly valueMap?: readonly string[];
  readonly values?: readonly string[];
}

export interface CimMethodDecl {
  readonly name: string;
  /** the method's return type (almost always uint32) */
  readonly returnType: CimType;
  /** in MOF order */
  readonly parameters: readonly CimParameterDecl[];
  /** keyed by lower-cased parameter name */
  readonly parameterMap: ReadonlyMap<string, CimParameterDecl>;
  readonly qualifiers: QualifierMap;
  readonly classOrigin: string;
  readonly propagated: boolean;
  /** Static qualifier */
  readonly isStatic: boolean;
  /** Implemented qualifier seen on this class or an ancestor that overrides it */
  readonly implemented: boolean;
  readonly valueMap?: readonly string[];
  readonly values?: readonly string[];
}

export interface CimClass {
  readonly name: string;
  readonly superClass?: string;
  readonly namespace: string;
  /** qualifiers declared on the class itself (not inherited) */
  readonly qualifiers: QualifierMap;
  /** every property (own and inherited), keyed by lower-cased name */
  readonly properties: ReadonlyMap<string, CimPropertyDecl>;
  /** the same properties sorted case-insensitively by name: the order Windows writes instances in */
  readonly sortedProperties: readonly CimPropertyDecl[];
  /** key properties, sorted case-insensitively */
  readonly keys: readonly CimPropertyDecl[];
  /** every method (own and inherited), keyed by lower-cased name */
  readonly methods: ReadonlyMap<string, CimMethodDecl>;
  readonly isAbstract: boolean;
  readonly isAssociation: boolean;
  readonly isIndication: boolean;
  /** [this class, its superclass, …, root] */
  readonly ancestry: readonly string[];
}

/** Timestamp or interval (DSP0004 §5.2.4). */
export type CimDateTime =
  | {
      readonly kind: 'timestamp';
      /** milliseconds since the Unix epoch, UTC */
      readonly epochMs: number;
      /** microseconds within the millisecond (0–999) */
      readonly micros: number;
      /** UTC offset of the original representation, in minutes (kept for output) */
      readonly offsetMinutes: number;
    }
  | {
      readonly kind: 'interval';
      /** total microseconds (may exceed 2^53 only for absurd intervals; bigint keeps it exact) */
      readonly totalMicros: bigint;
    };

/** A reference to an instance: what an EPR addresses. */
export interface CimRef {
  readonly className: string;
  /** e.g. `root/virtualization/v2`; absent means "same namespace as the context" */
  readonly namespace?: string;
  /** key name (declared spelling) → value */
  readonly keys: Readonly<Record<string, CimScalar>>;
  /** the host that owns the instance, when it is not the one answering (EPR Address) */
  readonly host?: string;
}

/** An instance: values keyed by the declared property name (exact MOF spelling). */
export interface CimInstance {
  readonly className: string;
  readonly namespace?: string;
  readonly props: Record<string, CimValue>;
}

/**
 * Scalar runtime representation per CIM type:
 * - integers: `number` when it fits in 2^53, otherwise `bigint` (uint64/sint64 only)
 * - real32/64: number; boolean: boolean; string/char16: string
 * - datetime: {@link CimDateTime}; reference: {@link CimRef}; instance: {@link CimInstance}
 */
export type CimScalar = string | number | bigint | boolean | CimDateTime | CimRef | CimInstance;
export type CimValue = CimScalar | readonly CimScalar[] | null;

export function isDateTime(v: unknown): v is CimDateTime {
  return typeof v === 'object' && v !== null && 'kind' in v && ((v as CimDateTime).kind === 'timestamp' || (v as CimDateTime).kind === 'interval');
}

export function isRef(v: unknown): v is CimRef {
  return typeof v === 'object' && v !== null && 'keys' in v && 'className' in v && !('props' in v);
}

export function isInstance(v: unknown): v is CimInstance {
  return typeof v === 'object' && v !== null && 'props' in v && 'className' in v;
}

/** Lower-case once, in one place: every name lookup goes through here. */
export function nameKey(name: string): string {
  return name.toLowerCase();
}
