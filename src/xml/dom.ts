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
import { fastParseXml } from './fast-parse.js';

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

/**
 * What parsing has cost so far in this process (work counters for tests and the bench): documents
 * read by the fast path, documents read by saxes, and saxes parsers created (they are reused).
 */
export const xmlParseStats = { fast: 0, saxes: 0, saxesParsersCreated: 0 };

/** Parse a whole document into its root element. Throws {@link XmlParseError}. */
export function parseXml(text: string, options: XmlParseOptions = {}): XmlElement {
  const limits = options.limits ? { ...DEFAULT_XML_LIMITS, ...options.limits } : DEFAULT_XML_LIMITS;
  const fast = fastParseXml(text, limits, options.fallbackPrefixes);
  if (fast) {
    xmlParseStats.fast++;
    return fast;
  }
  return parseXmlWithSaxes(text, options);
}

/** The state one saxes parse builds; the reused parsers' handlers work on the current one. */
interface SaxesRun {
  limits: XmlParseLimits;
  stack: XmlElement[];
  root: XmlElement | undefined;
  count: number;
  failure: XmlParseError | undefined;
}

let run: SaxesRun | undefined;

function fail(r: SaxesRun, e: XmlParseError): never {
  if (!r.failure) r.failure = e;
  throw e;
}

function newSaxesParser(fallback: Readonly<Record<string, string>> | undefined): SaxesParser {
  xmlParseStats.saxesParsersCreated++;
  const parser = new SaxesParser({
    xmlns: true,
    position: false,
    resolvePrefix: fallback ? (p: string) => fallback[p] : undefined,
  });
  parser.on('doctype', () => fail(run!, new XmlParseError('doctype', 'DTDs are not allowed.')));
  parser.on('error', (err: Error) => fail(run!, new XmlParseError('syntax', err.message)));
  parser.on('opentag', (tag: SaxesTagNS) => {
    const r = run!;
    const { limits, stack } = r;
    if (++r.count > limits.maxElements) fail(r, new XmlParseError('limit', 'Too many elements.'));
    if (stack.length >= limits.maxDepth) fail(r, new XmlParseError('limit', 'Elements are nested too deeply.'));
    if (tag.name.length > limits.maxNameLength) fail(r, new XmlParseError('limit', 'An element name is too long.'));
    const attrs: XmlAttr[] = [];
    const parentScope = stack.length ? stack[stack.length - 1].scope : undefined;
    let scope: Record<string, string> | undefined;
    let n = 0;
    for (const key in tag.attributes) {
      if (++n > limits.maxAttributes) fail(r, new XmlParseError('limit', 'Too many attributes.'));
      const a = tag.attributes[key];
      if (a.name.length > limits.maxNameLength) fail(r, new XmlParseError('limit', 'An attribute name is too long.'));
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
    else if (r.root) fail(r, new XmlParseError('syntax', 'More than one root element.'));
    else r.root = el;
    stack.push(el);
  });
  parser.on('closetag', () => {
    run!.stack.pop();
  });
  parser.on('text', (t: string) => {
    const { stack } = run!;
    if (stack.length) stack[stack.length - 1].children.push({ kind: 'text', text: t, cdata: false });
  });
  parser.on('cdata', (t: string) => {
    const { stack } = run!;
    if (stack.length) stack[stack.length - 1].children.push({ kind: 'text', text: t, cdata: true });
  });
  return parser;
}

/** Reused saxes parsers, one per fallback-prefix table (a parser resets itself when it closes). */
const saxesByFallback = new WeakMap<object, SaxesParser>();
let saxesPlain: SaxesParser | undefined;

/**
 * Parse with saxes only (the reference path; {@link parseXml} uses it for whatever the fast path
 * does not take). Throws {@link XmlParseError}.
 */
export function parseXmlWithSaxes(text: string, options: XmlParseOptions = {}): XmlElement {
  xmlParseStats.saxes++;
  const limits = options.limits ? { ...DEFAULT_XML_LIMITS, ...options.limits } : DEFAULT_XML_LIMITS;
  const fallback = options.fallbackPrefixes;
  let parser = fallback ? saxesByFallback.get(fallback) : saxesPlain;
  // a parser is in use only during this synchronous call; nested use (none today) gets its own
  const reusable = run === undefined;
  if (!parser || !reusable) parser = newSaxesParser(fallback);
  const r: SaxesRun = { limits, stack: [], root: undefined, count: 0, failure: undefined };
  const outer = run;
  run = r;
  let clean = false;
  try {
    parser.write(text).close();
    clean = true;
  } catch (e) {
    if (r.failure) throw r.failure;
    throw new XmlParseError('syntax', e instanceof Error ? e.message : String(e));
  } finally {
    run = outer;
    // a parser that threw mid-document is left in that state: drop it rather than reuse it
    if (reusable) {
      if (clean) {
        if (fallback) saxesByFallback.set(fallback, parser);
        else saxesPlain = parser;
      } else if (fallback) {
        saxesByFallback.delete(fallback);
      } else {
        saxesPlain = undefined;
      }
    }
  }
  if (r.failure) throw r.failure;
  if (!r.root) throw new XmlParseError('syntax', 'The document has no root element.');
  return r.root;
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

/** Descendant elements (not `el` itself) with this namespace and local name, depth first in document order. */
export function descendantsNamed(el: XmlElement, ns: string, local: string): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    for (const c of e.children) {
      if (c.kind !== 'element') continue;
      if (c.local === local && c.ns === ns) out.push(c);
      walk(c);
    }
  };
  walk(el);
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
