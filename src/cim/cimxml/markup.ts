/**
 * The two halves of CIM-XML handling that are pure XML: building tags as strings (responses are
 * strings end to end, see src/xml/escape.ts) and walking the parsed tree of src/xml/dom.ts with
 * errors that speak CIM ({@link CimValueError}) instead of XML.
 *
 * CIM-XML has no XML namespaces; elements are matched on their local name only, so a document
 * that wraps them in a default namespace is read the same.
 */
import { CimValueError } from '../errors.js';
import { attr, type XmlElement } from '../../xml/dom.js';
import { escapeAttr, escapeText } from '../../xml/escape.js';

/** Attributes in output order; undefined values are left out. */
export type AttrList = ReadonlyArray<readonly [string, string | undefined]>;

export function startTag(name: string, attrs: AttrList = []): string {
  let s = '<' + name;
  for (const [k, v] of attrs) if (v !== undefined) s += ` ${k}="${escapeAttr(v)}"`;
  return s + '>';
}

/**
 * An element with an explicit end tag, even when empty: WMI writes `<PROPERTY …></PROPERTY>` for a
 * null property (GetText_ output recorded in OpenStack nova's Hyper-V test stubs), and so do we.
 */
export function element(name: string, attrs: AttrList, content = ''): string {
  return startTag(name, attrs) + content + `</${name}>`;
}

/** `<VALUE>text</VALUE>` with the text escaped. */
export function valueElement(text: string): string {
  return `<VALUE>${escapeText(text)}</VALUE>`;
}

// ---- reading ----------------------------------------------------------------------------------

/** Element children; text between them must be whitespace (CIM-XML has no mixed content). */
export function elementChildren(el: XmlElement, where: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.kind === 'element') out.push(c);
    else if (c.text.trim() !== '') throw new CimValueError(`${where}: unexpected text inside <${el.local}>.`);
  }
  return out;
}

/** Character content of an element that may hold text only (VALUE, KEYVALUE, HOST). */
export function textContent(el: XmlElement, where: string): string {
  let s = '';
  for (const c of el.children) {
    if (c.kind === 'element') throw new CimValueError(`${where}: <${el.local}> must contain text only, found <${c.local}>.`);
    s += c.text;
  }
  return s;
}

export function requiredAttr(el: XmlElement, name: string, where: string): string {
  const v = attr(el, name);
  if (v === undefined) throw new CimValueError(`${where}: <${el.local}> has no ${name} attribute.`);
  return v;
}

export { attr };
