/**
 * The contract between the CIM object manager and the providers that give classes their
 * instances and behaviour (the role WMI providers play on Windows). Providers work with typed CIM
 * values only; they raise {@link CimError} for failures and never see XML or HTTP.
 */
import type { CimClass, CimInstance, CimMethodDecl, CimRef, CimScalar, CimValue } from './types.js';

/** Who is asking, on which host, in which namespace. */
export interface OperationContext {
  /** the host answering (its computer name) */
  readonly host: string;
  /** canonical namespace of the request */
  readonly namespace: string;
  /** the authenticated user, as the world file names it */
  readonly user: string;
}

/** What a method returns: ReturnValue plus out parameters keyed by their declared names. */
export interface MethodResult {
  readonly returnValue: number;
  readonly out?: Readonly<Record<string, CimValue>>;
}

/** The schema the object manager needs (implemented by src/cim/registry.ts). */
export interface SchemaRegistry {
  getClass(namespace: string, className: string): CimClass | undefined;
  hasNamespace(namespace: string): boolean;
  /** repository spelling of a namespace (case-insensitive, `\` or `/`) */
  canonicalNamespace(namespace: string): string | undefined;
  isA(namespace: string, className: string, ancestor: string): boolean;
  subclasses(namespace: string, className: string, opts: { deep: boolean; includeSelf: boolean }): readonly CimClass[];
  classes(namespace: string): readonly CimClass[];
  /** the namespace's qualifier type declarations (for CIM-XML class metadata) */
  qualifierDeclarations?(namespace: string): readonly QualifierDeclarationLike[];
}

/** A qualifier type declaration as the MOF declares it (type, array, flavors). */
export interface QualifierDeclarationLike {
  readonly name: string;
  readonly type: string;
  readonly array?: unknown;
  readonly flavors: readonly string[];
}

export interface InstanceProvider {
  /** instances of exactly `cls` (not of its subclasses), in a stable order */
  enumerate(ctx: OperationContext, cls: CimClass): Iterable<CimInstance>;
  /**
   * the instance with these key values (keys keyed by declared name), if it exists. Optional:
   * without it the object manager scans `enumerate`.
   */
  get?(ctx: OperationContext, cls: CimClass, keys: Readonly<Record<string, CimScalar>>): CimInstance | undefined;
  /** apply writable-property changes (already type-checked against the MOF) */
  modify?(ctx: OperationContext, cls: CimClass, current: CimInstance, changes: Readonly<Record<string, CimValue>>): CimInstance;
  create?(ctx: OperationContext, cls: CimClass, inst: CimInstance): CimRef;
  delete?(ctx: OperationContext, cls: CimClass, current: CimInstance): void;
  /**
   * an extrinsic method; `target` is undefined for static methods. In arguments are typed and
   * keyed by declared parameter name; absent parameters are missing from `args`.
   */
  invoke?(
    ctx: OperationContext,
    cls: CimClass,
    method: CimMethodDecl,
    target: CimInstance | undefined,
    args: Readonly<Record<string, CimValue>>,
  ): MethodResult;
  /**
   * For association classes: the association instances whose `role` (or any reference, when
   * undefined) points at `ref`. Optional shortcut so traversal costs O(related), not O(all).
   */
  referencesTo?(ctx: OperationContext, cls: CimClass, ref: CimRef, role: string | undefined): Iterable<CimInstance>;
  /** cheap instance count for sizing (optional) */
  count?(ctx: OperationContext, cls: CimClass): number;
  /**
   * Optional: the instances of `enumerate`, in its order, each as a partial instance holding only
   * the properties `names` (declared names; same class, namespace and values as the whole) and a
   * way to build the whole one; undefined when these properties are not cheap to give. Lets a
   * query's WHERE be decided before the instance is built.
   */
  enumeratePartial?(ctx: OperationContext, cls: CimClass, names: readonly string[]): Iterable<PartialInstance> | undefined;
}

/** An instance known in part (see `InstanceProvider.enumeratePartial`). */
export interface PartialInstance {
  readonly partial: CimInstance;
  full(): CimInstance;
}

/** Providers by class name (lower-cased). */
export type ProviderTable = ReadonlyMap<string, InstanceProvider>;

/** A model behind the CIM layer (the Hyper-V fabric, or a test's): the providers of each host. */
export interface FabricBackend {
  providers(hostName: string): ProviderTable;
  close?(): void;
}
