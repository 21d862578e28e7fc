/**
 * WS-Man XML → typed CIM values for properties (Put bodies) and parameters (Invoke input), per
 * the MOF declaration (DSP0230 as Windows reads it; wire notes §3.2–3.4). Windows reads untyped
 * text and ignores the MI client's `xsi:type="cim:cimString"` annotations (their `cim` prefix is
 * often undeclared), so we never resolve xsi:type on simple values.
 */
import { CimValueError } from '../../cim/errors.js';
import type { SchemaRegistry } from '../../cim/provider.js';
import type { CimInstance, CimScalar, CimTypedElement, CimValue } from '../../cim/types.js';
import { parseDateTime, parseScalarText } from '../../cim/values.js';
import { attr, childElements, hasElementChildren, textOf, type XmlElement } from '../../xml/dom.js';
import { parseEpr } from '../epr.js';
import { NS } from '../namespaces.js';
import { eprToRef } from '../selectors.js';

export interface ReadContext {
  readonly schema: SchemaRegistry;
  readonly namespace: string;
  /** CIM-XML (or MOF) text of an embedded instance → instance of `expectedClass` or a subclass */
  readonly parseEmbedded: (text: string, expectedClass: string | undefined) => CimInstance;
}

function isNil(el: XmlElement): boolean {
  const v = attr(el, 'nil', NS.xsi);
  return v !== undefined && (v.trim() === 'true' || v.trim() === '1');
}

/** The value of one feature given all the elements that carry it (in document order). */
export function readFeature(decl: CimTypedElement, elements: readonly XmlElement[], ctx: ReadContext): CimValue {
  if (elements.length === 0) return null;
  if (!decl.isArray) {
    if (elements.length > 1) throw new CimValueError(`'${decl.name}' is not an array but was given ${elements.length} times.`, decl.name);
    return isNil(elements[0]) ? null : readScalar(decl, elements[0], ctx);
  }
  if (elements.length === 1 && isNil(elements[0])) return null;
  const out: CimScalar[] = [];
  for (const el of elements) {
    if (isNil(el)) throw new CimValueError(`An element of the array '${decl.name}' is null.`, decl.name);
    out.push(readScalar(decl, el, ctx));
  }
  if (decl.arraySize !== undefined && out.length > decl.arraySize) {
    throw new CimValueError(`'${decl.name}' holds at most ${decl.arraySize} values.`, decl.name);
  }
  return out;
}

function readScalar(decl: CimTypedElement, el: XmlElement, ctx: ReadContext): CimScalar {
  switch (decl.type) {
    case 'datetime': {
      const kids = childElements(el);
      if (kids.length > 1) throw new CimValueError(`The datetime '${decl.name}' must have exactly one child.`, decl.name);
      const text = kids.length ? textOf(kids[0]) : textOf(el);
      return parseDateTime(text, decl.name);
    }
    case 'reference':
      return readReference(decl, el, ctx);
    case 'instance':
      return readInstance(decl, el, ctx);
    case 'string':
      if (decl.embeddedInstance || decl.embeddedObject) return readEmbedded(decl, el, ctx);
      if (hasElementChildren(el)) throw new CimValueError(`'${decl.name}' must be text, not elements.`, decl.name);
      return textOf(el);
    default:
      if (hasElementChildren(el)) throw new CimValueError(`'${decl.name}' must be text, not elements.`, decl.name);
      return parseScalarText(decl.type, textOf(el), decl.name);
  }
}

function readReference(decl: CimTypedElement, el: XmlElement, ctx: ReadContext): CimScalar {
  const kids = childElements(el);
  // the EPR's children directly (a:Address + a:ReferenceParameters), or a wrapped a:EndpointReference
  const eprEl = kids.length === 1 && kids[0].ns === NS.a && kids[0].local === 'EndpointReference' ? kids[0] : el;
  const hasParams = childElements(eprEl).some((c) => c.ns === NS.a && (c.local === 'ReferenceParameters' || c.local === 'ReferenceProperties'));
  if (!hasParams) throw new CimValueError(`'${decl.name}' must be an endpoint reference.`, decl.name);
  const ref = eprToRef(parseEpr(eprEl), ctx.schema, ctx.namespace);
  if (decl.refClass && !ctx.schema.isA(ref.namespace ?? ctx.namespace, ref.className, decl.refClass)) {
    throw new CimValueError(`'${decl.name}' must reference a ${decl.refClass}, not a ${ref.className}.`, decl.name);
  }
  return ref;
}

/** A nested element carrying an instance's properties (MI client's typed embedded object). */
function readInstance(decl: CimTypedElement, el: XmlElement, ctx: ReadContext): CimInstance {
  const typeAttr = attr(el, 'type', NS.xsi);
  let className = decl.refClass ?? decl.embeddedInstance;
  if (typeAttr) {
    const local = typeAttr.slice(typeAttr.indexOf(':') + 1).replace(/_Type$/, '');
    if (local) className = local;
  }
  if (!className) throw new CimValueError(`The embedded object '${decl.name}' does not name its class (xsi:type).`, decl.name);
  const cls = ctx.schema.getClass(ctx.namespace, className);
  if (!cls) throw new CimValueError(`The xsi:type attribute (${className}) does not identify an existing class.`, decl.name);
  const expected = decl.refClass ?? decl.embeddedInstance;
  if (expected && !ctx.schema.isA(ctx.namespace, cls.name, expected)) {
    throw new CimValueError(`'${decl.name}' must be a ${expected}, not a ${cls.name}.`, decl.name);
  }
  const props: Record<string, CimValue> = {};
  for (const [key, els] of groupChildren(el)) {
    const p = cls.properties.get(key);
    if (!p) throw new CimValueError(`The class ${cls.name} has no property ${els[0].local}.`, els[0].local);
    props[p.name] = readFeature(p, els, ctx);
  }
  return { className: cls.name, namespace: ctx.namespace, props };
}

function readEmbedded(decl: CimTypedElement, el: XmlElement, ctx: ReadContext): CimInstance {
  if (hasElementChildren(el)) return readInstance({ ...decl, refClass: decl.embeddedInstance }, el, ctx);
  const text = textOf(el).trim();
  if (!text) throw new CimValueError(`The embedded instance '${decl.name}' is empty.`, decl.name);
  return ctx.parseEmbedded(text, decl.embeddedInstance);
}

/** Group an element's children by local name (case-insensitive), preserving order. */
export function groupChildren(el: XmlElement): Map<string, XmlElement[]> {
  const groups = new Map<string, XmlElement[]>();
  for (const c of childElements(el)) {
    const key = c.local.toLowerCase();
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(c);
  }
  return groups;
}
