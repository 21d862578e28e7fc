/**
 * The fast path of {@link parseXml}: a strict, namespace-aware reader for the documents WS-Man
 * clients actually send (an optional XML declaration, elements, attributes, text, the predefined
 * entities and character references), building exactly the tree the saxes path builds.
 *
 * It never decides that a document is bad. Anything outside that subset, or anything saxes would
 * reject — a DOCTYPE, comments, processing instructions, CDATA, `\r` (saxes normalises line ends),
 * control characters, non-ASCII names, a bound exceeded, an unknown entity, an unbound prefix, a
 * duplicate attribute, a mismatched end tag, `]]>` in text, `<` in an attribute value… — makes it
 * answer `undefined`, and the caller parses the document with saxes, which produces the tree or the
 * error (with its message) exactly as before. Only well-formed documents take this path, so it
 * costs no behaviour; it exists because saxes' per-character state machine costs several times
 * more than the rest of a request (bench/README.md).
 *
 * What it must agree with saxes on (each point is covered by test/unit/perf/xml-fast-path.test.ts,
 * which compares both paths on generated documents):
 *  - one text node per run of character data between two tags, entities decoded into it;
 *    whitespace-only runs inside the root included, text outside the root dropped;
 *  - attribute values: literal TAB and LF become spaces, entities are decoded after that;
 *  - prefixes resolve through the in-scope declarations, then `xml`, then the fallback prefixes;
 *    unprefixed attributes have no namespace; `scope` keeps each declaration's value as written.
 */
import type { XmlAttr, XmlElement, XmlNode, XmlParseLimits } from './dom.js';

const XML_NS = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NS = 'http://www.w3.org/2000/xmlns/';

/** `<?xml version="1.0" [encoding="…"] [standalone="yes|no"]?>` at the very start. */
const XML_DECL = /^<\?xml[ \t\n]+version[ \t\n]*=[ \t\n]*(["'])1\.0\1(?:[ \t\n]+encoding[ \t\n]*=[ \t\n]*(["'])[A-Za-z][A-Za-z0-9._-]*\2)?(?:[ \t\n]+standalone[ \t\n]*=[ \t\n]*(["'])(?:yes|no)\3)?[ \t\n]*\?>/;

/** the attribute list of elements that have none (frozen: shared) */
const NO_ATTRS: readonly XmlAttr[] = Object.freeze([]);

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const EQ = 0x3d;
const DQ = 0x22;
const SQ = 0x27;

/** 1: may start a name, 2: may continue one (ASCII only; other names go to saxes). */
const NAME = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z_:]/.test(ch)) NAME[c] = 1;
  else if (/[0-9.\-]/.test(ch)) NAME[c] = 2;
}

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x09;

/** the colon of the last name scanned by {@link nameEnd}: -1 none, -2 not a QName (saxes refuses) */
const scanned = new Int32Array(1);

/** Where the (ASCII) name starting at `i` ends; its colon goes to `scanned[0]`. */
function nameEnd(text: string, i: number): number {
  const n = text.length;
  const start = i;
  let colon = -1;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128 || NAME[c] === 0) break;
    if (c === 0x3a) colon = colon === -1 ? i : -2;
    i++;
  }
  scanned[0] = colon === start || colon === i - 1 ? -2 : colon;
  return i;
}

/**
 * Characters saxes refuses or rewrites: controls other than TAB and LF (CR is normalised by
 * saxes), and everything from U+D800 (surrogates, U+FFFE/U+FFFF). A document with any of them, or
 * with `]]>` anywhere, is left to saxes. Checked once per document by the regular-expression
 * engine, which scans several times faster than a loop over charCodeAt; `]]>` is looked for apart
 * (`includes`): in one expression the alternative is tried at every position, which doubles the
 * scan (0.9 → 0.45 µs for a 1.5 KB Get).
 */
const SLOW_CHARS = /[\u0000-\u0008\u000b-\u001f\ud800-\uffff]/;

/** The next `ch` at or after `from` (Infinity when none), remembered between calls. */
class NextOf {
  private at = -1;
  constructor(
    private readonly text: string,
    private readonly ch: string,
  ) {}
  from(pos: number): number {
    if (this.at < pos) {
      const i = this.text.indexOf(this.ch, pos);
      this.at = i < 0 ? Infinity : i;
    }
    return this.at;
  }
}

/** The predefined entities and character references; undefined for anything else. */
function decodeEntities(s: string): string | undefined {
  let out = '';
  let pos = 0;
  for (let amp = s.indexOf('&'); amp >= 0; amp = s.indexOf('&', pos)) {
    const semi = s.indexOf(';', amp + 1);
    if (semi < 0) return undefined;
    out += s.slice(pos, amp);
    const name = s.slice(amp + 1, semi);
    switch (name) {
      case 'lt': out += '<'; break;
      case 'gt': out += '>'; break;
      case 'amp': out += '&'; break;
      case 'quot': out += '"'; break;
      case 'apos': out += "'"; break;
      default: {
        let num: number;
        if (/^#x[0-9a-fA-F]{1,6}$/.test(name)) num = parseInt(name.slice(2), 16);
        else if (/^#[0-9]{1,7}$/.test(name)) num = parseInt(name.slice(1), 10);
        else return undefined;
        const isChar =
          num === 0x9 || num === 0xa || num === 0xd || (num >= 0x20 && num <= 0xd7ff) || (num >= 0xe000 && num <= 0xfffd) || (num >= 0x10000 && num <= 0x10ffff);
        if (!isChar) return undefined;
        out += String.fromCodePoint(num);
      }
    }
    pos = semi + 1;
  }
  return out + s.slice(pos);
}

/**
 * The in-scope prefix bindings as two parallel stacks (prefix, URI), innermost last: resolving a
 * prefix compares a few short strings, where a keyed lookup in the scope object would first have to
 * intern the (freshly sliced) prefix. `marks[d]` is the stack height when depth d was opened.
 */
interface Bindings {
  prefixes: string[];
  uris: string[];
  size: number;
}

/** A prefix's namespace, or undefined when saxes would not resolve it to a non-empty URI. */
function resolvePrefix(b: Bindings, prefix: string, fallback: Readonly<Record<string, string>> | undefined): string | undefined {
  for (let i = b.size - 1; i >= 0; i--) {
    if (b.prefixes[i] === prefix) {
      const v = b.uris[i];
      return v === '' ? undefined : v;
    }
  }
  if (prefix === 'xml') return XML_NS;
  if (fallback && Object.hasOwn(fallback, prefix)) {
    const f: unknown = fallback[prefix];
    return typeof f === 'string' && f !== '' ? f : undefined;
  }
  return undefined;
}

/**
 * The document's root element, or undefined when the document is not one this path handles
 * (the caller then uses saxes). Documents with characters saxes refuses or rewrites never get here
 * ({@link SLOW_CHARS}); inside, character data and attribute values are found with indexOf and
 * looked at closely only when an `&`, `<`, TAB or LF falls within them.
 */
export function fastParseXml(
  text: string,
  limits: XmlParseLimits,
  fallback: Readonly<Record<string, string>> | undefined,
): XmlElement | undefined {
  if (SLOW_CHARS.test(text) || text.includes(']]>')) return undefined;
  const n = text.length;
  const nextLt = new NextOf(text, '<');
  const nextAmp = new NextOf(text, '&');
  const nextTab = new NextOf(text, '\t');
  const nextLf = new NextOf(text, '\n');
  let i = 0;
  if (text.charCodeAt(0) === LT && text.charCodeAt(1) === 0x3f) {
    const m = XML_DECL.exec(text);
    if (!m) return undefined;
    i = m[0].length;
  }
  while (i < n && isWs(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== LT) return undefined;

  const stack: XmlElement[] = [];
  /** each open element's name as written (for its end tag) */
  const names: string[] = [];
  let depth = 0;
  let root: XmlElement | undefined;
  let count = 0;
  const bindings: Bindings = { prefixes: [], uris: [], size: 0 };
  /** bindings.size before each open element's declarations */
  const marks: number[] = [];
  // the current tag's attributes: name, value, colon in the name (-1: none)
  const aNames: string[] = [];
  const aValues: string[] = [];
  const aColons: number[] = [];

  for (;;) {
    // here text[i] === '<'
    const c1 = text.charCodeAt(i + 1);
    if (c1 === SLASH) {
      // end tag: the open element's name, then optional spaces, then '>'
      if (depth === 0) return undefined;
      const qname = names[depth - 1];
      const start = i + 2;
      if (!text.startsWith(qname, start)) return undefined;
      let k = start + qname.length;
      let c = text.charCodeAt(k);
      while (isWs(c)) c = text.charCodeAt(++k);
      if (c !== GT) return undefined;
      depth--;
      bindings.size = marks[depth];
      i = k + 1;
      if (depth === 0) break;
    } else {
      // start tag
      if (c1 >= 128 || NAME[c1] !== 1) return undefined; // '!', '?', or not a name
      const start = i + 1;
      const end = nameEnd(text, start);
      const colon = scanned[0];
      if (colon === -2 || end - start > limits.maxNameLength) return undefined;
      if (++count > limits.maxElements || depth >= limits.maxDepth) return undefined;
      const qname = text.slice(start, end);
      let k = end;
      let na = 0;
      let selfClosing = false;
      for (;;) {
        let c = text.charCodeAt(k);
        const spaced = isWs(c);
        while (isWs(c)) c = text.charCodeAt(++k);
        if (c === GT) {
          k++;
          break;
        }
        if (c === SLASH) {
          if (text.charCodeAt(k + 1) !== GT) return undefined;
          k += 2;
          selfClosing = true;
          break;
        }
        if (!spaced || c >= 128 || NAME[c] !== 1) return undefined;
        const aStart = k;
        const aEnd = nameEnd(text, aStart);
        const aColon = scanned[0];
        if (aColon === -2 || aEnd - aStart > limits.maxNameLength || na >= limits.maxAttributes) return undefined;
        k = aEnd;
        c = text.charCodeAt(k);
        while (isWs(c)) c = text.charCodeAt(++k);
        if (c !== EQ) return undefined;
        c = text.charCodeAt(++k);
        while (isWs(c)) c = text.charCodeAt(++k);
        if (c !== DQ && c !== SQ) return undefined;
        const vStart = k + 1;
        k = text.indexOf(c === DQ ? '"' : "'", vStart);
        if (k < 0 || nextLt.from(vStart) < k) return undefined;
        let value = text.slice(vStart, k);
        if (nextAmp.from(vStart) < k || nextTab.from(vStart) < k || nextLf.from(vStart) < k) {
          if (value.includes('\t') || value.includes('\n')) value = value.replace(/[\t\n]/g, ' ');
          if (value.includes('&')) {
            const decoded = decodeEntities(value);
            if (decoded === undefined) return undefined;
            value = decoded;
          }
        }
        aNames[na] = text.slice(aStart, aEnd);
        aValues[na] = value;
        aColons[na] = aColon < 0 ? -1 : aColon - aStart;
        na++;
        k++;
        const after = text.charCodeAt(k);
        if (after !== GT && after !== SLASH && !isWs(after)) return undefined;
      }

      // namespace declarations first: saxes resolves names once it has read the whole tag
      const parentScope = depth ? stack[depth - 1].scope : undefined;
      let scope: Record<string, string> | undefined;
      for (let a = 0; a < na; a++) {
        const name = aNames[a];
        let declared: string;
        if (name === 'xmlns') declared = '';
        else if (aColons[a] === 5 && name.startsWith('xmlns')) {
          declared = name.slice(6);
          if (declared === 'xml' || declared === 'xmlns' || aValues[a] === '') return undefined;
        } else continue;
        const value = aValues[a];
        if (value !== value.trim() || value === XML_NS || value === XMLNS_NS) return undefined;
        scope ??= { ...parentScope };
        scope[declared] = value;
      }
      const elScope = scope ?? parentScope ?? {};
      // the same declarations, for resolving names (the object above is what the tree carries)
      const mark = bindings.size;
      if (scope) {
        for (let a = 0; a < na; a++) {
          const name = aNames[a];
          if (name !== 'xmlns' && !(aColons[a] === 5 && name.startsWith('xmlns'))) continue;
          bindings.prefixes[bindings.size] = name === 'xmlns' ? '' : name.slice(6);
          bindings.uris[bindings.size] = aValues[a];
          bindings.size++;
        }
      }

      let prefix = '';
      let local: string;
      let ns: string;
      if (colon >= 0) {
        prefix = qname.slice(0, colon - start);
        local = qname.slice(colon - start + 1);
        if (prefix === 'xmlns') return undefined;
        const uri = resolvePrefix(bindings, prefix, fallback);
        if (uri === undefined) return undefined;
        ns = uri;
      } else {
        local = qname;
        let d: string | undefined;
        for (let b = bindings.size - 1; b >= 0; b--) {
          if (bindings.prefixes[b] === '') {
            d = bindings.uris[b];
            break;
          }
        }
        if (d !== undefined) ns = d;
        else if (fallback && Object.hasOwn(fallback, '')) return undefined;
        else ns = '';
      }

      // most elements have no attribute but namespace declarations: they share one empty list
      const attrs: XmlAttr[] = na === 0 ? (NO_ATTRS as XmlAttr[]) : [];
      // each attribute's expanded name, for the duplicate check
      let dupNs: string[] | undefined;
      let dupLocal: string[] | undefined;
      for (let a = 0; a < na; a++) {
        const name = aNames[a];
        const ac = aColons[a];
        let eqNs: string;
        let eqLocal: string;
        if (ac < 0) {
          eqNs = '';
          eqLocal = name;
          if (name !== 'xmlns') attrs.push({ ns: '', local: name, prefix: '', value: aValues[a] });
        } else {
          const ap = name.slice(0, ac);
          eqLocal = name.slice(ac + 1);
          if (ap === 'xmlns') {
            eqNs = XMLNS_NS;
          } else {
            const uri = resolvePrefix(bindings, ap, fallback);
            if (uri === undefined) return undefined;
            eqNs = uri;
            attrs.push({ ns: uri, local: eqLocal, prefix: ap, value: aValues[a] });
          }
        }
        if (na > 1) {
          // saxes compares raw names of unprefixed attributes and `{uri}local` of prefixed ones;
          // a prefixed name always has a non-empty URI, so (URI, local) pairs compare the same
          if (dupNs === undefined || dupLocal === undefined) {
            dupNs = [];
            dupLocal = [];
          }
          for (let b = 0; b < dupNs.length; b++) if (dupLocal[b] === eqLocal && dupNs[b] === eqNs) return undefined;
          dupNs.push(eqNs);
          dupLocal.push(eqLocal);
        }
      }

      const el: XmlElement = { kind: 'element', ns, local, prefix, attrs, children: [], scope: elScope };
      if (depth) stack[depth - 1].children.push(el);
      else if (root) return undefined; // a second root
      else root = el;
      i = k;
      if (selfClosing) {
        bindings.size = mark;
        if (depth === 0) break;
      } else {
        marks[depth] = mark;
        stack[depth] = el;
        names[depth] = qname;
        depth++;
      }
    }

    // character data up to the next tag
    const next = text.indexOf('<', i);
    if (next < 0) return undefined; // unclosed elements
    if (next > i) {
      let run = text.slice(i, next);
      if (nextAmp.from(i) < next) {
        const decoded = decodeEntities(run);
        if (decoded === undefined) return undefined;
        run = decoded;
      }
      const node: XmlNode = { kind: 'text', text: run, cdata: false };
      stack[depth - 1].children.push(node);
    }
    i = next;
  }
  // after the root: whitespace only
  while (i < n) {
    if (!isWs(text.charCodeAt(i))) return undefined;
    i++;
  }
  return root;
}
