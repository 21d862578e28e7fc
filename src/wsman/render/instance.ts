/**
 * CIM instances, values and EPRs as Windows writes them in WS-Man bodies (DSP0230 as applied by
 * Windows; wire notes §3.2, §4.2): element named after the class, `p` bound on it to the class URI
 * in the request's form, `xsi:type="p:<Class>_Type"`, properties in case-insensitive alphabetical
 * order, every property present (null → xsi:nil), arrays as repeated elements.
 *
 * Responses declare `a` and `w` on the Envelope, so EPRs inside instances use those prefixes.
 */
import type { CimClass, CimDateTime, CimInstance, CimPropertyDecl, CimRef, CimScalar, CimTypedElement, CimValue } from '../../cim/types.js';
import { isDateTime, isInstance, isRef } from '../../cim/types.js';
import { formatDateTimeXs, formatScalarText } from '../../cim/values.js';
import { NS } from '../namespaces.js';
import { escapeAttr, escapeText } from '../../xml/escape.js';
import { classUri, type UriForm } from '../uris.js';
import { WSCIM_TYPE } from '../wscim.js';
import type { RenderContext } from './context.js';

/** `localeCompare(b, 'en', { sensitivity: 'base' })` without building a collator per comparison. */
const byName = new Intl.Collator('en', { sensitivity: 'base' }).compare;

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

/**
 * Text as a flat one-byte string when it is Latin-1. Names come from the MOF sources, and a source
 * file with one character beyond Latin-1 makes every name sliced from it a two-byte string; one
 * such piece makes a whole answer two-byte (twice the memory, slower to flatten and encode). The
 * fixed pieces of the answers are cached, so this runs once per name.
 */
export function oneByte(text: string): string {
  return LATIN1.test(text) ? Buffer.from(text, 'latin1').toString('latin1') : text;
}
const LATIN1 = /^[\u0000-\u00ff]*$/;

/** The instance element's start and end tags, per class and class URI (the request's form). */
const elementTags = new WeakMap<CimClass, Map<string, { readonly open: string; readonly close: string }>>();

/** The instance element with its namespace declarations, as one string. */
export function renderInstance(inst: CimInstance, cls: CimClass, ctx: RenderContext, opts: InstanceRenderOptions = {}): string {
  const uri = classUri(ctx.uriForm, inst.namespace ?? ctx.namespace, cls.name);
  if (opts.elementName === undefined && !opts.extraAttributes) {
    let byUri = elementTags.get(cls);
    if (!byUri) elementTags.set(cls, (byUri = new Map()));
    let t = byUri.get(uri);
    if (!t) {
      t = {
        open: oneByte(`<p:${cls.name} ${XSI_CIM} xmlns:p="${escapeAttr(uri)}" xmlns:cim="${NS.cim}" xsi:type="p:${cls.name}_Type">`),
        close: oneByte(`</p:${cls.name}>`),
      };
      byUri.set(uri, t);
    }
    return t.open + renderProperties(inst, cls, 'p', ctx, opts) + t.close;
  }
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
  const typed = opts.typedProperties ?? false;
  const props = inst.props;
  if (opts.properties === undefined) {
    // every property in class order: the tags of all of them in one lookup
    const decls = cls.sortedProperties;
    const tags = classTags(cls, prefix);
    for (let i = 0; i < decls.length; i++) {
      const decl = decls[i];
      s += valueXml(tags[i], decl, props[decl.name] ?? null, ctx, typed);
    }
    return s;
  }
  for (const decl of opts.properties) s += renderValue(prefix, decl, props[decl.name] ?? null, ctx, typed);
  return s;
}

/** The tags of a class's properties (sortedProperties order), per prefix. */
const classTagCache = new WeakMap<CimClass, Map<string, readonly Tags[]>>();

function classTags(cls: CimClass, prefix: string): readonly Tags[] {
  let byPrefix = classTagCache.get(cls);
  if (!byPrefix) classTagCache.set(cls, (byPrefix = new Map()));
  let tags = byPrefix.get(prefix);
  if (!tags) byPrefix.set(prefix, (tags = cls.sortedProperties.map((d) => tagsOf(prefix, d))));
  return tags;
}

/**
 * The fixed pieces of one property's elements (per declaration and prefix, untyped): written on
 * every answer, built once. Declarations live as long as the schema.
 */
interface Tags {
  readonly tag: string;
  /** `<p:Name>` */
  readonly open: string;
  /** `</p:Name>` */
  readonly close: string;
  /** `<p:Name xsi:nil="true"/>` */
  readonly nil: string;
}

const tagCache = new WeakMap<CimTypedElement, Map<string, Tags>>();

function tagsOf(prefix: string, decl: CimTypedElement): Tags {
  let byPrefix = tagCache.get(decl);
  if (!byPrefix) tagCache.set(decl, (byPrefix = new Map()));
  let t = byPrefix.get(prefix);
  if (!t) {
    const tag = oneByte(prefix + ':' + decl.name);
    t = { tag, open: oneByte(`<${tag}>`), close: oneByte(`</${tag}>`), nil: oneByte(`<${tag} xsi:nil="true"/>`) };
    byPrefix.set(prefix, t);
  }
  return t;
}

/** One property or parameter: zero or more elements named `prefix:Name`. */
export function renderValue(prefix: string, decl: CimTypedElement, value: CimValue | undefined, ctx: RenderContext, typed = false): string {
  return valueXml(tagsOf(prefix, decl), decl, value, ctx, typed);
}

function valueXml(tags: Tags, decl: CimTypedElement, value: CimValue | undefined, ctx: RenderContext, typed: boolean): string {
  if (!typed) {
    // the common case, without building the tags again: plain scalars and nulls
    if (value === null || value === undefined) {
      if (decl.isArray && ctx.preciseArrays) return `<${tags.tag} xmlns:m="${NS.p}" xsi:nil="true" m:IsNullArray="true"/>`;
      return tags.nil;
    }
    if (typeof value !== 'object') return tags.open + escapeText(formatScalarText(decl.type, value)) + tags.close;
  }
  const tag = tags.tag;
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
    for (const v of value) s += typeof v !== 'object' && !typed ? tags.open + escapeText(formatScalarText(decl.type, v)) + tags.close : renderScalar(tag, decl, v, ctx, typeAttr);
    return s;
  }
  return renderScalar(tag, decl, value as CimScalar, ctx, typeAttr);
}

/**
 * xs:dateTime text of UTC timestamps with whole milliseconds, by epoch ms: a job's or a VM's times
 * are written on every Get and Pull and change rarely. Bounded; emptied when full.
 */
const utcTimestamps = new Map<number, string>();

function dateTimeText(v: CimDateTime): string {
  if (v.kind !== 'timestamp' || v.micros !== 0 || v.offsetMinutes !== 0) return formatDateTimeXs(v);
  let t = utcTimestamps.get(v.epochMs);
  if (t === undefined) {
    if (utcTimestamps.size >= 65_536) utcTimestamps.clear();
    t = formatDateTimeXs(v);
    utcTimestamps.set(v.epochMs, t);
  }
  return t;
}

function renderScalar(tag: string, decl: CimTypedElement, v: CimScalar, ctx: RenderContext, typeAttr: string): string {
  if (isDateTime(v)) {
    const inner = v.kind === 'interval' ? 'cim:Interval' : 'cim:Datetime';
    return `<${tag}${typeAttr}><${inner}>${dateTimeText(v)}</${inner}></${tag}>`;
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
  const uri = refClassUri(ctx.uriForm, ns, ref.className);
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
  const names = cls ? cls.keys.map((k) => k.name) : Object.keys(ref.keys).sort(byName);
  for (const name of names) {
    const v = ref.keys[name];
    if (v === undefined) continue;
    const decl = cls?.properties.get(name.toLowerCase());
    let text: string;
    if (isRef(v)) {
      s += selectorOpen(name) + renderEpr(v, ctx) + '</w:Selector>';
      continue;
    } else if (isDateTime(v)) {
      text = formatDateTimeXs(v);
    } else {
      text = formatScalarText(decl?.type ?? 'string', v);
    }
    s += selectorOpen(name) + escapeText(text) + '</w:Selector>';
  }
  return s;
}

/** Class URIs of references, one-byte, per form, namespace and class name. */
const refUris = { wmi: new Map<string, Map<string, string>>(), dmtf: new Map<string, Map<string, string>>() };
function refClassUri(form: UriForm, ns: string, className: string): string {
  const forms = refUris[form];
  let byNs = forms.get(className);
  if (!byNs) {
    if (forms.size >= 4096) forms.clear();
    forms.set(className, (byNs = new Map()));
  }
  let u = byNs.get(ns);
  if (u === undefined) {
    u = oneByte(classUri(form, ns, className));
    byNs.set(ns, u);
  }
  return u;
}

/** `<w:Selector Name="…">` per key name, one-byte (key names come from the MOF sources). */
const selectorOpens = new Map<string, string>();
function selectorOpen(name: string): string {
  let t = selectorOpens.get(name);
  if (t === undefined) {
    if (selectorOpens.size >= 4096) selectorOpens.clear();
    t = oneByte(`<w:Selector Name="${escapeAttr(name)}">`);
    selectorOpens.set(name, t);
  }
  return t;
}
