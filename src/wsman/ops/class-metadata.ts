/**
 * Class metadata as Windows serves it to the CIM cmdlets (MS-WSMV 3.1.4.1.38, wire notes §1.3):
 * Get or Enumerate on `http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/…` with
 * `__cimnamespace` and a `ClassName` selector, answered with CIM-XML (DSP0201) `<CLASS>`
 * declarations generated from the MOF. Options: IncludeInheritanceHierarchy,
 * IncludeInheritedElements, IncludeQualifiers, IncludeClassOrigin, IncludeSubClasses,
 * ExcludeClassSpecification.
 */
import { qualifierDeclLookup, writeClassForWsman, type WsmanClassWriteOptions } from '../../cim/cimxml/index.js';
import { CimError, CimStatus } from '../../cim/errors.js';
import type { CimClass, CimInstance } from '../../cim/types.js';
import { optionValue, type WsmanCall } from '../call.js';
import type { Selector } from '../epr.js';
import type { WsmanResponse } from '../request.js';
import type { Item } from './enum-source.js';

const T = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/';

/** An option's boolean value, or the default when absent. */
function flag(call: WsmanCall, name: string, dflt: boolean): boolean {
  const v = optionValue(call, name);
  if (v === undefined) return dflt;
  return v.toLowerCase() === 'true' || v === '1';
}

export function classWriteOptions(call: WsmanCall, namespace: string): WsmanClassWriteOptions {
  const schema = call.host.om.schema;
  const decls = schema.qualifierDeclarations?.(namespace);
  return {
    includeQualifiers: flag(call, 'IncludeQualifiers', false),
    includeClassOrigin: flag(call, 'IncludeClassOrigin', false),
    includeInheritedElements: flag(call, 'IncludeInheritedElements', false),
    includeInheritanceHierarchy: flag(call, 'IncludeInheritanceHierarchy', false),
    classOf: (n) => schema.getClass(namespace, n),
    qualifierDecl: decls ? qualifierDeclLookup(decls) : undefined,
  };
}

/** The class a metadata request names: the ClassName selector, else the URI's last segment. */
function requestedClass(uriClass: string | undefined, keys: readonly Selector[]): string | undefined {
  const sel = keys.find((k) => k.name.toLowerCase() === 'classname');
  const v = sel && typeof sel.value === 'string' ? sel.value.trim() : undefined;
  return v || uriClass || undefined;
}

function requireClass(call: WsmanCall, namespace: string, name: string): CimClass {
  const cls = call.host.om.schema.getClass(namespace, name);
  if (!cls) throw new CimError(CimStatus.INVALID_CLASS, `The class ${name} does not exist in the ${namespace} namespace.`, { operation: 'GetClass' });
  return cls;
}

export function getClassMetadata(call: WsmanCall, namespace: string, uriClass: string | undefined, keys: readonly Selector[]): WsmanResponse {
  const name = requestedClass(uriClass, keys);
  if (!name) throw new CimError(CimStatus.INVALID_PARAMETER, 'A class name is required to get a class.', { operation: 'GetClass' });
  const cls = requireClass(call, namespace, name);
  return { kind: 'transfer', action: T + 'GetResponse', body: writeClassForWsman(cls, classWriteOptions(call, namespace)) };
}

/** The classes an Enumerate on the metadata URI lists, each written as a `<CLASS>` item. */
export function classMetadataItems(call: WsmanCall, namespace: string, uriClass: string | undefined, keys: readonly Selector[]): {
  items: Iterable<Item>;
  render: (inst: CimInstance, cls: CimClass) => string;
} {
  const schema = call.host.om.schema;
  const name = requestedClass(uriClass, keys);
  let classes: readonly CimClass[];
  if (!name) {
    classes = schema.classes(namespace);
  } else {
    const cls = requireClass(call, namespace, name);
    const deep = flag(call, 'IncludeSubClasses', false);
    classes = deep ? schema.subclasses(namespace, cls.name, { deep: true, includeSelf: true }) : [cls];
    if (flag(call, 'ExcludeClassSpecification', false)) classes = classes.filter((c) => c !== cls);
  }
  const opts = classWriteOptions(call, namespace);
  const items = classes.map((cls) => ({ inst: { className: cls.name, props: {} }, cls }));
  return { items, render: (_inst, cls) => writeClassForWsman(cls, opts) };
}
