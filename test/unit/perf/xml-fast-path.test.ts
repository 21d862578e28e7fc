/**
 * The fast XML path (src/xml/fast-parse.ts) against saxes, the reference: on every document, the
 * fast path either declines (undefined) or builds exactly the tree saxes builds — never a tree for
 * a document saxes refuses. Documents are generated (seeded) to cover what requests contain and
 * what they must not: declarations in and out of scope, undeclared and lenient prefixes,
 * duplicate attributes, entities good and bad, CR, control and astral characters, `]]>`, comments,
 * CDATA, PIs, DOCTYPEs, XML declarations, mismatched and unclosed tags, text around the root.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_XML_LIMITS, parseXml, parseXmlWithSaxes, xmlParseStats, type XmlElement } from '../../../src/xml/dom.js';
import { fastParseXml } from '../../../src/xml/fast-parse.js';
import { LENIENT_PREFIXES } from '../../../src/wsman/namespaces.js';
import { envelope, ACTION } from '../../helpers/wsman-client.js';

const SEED = 0x0fa5_7e57;

type Outcome = { tree: XmlElement } | { error: string };

function viaSaxes(text: string, fallback?: Readonly<Record<string, string>>, limits = DEFAULT_XML_LIMITS): Outcome {
  try {
    return { tree: parseXmlWithSaxes(text, { fallbackPrefixes: fallback, limits }) };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** Checks one document; returns whether the fast path took it. */
function agree(text: string, fallback?: Readonly<Record<string, string>>, limits = DEFAULT_XML_LIMITS): boolean {
  const fast = fastParseXml(text, limits, fallback);
  if (!fast) return false;
  const ref = viaSaxes(text, fallback, limits);
  if ('error' in ref) throw new Error(`fast path accepted a document saxes refuses (${ref.error}): ${JSON.stringify(text)}`);
  expect(fast).toStrictEqual(ref.tree);
  return true;
}

// ---------------------------------------------------------------------------- generators --

const GOOD_PREFIXES = ['s', 'a', 'w', 'p', 'n', ''];
const ODD_PREFIXES = ['xml', 'xmlns', 'wsman', 'toString', '__proto__', 'q'];
const URIS = ['http://www.w3.org/2003/05/soap-envelope', 'urn:x', ' urn:padded ', '', 'http://www.w3.org/XML/1998/namespace', 'http://www.w3.org/2000/xmlns/'];
const GOOD_TEXT = ['hello', ' ', '\n', '\t', '  text  ', '&amp;', '&lt;', '&gt;', '&quot;', '&apos;', '&#65;', '&#x41;', '&#x10FFFF;', ']]', '>', '"', "'", '\u00e9', '\u4e2d', 'uuid:5E1C3A0C-9B0E'];
const BAD_TEXT = ['&#X41;', '&#0;', '&#xD800;', '&nope;', '&;', '&', ']]>', '\r\n', '\r', '\u0001', '\ud83d\ude00', '\ufffe'];
const GOOD_VALUES = ['v', '', 'a b', 'tab\there', 'nl\nhere', '&amp;x', '>', 'true', ' 1 ', '&#9;', '&quot;'];
const BAD_VALUES = ['&bad;', '<', 'cr\rhere', '&'];

const pick = <T>(good: readonly T[], bad: readonly T[]) =>
  fc.oneof({ weight: 30, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: fc.constantFrom(...bad) });
const prefixArb = pick(GOOD_PREFIXES, ODD_PREFIXES);
const nameArb = pick(['Envelope', 'Header', 'Body', 'Selector', 'a', 'b1', 'x.y', 'x-y', '_u', 'Name'], ['\u00e9', '1bad', 'a:b']);
const qnameArb = fc.tuple(prefixArb, nameArb).map(([p, l]) => (p ? `${p}:${l}` : l));
const attrArb = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(qnameArb, pick(GOOD_VALUES, BAD_VALUES), fc.constantFrom('"', "'")).map(([n, v, q]) => ` ${n}=${q}${v.split(q).join('')}${q}`) },
  { weight: 2, arbitrary: fc.tuple(prefixArb, pick(URIS.slice(0, 2), URIS.slice(2))).map(([p, u]) => (p ? ` xmlns:${p}="${u}"` : ` xmlns="${u}"`)) },
  { weight: 2, arbitrary: pick([' Name="x"', ' Name = "x"', '\tName="x"', ' s:mustUnderstand="true"', ' xml:lang="en-US"'], [' Name=x', 'Name="x"', ' Name', ' a="1" a="2"']) },
);

function elementArb(depth: number): fc.Arbitrary<string> {
  const text = pick(GOOD_TEXT, BAD_TEXT);
  const children: fc.Arbitrary<string> =
    depth <= 0
      ? fc.array(text, { maxLength: 4 }).map((t) => t.join(''))
      : fc
          .array(
            fc.oneof(
              { weight: 6, arbitrary: elementArb(depth - 1) },
              { weight: 4, arbitrary: text },
              { weight: 1, arbitrary: fc.constantFrom('<!-- c -->', '<![CDATA[x]]>', '<?pi x?>', '</stray>', '<', '&', '<a/ >') },
            ),
            { maxLength: 4 },
          )
          .map((c) => c.join(''));
  return fc
    .tuple(qnameArb, fc.array(attrArb, { maxLength: 3 }), children, fc.boolean(), pick(['', ' ', '\n'], ['x', ':q']))
    .map(([name, attrs, kids, selfClose, endDiff]) =>
      selfClose && kids === '' ? `<${name}${attrs.join('')}/>` : `<${name}${attrs.join('')}>${kids}</${name}${endDiff}>`,
    );
}

const declared = (el: string) =>
  el.replace(/^<([^\s/>]+)/, (m) => `${m} xmlns:s="urn:s" xmlns:a="urn:a" xmlns:p="urn:p" xmlns:w="urn:w" xmlns:n="urn:n"`);

const documentArb = fc
  .tuple(
    pick(['', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-8"?>\n', "<?xml version='1.0' standalone='yes'?>", '\n'], ['<?xml version="1.1"?>', ' <?xml version="1.0"?>', '<!DOCTYPE x>', '<!-- c -->', '\ufeff', '<?xml version="1.0" encoding="1x"?>']),
    elementArb(3),
    fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    pick(['', '\n', ' '], [' x', '<b/>', '<!-- c -->']),
  )
  .map(([head, el, decl, tail]) => head + (decl ? declared(el) : el) + tail);

// --------------------------------------------------------------------------------- tests --

describe('fast XML path agrees with saxes', () => {
  it('on generated documents, with and without the lenient prefixes', () => {
    let taken = 0;
    let total = 0;
    fc.assert(
      fc.property(documentArb, fc.boolean(), (doc, lenient) => {
        total++;
        if (agree(doc, lenient ? LENIENT_PREFIXES : undefined)) taken++;
      }),
      { seed: SEED, numRuns: 4000 },
    );
    // the generator must exercise the fast path, not only the refusals
    expect(taken / total).toBeGreaterThan(0.2);
  });

  it('on mutations of a real request envelope', () => {
    const { xml } = envelope({
      action: ACTION.get,
      resourceUri: 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/test/T_Thing',
      selectors: { Id: 'one &amp; two' },
      options: '<w:OptionSet><w:Option Name="x" Type="y">1</w:Option></w:OptionSet>',
    });
    expect(agree(xml, LENIENT_PREFIXES)).toBe(true);
    const alphabet = ['<', '>', '&', '"', "'", '/', '=', ' ', ':', 'x', '\r', '\t', '\n', ';', '#', '!', '?', '-', ']', 'é', '\u0000'];
    let taken = 0;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: xml.length }), fc.nat({ max: 3 }), fc.constantFrom(...alphabet)), { minLength: 1, maxLength: 3 }),
        (edits) => {
          let doc = xml;
          for (const [at, del, ch] of edits) doc = doc.slice(0, at) + ch + doc.slice(Math.min(doc.length, at + del));
          if (agree(doc, LENIENT_PREFIXES)) taken++;
        },
      ),
      { seed: SEED + 1, numRuns: 3000 },
    );
    expect(taken).toBeGreaterThan(100);
  });

  it('declines documents past the parse limits, so saxes reports them', () => {
    const deep = '<a>'.repeat(10) + '</a>'.repeat(10);
    expect(fastParseXml(deep, { ...DEFAULT_XML_LIMITS, maxDepth: 5 }, undefined)).toBeUndefined();
    expect(() => parseXml(deep, { limits: { maxDepth: 5 } })).toThrow('nested too deeply');
    const wide = `<a ${Array.from({ length: 6 }, (_, i) => `x${i}="1"`).join(' ')}/>`;
    expect(fastParseXml(wide, { ...DEFAULT_XML_LIMITS, maxAttributes: 5 }, undefined)).toBeUndefined();
    expect(() => parseXml(wide, { limits: { maxAttributes: 5 } })).toThrow('Too many attributes');
    expect(agree(wide)).toBe(true);
  });
});

describe('parse work', () => {
  it('a typical request takes the fast path; documents that need saxes reuse one parser', () => {
    const { xml } = envelope({ action: ACTION.get, resourceUri: 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/test/T_Thing', selectors: { Id: 'one' } });
    const before = { ...xmlParseStats };
    for (let i = 0; i < 50; i++) parseXml(xml, { fallbackPrefixes: LENIENT_PREFIXES });
    expect(xmlParseStats.fast - before.fast).toBe(50);
    expect(xmlParseStats.saxes - before.saxes).toBe(0);

    const withComment = xml.replace('<s:Header>', '<s:Header><!-- a comment -->');
    const created = xmlParseStats.saxesParsersCreated;
    for (let i = 0; i < 50; i++) parseXml(withComment, { fallbackPrefixes: LENIENT_PREFIXES });
    expect(xmlParseStats.saxes - before.saxes).toBe(50);
    expect(xmlParseStats.saxesParsersCreated - created).toBeLessThanOrEqual(1);

    // a refused document does not poison the reused parser
    expect(() => parseXml('<a><b></a>', { fallbackPrefixes: LENIENT_PREFIXES })).toThrow();
    expect(parseXml(withComment, { fallbackPrefixes: LENIENT_PREFIXES }).local).toBe('Envelope');
  });
});
