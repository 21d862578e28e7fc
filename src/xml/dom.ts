/**
 * A small namespace-resolved element tree built from saxes (strict, namespace-aware) events.
 *
 * Why our own tree: saxes is a streaming parser, and the SOAP/CIM-XML readers want random access
 * to a few elements by namespace URI; a full DOM (xmldom, libxml bindings) costs several times the
 * parse itself on the hot path. The tree keeps only what the readers need.
 *
 * Safety: a DOCTYPE is refused (so no entity is ever declared, let alone expanded), undefined
 * entity references are errors in saxes' strict mode, and depth, element count and name length
 * are bounded so hostile input costs bounded memory.
 */
import { SaxesParser, type SaxesTagNS } from 'saxes';

export interface XmlAttr {
  readonly ns: string;
  readonly local: string;
  readonly prefix: string;
  readonly value: string;
}

export interface XmlText {
  readonly kind: 'text';
  readonly text: string;
  readonly cdata: boolean;
}

export interface XmlElement {
  readonly kind: 'element';
  readonly ns: string;
  readonly local: string;
  readonly prefix: string;
  readonly attrs: readonly XmlAttr[];
  readonly children: Array<XmlElement | XmlText>;
  /** namespace bindings in scope at this element (prefix → URI), for QName-valued content */
  readonly scope: Readonly<Record<string, string>>;
}

export type XmlNode = XmlElement | XmlText;

export class XmlParseError extends Error {
  /** why: 'syntax' (not well-formed), 'doctype' (DTD present), 'limit' (a bound was exceeded) */
  readonly reason: 'syntax' | 'doctype' | 'limit';
  constructor(reason: 'syntax' | 'doctype' | 'limit', message: string) {
    super(message);
    this.name = 'XmlParseError';
    this.reason = reason;
  }
}

export interface XmlParseLimits {
  maxDepth: number;
  maxElements: number;
  maxNameLength: number;
  maxAttributes: number;
}

export const DEFAULT_XML_LIMITS: XmlParseLimits = {
  maxDepth: 128,
  maxElements: 200_000,
  maxNameLength: 1024,
  maxAttributes: 256,
};

export interface XmlParseOptions {
  limits?: Partial<XmlParseLimits>;
  /** prefixes to resolve when a document uses them without declaring them (lenient readers) */
  fallbackPrefixes?: Readonly<Record<string, string>>;
}

const XML_NS = 'http://www.w3.org/XML/1998/namespace';

/** Parse a whole document into its root element. Throws {@link XmlParseError}. */
export function parseXml(text: string, options: XmlParseOptions = {}): XmlElement {
  const limits = { ...DEFAULT_XML_LIMITS, ...options.limits };
  const fallback = options.fallbackPrefixes;
  const parser = new SaxesParser({
    xmlns: true,
    position: false,
    resolvePrefix: fallback ? (p: string) => fallback[p] : undefined,
  });
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let count = 0;
  let failure: XmlParseError | undefined;

  const fail = (e: XmlParseError) => {
    if (!failure) failure = e;
    throw e;
  };

  parser.on('doctype', () => fail(new XmlParseError('doctype', 'DTDs are not allowed.')));
  parser.on('error', (err: Error) => fail(new XmlParseError('syntax', err.message)));
  parser.on('opentag', (tag: SaxesTagNS) => {
    if (++count > limits.maxElements) fail(new XmlParseError('limit', 'Too many elements.'));
    if (stack.length >= limits.maxDepth) fail(new XmlParseError('limit', 'Elements are nested too deeply.'));
    if (tag.name.length > limits.maxNameLength) fail(new XmlParseError('limit', 'An element name is too long.'));
    const attrs: XmlAttr[] = [];
    const parentScope = stack.length ? stack[stack.length - 1].scope : undefined;
    let scope: Record<string, string> | undefined;
    let n = 0;
    for (const key in tag.attributes) {
      if (++n > limits.maxAttributes) fail(new XmlParseError('limit', 'Too many attributes.'));
      const a = tag.attributes[key];
      if (a.name.length > limits.maxNameLength) fail(new XmlParseError('limit', 'An attribute name is too long.'));
      if (a.prefix === 'xmlns' || a.name === 'xmlns') {
        scope ??= { ...parentScope };
        scope[a.prefix === 'xmlns' ? a.local : ''] = a.value;
        continue;
      }
      attrs.push({ ns: a.uri, local: a.local, prefix: a.prefix, value: a.value });
    }
    const el: XmlElement = {
      kind: 'element',
      ns: tag.uri,
      local: tag.local,
      prefix: tag.prefix,
      attrs,
      children: [],
      scope: scope ?? parentScope ?? {},
    };
    if (stack.length) stack[stack.length - 1].children.push(el);
    else if (root) fail(new XmlParseError('syntax', 'More than one root element.'));
    else root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', (t: string) => {
    if (stack.length) stack[stack.length - 1].children.push({ kind: 'text', text: t, cdata: false });
  });
  parser.on('cdata', (t: string) => {
    if (stack.length) stack[stack.length - 1].children.push({ kind: 'text', text: t, cdata: true });
  });

  try {
    parser.write(text).close();
  } catch (e) {
    if (failure) throw failure;
    throw new XmlParseError('syntax', e instanceof Error ? e.message : String(e));
  }
  if (failure) throw failure;
  if (!root) throw new XmlParseError('syntax', 'The document has no root element.');
  return root;
}

// ---- navigation helpers -----------------------------------------------------------------------

export function childElements(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (c.kind === 'element') out.push(c);
  return out;
}

export function firstChild(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  for (const c of el.children) if (c.kind === 'element' && c.local === local && c.ns === ns) return c;
  return undefined;
}

export function childrenNamed(el: XmlElement, ns: string, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) if (c.kind === 'element' && c.local === local && c.ns === ns) out.push(c);
  return out;
}

/** Concatenated character content of the element's own text children (not descendants'). */
export function textOf(el: XmlElement): string {
  let s = '';
  for (const c of el.children) if (c.kind === 'text') s += c.text;
  return s;
}

/** True when the element has child elements (not only text). */
export function hasElementChildren(el: XmlElement): boolean {
  for (const c of el.children) if (c.kind === 'element') return true;
  return false;
}

export function attr(el: XmlElement, local: string, ns = ''): string | undefined {
  for (const a of el.attrs) if (a.local === local && a.ns === ns) return a.value;
  return undefined;
}

export function xmlLang(el: XmlElement): string | undefined {
  return attr(el, 'lang', XML_NS);
}

/** Resolve a QName found in content (e.g. xsi:type) against the element's scope. */
export function resolveQName(el: XmlElement, qname: string): { ns: string | undefined; local: string } {
  const i = qname.indexOf(':');
  if (i < 0) return { ns: el.scope[''], local: qname };
  return { ns: el.scope[qname.slice(0, i)], local: qname.slice(i + 1) };
}
