/**
 * The XPath reads libvirt's Hyper-V driver makes on answers, evaluated the way openwsman does
 * (wsman-libxml2-binding.c xml_parser_get_xpath_value):
 *
 * - prefixes are registered from the namespaces in scope on the Envelope, then from those in
 *   scope on the first child of s:Body (xmlGetNsList + xmlXPathRegisterNs, the later registration
 *   winning) — so `p:` means whatever the OUTPUT element binds it to, and a default namespace
 *   (xmlns="…") in scope stops the registration (xmlXPathRegisterNs refuses a NULL prefix and
 *   register_namespaces returns at the first failure): we refuse such answers outright;
 * - the value is the text of the first node matched (xmlNodeListGetString of its children: direct
 *   text and CDATA children, not descendants), untrimmed.
 *
 * Supported syntax (all libvirt uses): absolute paths of QName steps (`/s:Envelope/s:Body/…`),
 * `//` (descendant-or-self), `*`, and predicates `[@Attr='v']` / `[n]`.
 */
import { childElements, type XmlElement } from '../../src/xml/dom.js';

const SOAP = 'http://www.w3.org/2003/05/soap-envelope';

/** The prefix → namespace map openwsman registers for an answer document. */
export function openwsmanNamespaces(doc: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  const register = (el: XmlElement) => {
    for (const [prefix, uri] of Object.entries(el.scope)) {
      if (prefix === '') throw new Error(`a default namespace (${uri}) is in scope on <${el.local}>: openwsman stops registering prefixes there`);
      if (prefix === 'xml') continue;
      out[prefix] = uri;
    }
  };
  register(doc);
  const body = childElements(doc).find((c) => c.ns === SOAP && c.local === 'Body');
  const first = body ? childElements(body)[0] : undefined;
  if (first) register(first);
  return out;
}

interface Step {
  readonly descendant: boolean;
  readonly ns?: string;
  readonly local: string;
  readonly attrPredicate?: { name: string; value: string };
  readonly index?: number;
}

function parseSteps(expr: string, ns: Record<string, string>): Step[] {
  if (!expr.startsWith('/')) throw new Error(`only absolute paths: ${expr}`);
  const steps: Step[] = [];
  const re = /(\/\/?)([A-Za-z_][\w.-]*:)?([A-Za-z_*][\w.-]*)((?:\[[^\]]*\])*)/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < expr.length && (m = re.exec(expr))) {
    at = re.lastIndex;
    const prefix = m[2]?.slice(0, -1);
    let uri: string | undefined;
    if (prefix !== undefined) {
      uri = ns[prefix];
      if (uri === undefined) throw new Error(`XPath prefix ${prefix} is not registered`);
    } else if (m[3] !== '*') {
      uri = ''; // an unprefixed name test means "no namespace" in XPath 1.0
    }
    let attrPredicate: Step['attrPredicate'];
    let index: number | undefined;
    for (const p of m[4].match(/\[[^\]]*\]/g) ?? []) {
      const a = /^\[@([\w:.-]+)\s*=\s*'([^']*)'\]$/.exec(p) ?? /^\[@([\w:.-]+)\s*=\s*"([^"]*)"\]$/.exec(p);
      const n = /^\[(\d+)\]$/.exec(p);
      if (a) attrPredicate = { name: a[1], value: a[2] };
      else if (n) index = Number(n[1]);
      else throw new Error(`unsupported predicate ${p}`);
    }
    steps.push({ descendant: m[1] === '//', ns: uri, local: m[3], attrPredicate, index });
  }
  if (at !== expr.length) throw new Error(`cannot parse XPath at ${expr.slice(at)}`);
  return steps;
}

function matches(el: XmlElement, s: Step): boolean {
  if (s.local !== '*' && el.local !== s.local) return false;
  if (s.ns !== undefined && el.ns !== s.ns) return false;
  if (s.attrPredicate) {
    const a = el.attrs.find((x) => x.prefix === '' && x.local === s.attrPredicate!.name);
    if (!a || a.value !== s.attrPredicate.value) return false;
  }
  return true;
}

function descendantsOrSelf(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [el];
  for (const c of childElements(el)) out.push(...descendantsOrSelf(c));
  return out;
}

/** Every element the expression selects, in document order. */
export function xpathSelect(doc: XmlElement, expr: string, ns = openwsmanNamespaces(doc)): XmlElement[] {
  const steps = parseSteps(expr, ns);
  // the document node's only child is the root element
  let context: XmlElement[] = [];
  let first = true;
  for (const s of steps) {
    let candidates: XmlElement[];
    if (first) {
      candidates = s.descendant ? descendantsOrSelf(doc) : [doc];
      first = false;
    } else {
      candidates = context.flatMap((c) => (s.descendant ? descendantsOrSelf(c).slice(1) : childElements(c)));
    }
    let selected = candidates.filter((c) => matches(c, s));
    if (s.index !== undefined) selected = selected.length >= s.index ? [selected[s.index - 1]] : [];
    context = [...new Set(selected)];
  }
  return context;
}

/** ws_xml_get_xpath_value: the text children of the first match, or undefined (NULL). */
export function xpathValue(doc: XmlElement, expr: string): string | undefined {
  const [el] = xpathSelect(doc, expr);
  if (!el) return undefined;
  return el.children.filter((c) => c.kind === 'text').map((c) => (c as { text: string }).text).join('');
}
