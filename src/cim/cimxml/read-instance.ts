/**
 * Reader for the string values of EmbeddedInstance-qualified parameters (wire notes §3.4): text of
 * a CIM-XML instance (DSP0201) — or, less often, MOF — turned into a {@link CimInstance} typed by
 * the class declaration.
 *
 * Rules:
 * - Values are typed by the declaration, never by the document: TYPE only has to agree with it.
 *   Integers may be hexadecimal (DSP0201), datetimes are DMTF strings (xs forms are tolerated).
 * - Only the properties the document gives are returned. A property written without a value is
 *   an explicit null; a property the document leaves out is absent, and so is one marked
 *   PROPAGATED="true" (WMI's GetText_ marks properties that still hold the class default that way,
 *   nova Hyper-V test stubs), so the caller can fill defaults.
 * - WMI system properties (`__PATH`, `__CLASS` … with CLASSORIGIN="___SYSTEM") are skipped: scripts
 *   that pass `GetText_(1)` of an enumerated instance send them (os-win live migration).
 * - Everything else that does not fit — unknown class or property, bad value, duplicate, wrong
 *   arity, a TYPE that contradicts the declaration — is a {@link CimValueError} naming the
 *   property. XML that is not well formed, carries a DTD (XXE) or exceeds the size limits is one too:
 *   the caller answers all of them as a schema validation error.
 */
import { CimValueError } from '../errors.js';
import type { CimInstance, CimPropertyDecl, CimScalar, CimValue } from '../types.js';
import { nameKey } from '../types.js';
import { parseXml, XmlParseError, type XmlElement, type XmlParseLimits } from '../../xml/dom.js';
import { instanceClass } from './instance-class.js';
import { locateInstance } from './locate-instance.js';
import { attr, elementChildren, requiredAttr, textContent } from './markup.js';
import { readMofInstance } from './read-mof-instance.js';
import { readValueReference } from './reference.js';
import { embeddedClass, isEmbedded, parseScalar, unsafeXmlChar, wireType } from './scalar-text.js';
import type { ClassLookup } from './types.js';

export interface EmbeddedReadOptions {
  /** longest accepted text in UTF-16 code units (default 4 Mi); longer is refused before parsing */
  readonly maxLength?: number;
  /** how deep embedded instances may nest inside embedded instances (default 8) */
  readonly maxNesting?: number;
}

const DEFAULT_MAX_LENGTH = 4 * 1024 * 1024;
const DEFAULT_MAX_NESTING = 8;

/**
 * Tighter than the SOAP defaults: the deepest legitimate CIM-XML instance document (CIM wrapper,
 * a reference property whose key is itself a reference) is about 15 levels.
 */
const XML_LIMITS: Partial<XmlParseLimits> = { maxDepth: 40, maxElements: 100_000, maxNameLength: 256, maxAttributes: 32 };

interface ReadContext {
  readonly classOf: ClassLookup;
  readonly maxLength: number;
  readonly maxNesting: number;
  readonly depth: number;
}

/**
 * Parse the text of an embedded instance.
 * @param expectedClass the EmbeddedInstance qualifier's class; the document's class must be it or a subclass
 * @throws CimValueError for anything that is not a valid instance of that class
 */
export function parseEmbeddedInstance(
  text: string,
  expectedClass: string | undefined,
  classOf: ClassLookup,
  options: EmbeddedReadOptions = {},
): CimInstance {
  const ctx: ReadContext = {
    classOf,
    maxLength: options.maxLength ?? DEFAULT_MAX_LENGTH,
    maxNesting: options.maxNesting ?? DEFAULT_MAX_NESTING,
    depth: 0,
  };
  return readText(text, expectedClass, ctx, 'Embedded instance');
}

function preview(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + '…' : s;
}

function readText(text: string, expectedClass: string | undefined, ctx: ReadContext, where: string): CimInstance {
  if (typeof text !== 'string') throw new CimValueError(`${where}: the value is not a string.`);
  if (text.length > ctx.maxLength) throw new CimValueError(`${where}: ${text.length} characters exceed the limit of ${ctx.maxLength}.`);
  const t = text.replace(/^\uFEFF/, '').trim();
  // saxes lets some lone surrogates through; refuse them (and controls) before any parsing
  const bad = unsafeXmlChar(t);
  if (bad) throw new CimValueError(`${where}: the text contains ${bad}, which XML cannot carry.`);
  if (t.startsWith('<')) return readXml(t, expectedClass, ctx, where);
  // MOF starts with a qualifier list, a comment, a pragma or a declaration keyword
  if (/^(?:\[|\/[/*]|#pragma\b|instance\b|class\b|qualifier\b)/i.test(t)) {
    return readMofInstance(t, expectedClass, ctx.classOf, (s, exp, w) => readNested(s, exp, ctx, w), where);
  }
  throw new CimValueError(`${where}: expected CIM-XML (<INSTANCE CLASSNAME=…>) or MOF (instance of …), found '${preview(t)}'.`);
}

/** An embedded instance inside a property of an embedded instance. */
function readNested(text: string, expectedClass: string | undefined, ctx: ReadContext, where: string): CimInstance {
  if (ctx.depth + 1 > ctx.maxNesting) throw new CimValueError(`${where}: embedded instances nest more than ${ctx.maxNesting} levels deep.`);
  return readText(text, expectedClass, { ...ctx, depth: ctx.depth + 1 }, where);
}

function readXml(text: string, expectedClass: string | undefined, ctx: ReadContext, where: string): CimInstance {
  let root: XmlElement;
  try {
    root = parseXml(text, { limits: XML_LIMITS });
  } catch (e) {
    if (!(e instanceof XmlParseError)) throw e;
    switch (e.reason) {
      case 'doctype':
        throw new CimValueError(`${where}: DTDs and entity declarations are not allowed.`);
      case 'limit':
        throw new CimValueError(`${where}: the document is too large or nested too deeply (${e.message})`);
      default:
        throw new CimValueError(`${where}: the text is not well-formed XML (${e.message})`);
    }
  }
  return readInstanceElement(locateInstance(root, where), expectedClass, ctx, where);
}

function readInstanceElement(el: XmlElement, expectedClass: string | undefined, ctx: ReadContext, where: string): CimInstance {
  const cls = instanceClass(requiredAttr(el, 'CLASSNAME', where), expectedClass, ctx.classOf, where);
  const props: Record<string, CimValue> = {};
  const seen = new Set<string>();
  for (const c of elementChildren(el, where)) {
    if (c.local === 'QUALIFIER') continue; // instance qualifiers carry nothing we keep
    if (c.local !== 'PROPERTY' && c.local !== 'PROPERTY.ARRAY' && c.local !== 'PROPERTY.REFERENCE') {
      throw new CimValueError(`${where}: unexpected <${c.local}> in the instance of ${cls.name}.`);
    }
    const name = requiredAttr(c, 'NAME', where);
    if (name.startsWith('__')) continue;
    const decl = cls.properties.get(nameKey(name));
    if (!decl) throw new CimValueError(`${where}: ${cls.name} has no property '${name}'.`, name);
    if (seen.has(nameKey(name))) throw new CimValueError(`${where}: the property '${decl.name}' is given twice.`, decl.name);
    seen.add(nameKey(name));
    const value = readProperty(c, decl, ctx, `${where}: ${cls.name}.${decl.name}`);
    if (attr(c, 'PROPAGATED')?.toLowerCase() === 'true') continue;
    props[decl.name] = value;
  }
  return { className: cls.name, props };
}

function arity(decl: CimPropertyDecl): string {
  if (decl.type === 'reference') return 'a reference';
  return decl.isArray ? `an array of ${wireType(decl)}` : `a scalar ${wireType(decl)}`;
}

/** TYPE is optional for us but must not contradict the declaration. */
function checkTypeAttr(el: XmlElement, decl: CimPropertyDecl, where: string): void {
  const t = attr(el, 'TYPE');
  if (t === undefined) return;
  const expected = wireType(decl);
  if (t.toLowerCase() !== expected) {
    throw new CimValueError(`${where}: TYPE="${t}" contradicts the declared type ${decl.type}${decl.isArray ? '[]' : ''}.`, decl.name);
  }
}

/** The value-carrying children of a PROPERTY* element (its QUALIFIERs are skipped); at most one. */
function valueChild(el: XmlElement, decl: CimPropertyDecl, where: string): XmlElement | undefined {
  const kids = elementChildren(el, where).filter((c) => c.local !== 'QUALIFIER');
  if (kids.length > 1) throw new CimValueError(`${where}: more than one value is given.`, decl.name);
  return kids[0];
}

function readProperty(el: XmlElement, decl: CimPropertyDecl, ctx: ReadContext, where: string): CimValue {
  const wrongKind = (): never => {
    throw new CimValueError(`${where}: the property is ${arity(decl)} but is given as <${el.local}>.`, decl.name);
  };
  const unexpected = (c: XmlElement): never => {
    throw new CimValueError(`${where}: unexpected <${c.local}> in <${el.local}>.`, decl.name);
  };
  switch (el.local) {
    case 'PROPERTY.REFERENCE': {
      if (decl.type !== 'reference') wrongKind();
      const v = valueChild(el, decl, where);
      if (!v || v.local === 'VALUE.NULL') return null;
      if (v.local !== 'VALUE.REFERENCE') unexpected(v);
      return readValueReference(v, decl.refClass, ctx.classOf, where);
    }
    case 'PROPERTY': {
      if (decl.type === 'reference' || decl.isArray) wrongKind();
      checkTypeAttr(el, decl, where);
      const v = valueChild(el, decl, where);
      if (!v || v.local === 'VALUE.NULL') return null;
      if (v.local !== 'VALUE') unexpected(v);
      return readScalar(textContent(v, where), decl, ctx, where);
    }
    default: {
      if (decl.type === 'reference' || !decl.isArray) wrongKind();
      checkTypeAttr(el, decl, where);
      const v = valueChild(el, decl, where);
      if (!v || v.local === 'VALUE.NULL') return null;
      if (v.local !== 'VALUE.ARRAY') unexpected(v);
      const items: CimScalar[] = [];
      for (const item of elementChildren(v, where)) {
        if (item.local === 'VALUE.NULL') {
          // CimValue arrays cannot hold nulls (nor can WMI's SAFEARRAYs); refuse rather than drop.
          throw new CimValueError(`${where}: element ${items.length} of the array is null; array elements cannot be null.`, decl.name);
        }
        if (item.local !== 'VALUE') unexpected(item);
        items.push(readScalar(textContent(item, where), decl, ctx, where));
      }
      if (decl.arraySize !== undefined && items.length > decl.arraySize) {
        throw new CimValueError(`${where}: ${items.length} elements exceed the declared array size ${decl.arraySize}.`, decl.name);
      }
      return items;
    }
  }
}

function readScalar(text: string, decl: CimPropertyDecl, ctx: ReadContext, where: string): CimScalar {
  if (isEmbedded(decl)) return readNested(text, embeddedClass(decl), ctx, `${where} (embedded)`);
  try {
    return parseScalar(decl.type, text, decl.name);
  } catch (e) {
    if (e instanceof CimValueError) throw new CimValueError(`${where}: ${e.message}`, decl.name);
    throw e;
  }
}
