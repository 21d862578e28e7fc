/**
 * CIM instances, values and EPRs as Windows writes them in WS-Man bodies (DSP0230 as applied by
 * Windows; wire notes §3.2, §4.2): element named after the class, `p` bound on it to the class URI
 * in the request's form, `xsi:type="p:<Class>_Type"`, properties in case-insensitive alphabetical
 * order, every property present (null → xsi:nil), arrays as repeated elements.
 *
 * Responses declare `a` and `w` on the Envelope, so EPRs inside instances use those prefixes.
 */
import type { CimClass, CimInstance, CimPropertyDecl, CimRef, CimScalar, CimTypedElement, CimValue } from '../../cim/types.js';
import { isDateTime, isInstance, isRef } from '../../cim/types.js';
import { formatDateTimeXs, formatScalarText } from '../../cim/values.js';
import { NS } from '../namespaces.js';
import { escapeAttr, escapeText } from '../../xml/escape.js';
import { classUri } from '../uris.js';
import { WSCIM_TYPE } from '../wscim.js';
import type { RenderContext } from './context.js';

const XSI_CIM = `xmlns:xsi="${NS.xsi}"`;

export interface InstanceRenderOptions {
  /** element name (defaults to the class name) */
  elementName?: string;
  /** add `xsi:type="cim:cim…"` to each property (MSFT_WmiError / __ExtendedStatus details) */
  typedProperties?: boolean;
  /** extra attributes for the instance element (e.g. `b:IsCIM_Error="true"` with its declaration) */
  extraAttributes?: string;
  /** only these properties (WQL select list), in the given order */
  properties?: readonly CimPropertyDecl[];
}

/** The instance element with its namespace declarations, as one string. */
export function renderInstance(inst: CimInstance, cls: CimClass, ctx: RenderContext, opts: InstanceRenderOptions = {}): string {
  const uri = classUri(ctx.uriForm, inst.namespace ?? ctx.namespace, cls.name);
  const el = opts.elementName ?? cls.name;
  let s =
    `<p:${el} ${XSI_CIM} xmlns:p="${escapeAttr(uri)}" xmlns:cim="${NS.cim}"` +
    (opts.extraAttributes ? ' ' + opts.extraAttributes : '') +
    ` xsi:type="p:${cls.name}_Type">`;
  s += renderProperties(inst, cls, 'p', ctx, opts);
  return s + `</p:${el}>`;
}

/** Property elements of an instance, in Windows order, with a given prefix. */
export function renderProperties(
  inst: CimInstance,
  cls: CimClass,
  prefix: string,
  ctx: RenderContext,
  opts: InstanceRenderOptions = {},
): string {
  let s = '';
  for (const decl of opts.properties ?? cls.sortedProperties) {
    s += renderValue(prefix, decl, inst.props[decl.name] ?? null, ctx, opts.typedProperties ?? false);
  }
  return s;
}

/** One property or parameter: zero or more elements named `prefix:Name`. */
export function renderValue(prefix: string, decl: CimTypedElement, value: CimValue | undefined, ctx: RenderContext, typed = false): string {
  const tag = prefix + ':' + decl.name;
  const typeAttr = typed ? ` xsi:type="cim:${WSCIM_TYPE[decl.type]}"` : '';
  if (value === null || value === undefined) {
    if (decl.isArray && ctx.preciseArrays) {
      return `<${tag} xmlns:m="${NS.p}" xsi:nil="true" m:IsNullArray="true"${typeAttr}/>`;
    }
    return `<${tag}${typeAttr} xsi:nil="true"/>`;
  }
  if (Array.isArray(value)) {
    // an empty array is written as no element at all (Windows omits empty arrays)
    let s = '';
    for (const v of value) s += renderScalar(tag, decl, v, ctx, typeAttr);
    return s;
  }
  return renderScalar(tag, decl, value as CimScalar, ctx, typeAttr);
}

function renderScalar(tag: string, decl: CimTypedElement, v: CimScalar, ctx: RenderContext, typeAttr: string): string {
  if (isDateTime(v)) {
    const inner = v.kind === 'interval' ? 'cim:Interval' : 'cim:Datetime';
    return `<${tag}${typeAttr}><${inner}>${formatDateTimeXs(v)}</${inner}></${tag}>`;
  }
  if (isRef(v)) return `<${tag}${typeAttr}>${renderEprContent(v, ctx)}</${tag}>`;
  if (isInstance(v)) {
    if (decl.type === 'string') {
      // EmbeddedInstance-qualified string: CIM-XML text, escaped, as WMI GetText(1) gives it
      return `<${tag}${typeAttr}>${escapeText(ctx.embeddedText(v))}</${tag}>`;
    }
    const cls = ctx.classOf(v.className);
    if (!cls) return `<${tag} xsi:nil="true"/>`;
    const uri = classUri(ctx.uriForm, v.namespace ?? ctx.namespace, cls.name);
    return (
      `<${tag} xmlns:q="${escapeAttr(uri)}" xsi:type="q:${cls.name}_Type">` +
      renderProperties(v, cls, 'q', ctx) +
      `</${tag}>`
    );
  }
  return `<${tag}${typeAttr}>${escapeText(formatScalarText(decl.type, v))}</${tag}>`;
}

/** `a:Address` + `a:ReferenceParameters` of an EPR, for a reference value. */
export function renderEprContent(ref: CimRef, ctx: RenderContext): string {
  const ns = ref.namespace ?? ctx.namespace;
  const uri = classUri(ctx.uriForm, ns, ref.className);
  return (
    `<a:Address>${escapeText(ctx.address(ref.host))}</a:Address>` +
    `<a:ReferenceParameters><w:ResourceURI>${escapeText(uri)}</w:ResourceURI>` +
    `<w:SelectorSet>${renderSelectors(ref, ctx)}</w:SelectorSet></a:ReferenceParameters>`
  );
}

/** `a:EndpointReference` element (EnumerateEPR items, selector values). */
export function renderEpr(ref: CimRef, ctx: RenderContext): string {
  return `<a:EndpointReference>${renderEprContent(ref, ctx)}</a:EndpointReference>`;
}

function renderSelectors(ref: CimRef, ctx: RenderContext): string {
  let s = '';
  if (ctx.uriForm === 'dmtf') {
    // __cimnamespace first, only in DMTF-form EPRs (MS-WSMV product note <45>; OMI _PackEPR)
    s += `<w:Selector Name="__cimnamespace">${escapeText(ref.namespace ?? ctx.namespace)}</w:Selector>`;
  }
  const cls = ctx.classOf(ref.className);
  const names = cls ? cls.keys.map((k) => k.name) : Object.keys(ref.keys).sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  for (const name of names) {
    const v = ref.keys[name];
    if (v === undefined) continue;
    const decl = cls?.properties.get(name.toLowerCase());
    let text: string;
    if (isRef(v)) {
      s += `<w:Selector Name="${escapeAttr(name)}">${renderEpr(v, ctx)}</w:Selector>`;
      continue;
    } else if (isDateTime(v)) {
      text = formatDateTimeXs(v);
    } else {
      text = formatScalarText(decl?.type ?? 'string', v);
    }
    s += `<w:Selector Name="${escapeAttr(name)}">${escapeText(text)}</w:Selector>`;
  }
  return s;
}
