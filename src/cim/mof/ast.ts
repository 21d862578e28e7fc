/**
 * Syntax tree of a MOF file (DSP0221 as written in Microsoft's WMI schema files).
 *
 * The parser produces these nodes with no semantic checks beyond grammar; the compiler driver
 * (compiler.ts) attaches namespaces and follows includes, and the resolver (resolver.ts) turns
 * class declarations into the {@link CimClass} objects of src/cim/types.ts. Every node carries its
 * source position so that later stages can name file, line and column in their errors.
 */

export interface MofPos {
  readonly file: string;
  /** 1-based */
  readonly line: number;
  /** 1-based, in UTF-16 code units */
  readonly column: number;
}

/**
 * A literal as written. Integers stay bigint until they are typed against a declaration
 * (a MOF literal has no CIM type of its own); `raw` keeps the source spelling for messages.
 */
export type MofLiteral =
  | { readonly kind: 'integer'; readonly value: bigint; readonly raw: string }
  | { readonly kind: 'real'; readonly value: number; readonly raw: string }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'char'; readonly value: string }
  | { readonly kind: 'boolean'; readonly value: boolean }
  | { readonly kind: 'null' };

/** A value in an initializer: a literal, an array of literals, an alias (`$Name`) or an embedded instance. */
export type MofValue =
  | MofLiteral
  | { readonly kind: 'array'; readonly items: readonly MofValue[] }
  | { readonly kind: 'alias'; readonly name: string }
  | { readonly kind: 'instance'; readonly instance: MofInstanceDecl };

/** Qualifier flavors (DSP0004 §5.6.1.3) plus the WMI-specific ones seen in Microsoft MOF files. */
export type MofFlavor =
  | 'enableoverride'
  | 'disableoverride'
  | 'tosubclass'
  | 'restricted'
  | 'translatable'
  // WMI: toinstance/nottoinstance/nottosubclass/amended
  | 'toinstance'
  | 'nottoinstance'
  | 'nottosubclass'
  | 'amended';

export interface MofQualifier {
  /** spelling as written */
  readonly name: string;
  /** undefined when the qualifier was written without a value (`[Key]`) */
  readonly value?: MofValue;
  readonly flavors: readonly MofFlavor[];
  readonly pos: MofPos;
}

/**
 * A type reference as written: an intrinsic CIM type (`uint16`), `ClassName REF`, a class name
 * used as an embedded-object type (`Msvm_CompatibilityVector`), or WMI's `object`.
 */
export type MofTypeRef =
  | { readonly kind: 'intrinsic'; readonly name: MofIntrinsic }
  | { readonly kind: 'ref'; readonly className: string }
  | { readonly kind: 'class'; readonly className: string }
  | { readonly kind: 'object' };

export type MofIntrinsic =
  | 'uint8' | 'sint8' | 'uint16' | 'sint16' | 'uint32' | 'sint32' | 'uint64' | 'sint64'
  | 'real32' | 'real64' | 'boolean' | 'string' | 'char16' | 'datetime';

export interface MofArraySpec {
  /** `[4]`: fixed size; absent for `[]` */
  readonly size?: number;
}

export interface MofPropertyDecl {
  readonly name: string;
  readonly type: MofTypeRef;
  /** present when the declaration has `[]` / `[n]` */
  readonly array?: MofArraySpec;
  readonly defaultValue?: MofValue;
  readonly qualifiers: readonly MofQualifier[];
  readonly pos: MofPos;
}

export interface MofParameterDecl {
  readonly name: string;
  readonly type: MofTypeRef;
  readonly array?: MofArraySpec;
  readonly defaultValue?: MofValue;
  readonly qualifiers: readonly MofQualifier[];
  readonly pos: MofPos;
}

export interface MofMethodDecl {
  readonly name: string;
  readonly returnType: MofTypeRef;
  readonly parameters: readonly MofParameterDecl[];
  readonly qualifiers: readonly MofQualifier[];
  readonly pos: MofPos;
}

export interface MofClassDecl {
  readonly kind: 'class';
  readonly name: string;
  readonly superClass?: string;
  readonly qualifiers: readonly MofQualifier[];
  readonly properties: readonly MofPropertyDecl[];
  readonly methods: readonly MofMethodDecl[];
  readonly pos: MofPos;
}

export interface MofPropertyInit {
  readonly name: string;
  readonly value: MofValue;
  readonly qualifiers: readonly MofQualifier[];
  readonly pos: MofPos;
}

export interface MofInstanceDecl {
  readonly kind: 'instance';
  readonly className: string;
  readonly alias?: string;
  readonly qualifiers: readonly MofQualifier[];
  readonly properties: readonly MofPropertyInit[];
  readonly pos: MofPos;
}

/** Meta-elements a qualifier may be applied to (DSP0221 `Scope(...)`). */
export type MofScope = 'class' | 'association' | 'indication' | 'property' | 'reference' | 'method' | 'parameter' | 'qualifier' | 'any';

export interface MofQualifierTypeDecl {
  readonly kind: 'qualifier';
  readonly name: string;
  readonly type: MofIntrinsic;
  readonly array?: MofArraySpec;
  readonly defaultValue?: MofValue;
  readonly scopes: readonly MofScope[];
  readonly flavors: readonly MofFlavor[];
  readonly pos: MofPos;
}

/** `#pragma name(args)`; arguments are literals or bare identifiers (`NOFAIL`). */
export interface MofPragma {
  readonly kind: 'pragma';
  /** lower-cased pragma name */
  readonly name: string;
  readonly args: readonly (MofLiteral | { readonly kind: 'identifier'; readonly name: string })[];
  readonly pos: MofPos;
}

export type MofProduction = MofPragma | MofClassDecl | MofInstanceDecl | MofQualifierTypeDecl;

export interface MofFile {
  readonly file: string;
  readonly productions: readonly MofProduction[];
}
