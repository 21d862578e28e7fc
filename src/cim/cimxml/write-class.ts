/**
 * CIM-XML class declarations (DSP0201 `<CLASS>`) for class metadata retrieval: Get-CimClass and
 * the MI client asking for a class before Invoke-CimMethod / New-CimInstance (wire notes §1.3).
 *
 * MS-WSMV 3.1.4.1.38 says Windows serves class metadata "as specified in DSP0227 1.1.0 §15", in
 * CIM-XML only, with the options IncludeClassOrigin, IncludeQualifiers and IncludeInheritedElements
 * (3.1.4.2). The element-level shape follows Microsoft's MI CIM-XML class writer, published in OMI
 * (Unix/xmlserializer/xmlserializer.c, WriteBuffer_SerializeClass), which OMI's WS-Man server puts
 * as-is into the GetResponse body (Unix/wsman/wsbuf.c WSBuf_ClassToBuf; wsman.c
 * _SendSingleSchemaResponse):
 * - `<CLASS NAME SUPERCLASS [DERIVATION]>`, then QUALIFIERs, properties, METHODs;
 * - property attributes NAME, TYPE | REFERENCECLASS, ARRAYSIZE, CLASSORIGIN (only with
 *   IncludeClassOrigin), PROPAGATED="true" (inherited unchanged; written regardless of options);
 * - LocalOnly (IncludeInheritedElements false) drops propagated properties and methods;
 * - embedded-object properties and parameters are TYPE="string" with an EmbeddedInstance /
 *   EmbeddedObject qualifier (fabricated when the declaration has none), never the EmbeddedObject
 *   attribute (that one is for instances);
 * - qualifiers: NAME, TYPE, then only non-default flavors (OVERRIDABLE="false", TOSUBCLASS="false",
 *   TRANSLATABLE="true"); Restricted qualifiers are not written on inherited elements; booleans
 *   are lower case.
 * Choices where the sources are silent or the model differs:
 * - properties come in CimClass.properties order (declaration order, what Get-CimClass lists),
 *   methods in CimClass.methods order, parameters in declaration order;
 * - class qualifiers are the class's own plus the ToSubclass qualifiers of its ancestors (WMI class
 *   qualifier sets include propagated ones; CimClass.qualifiers holds only the class's own);
 * - qualifiers the model expresses as flags (Key, Required, Static, In, Out, Abstract, Association,
 *   Indication) are added when the qualifier map lacks them, as the MI writer does for flags.
 */
import { CimValueError } from '../errors.js';
import type { CimClass, CimMethodDecl, CimParameterDecl, CimPropertyDecl, CimQualifier, CimScalar, CimValue, QualifierMap, QualifierValue } from '../types.js';
import { isInstance, isRef, nameKey } from '../types.js';
import { element, startTag, valueElement, type AttrList } from './markup.js';
import { qualifierInfo } from './qualifier-meta.js';
import { writeValueReference } from './reference.js';
import { formatScalar, wireType } from './scalar-text.js';
import type { ClassLookup, QualifierDeclLookup } from './types.js';
import { writeEmbeddedInstance } from './write-instance.js';

export interface ClassWriteOptions {
  readonly includeQualifiers: boolean;
  readonly includeClassOrigin: boolean;
  /** false = LocalOnly: only the properties and methods the class itself declares or overrides */
  readonly includeInheritedElements: boolean;
  /** ancestors (for inherited class qualifiers) and classes named by defaults */
  readonly classOf: ClassLookup;
  /** the namespace's qualifier declarations, for qualifier TYPE and flavors (see qualifier-meta.ts) */
  readonly qualifierDecl?: QualifierDeclLookup;
}

export interface WsmanClassWriteOptions extends ClassWriteOptions {
  /** the IncludeInheritanceHierarchy option: adds the DERIVATION attribute (MI extension, not in DSP0203) */
  readonly includeInheritanceHierarchy: boolean;
}

// ---- qualifiers -------------------------------------------------------------------------------

function qualifierValueText(type: string, x: boolean | string | number | bigint): string {
  if (typeof x === 'boolean') return x ? 'true' : 'false';
  return typeof x === 'string' ? x : type === 'real32' || type === 'real64' ? formatScalar('real64', x, 'lower') : String(x);
}

function qualifierElement(q: CimQualifier, opts: ClassWriteOptions): string {
  const info = qualifierInfo(q, opts.qualifierDecl);
  const attrs: AttrList = [
    ['NAME', q.name],
    ['TYPE', info.type],
    ['OVERRIDABLE', info.overridable ? undefined : 'false'],
    ['TOSUBCLASS', info.toSubclass ? undefined : 'false'],
    ['TRANSLATABLE', info.translatable ? 'true' : undefined],
  ];
  const v: QualifierValue = q.value;
  let body = '';
  if (Array.isArray(v)) {
    body = '<VALUE.ARRAY>' + v.map((x) => (x === null ? '<VALUE.NULL></VALUE.NULL>' : valueElement(qualifierValueText(info.type, x)))).join('') + '</VALUE.ARRAY>';
  } else if (v !== null) {
    body = valueElement(qualifierValueText(info.type, v as boolean | string | number | bigint));
  }
  return element('QUALIFIER', attrs, body);
}

/**
 * The qualifiers of one element: those in its map (Restricted ones dropped on inherited elements),
 * then the ones its flags imply but the map lacks.
 */
function qualifierList(map: QualifierMap, inherited: boolean, implied: ReadonlyArray<readonly [string, QualifierValue]>, opts: ClassWriteOptions): string {
  let s = '';
  for (const q of map.values()) {
    if (inherited && !qualifierInfo(q, opts.qualifierDecl).toSubclass) continue;
    s += qualifierElement(q, opts);
  }
  for (const [name, value] of implied) if (!map.has(nameKey(name))) s += qualifierElement({ name, value }, opts);
  return s;
}

/** Qualifiers implied by how a typed element is declared (embedded objects). */
function embeddedQualifiers(decl: CimPropertyDecl | CimParameterDecl): Array<readonly [string, QualifierValue]> {
  if (decl.embeddedInstance !== undefined) return [['EmbeddedInstance', decl.embeddedInstance]];
  if (decl.type === 'instance') return decl.refClass !== undefined ? [['EmbeddedInstance', decl.refClass]] : [['EmbeddedObject', true]];
  if (decl.embeddedObject) return [['EmbeddedObject', true]];
  return [];
}

function classQualifiers(cls: CimClass, opts: ClassWriteOptions): string {
  const all = new Map<string, CimQualifier>(cls.qualifiers);
  // nearest ancestor first, so an override further down the chain wins
  for (const name of cls.ancestry.slice(1)) {
    const anc = opts.classOf(name);
    if (!anc) continue;
    for (const [k, q] of anc.qualifiers) {
      if (!all.has(k) && qualifierInfo(q, opts.qualifierDecl).toSubclass) all.set(k, q);
    }
  }
  const implied: Array<readonly [string, QualifierValue]> = [];
  if (cls.isAbstract) implied.push(['Abstract', true]);
  if (cls.isAssociation) implied.push(['Association', true]);
  if (cls.isIndication) implied.push(['Indication', true]);
  return qualifierList(all, false, implied, opts);
}

// ---- properties -------------------------------------------------------------------------------

function defaultText(decl: CimPropertyDecl, v: CimScalar, opts: ClassWriteOptions): string {
  if (isInstance(v)) {
    const c = opts.classOf(v.className);
    if (!c) throw new CimValueError(`The default of '${decl.name}' is an instance of ${v.className}, which is not known.`, decl.name);
    return writeEmbeddedInstance(v, c, { classOf: opts.classOf });
  }
  return formatScalar(decl.type, v, 'lower');
}

function defaultValue(decl: CimPropertyDecl, v: CimValue | undefined, opts: ClassWriteOptions): string {
  if (v === undefined || v === null) return '';
  if (decl.type === 'reference') return isRef(v) ? writeValueReference(v, opts.classOf) : '';
  if (Array.isArray(v)) return '<VALUE.ARRAY>' + v.map((x) => valueElement(defaultText(decl, x, opts))).join('') + '</VALUE.ARRAY>';
  return valueElement(defaultText(decl, v as CimScalar, opts));
}

function propertyElement(p: CimPropertyDecl, opts: ClassWriteOptions): string {
  const origin: AttrList = [
    ['CLASSORIGIN', opts.includeClassOrigin ? p.classOrigin : undefined],
    ['PROPAGATED', p.propagated ? 'true' : undefined],
  ];
  const implied: Array<readonly [string, QualifierValue]> = [...embeddedQualifiers(p)];
  if (p.key) implied.push(['Key', true]);
  if (p.required) implied.push(['Required', true]);
  const quals = opts.includeQualifiers ? qualifierList(p.qualifiers, p.propagated, implied, opts) : '';
  const value = defaultValue(p, p.defaultValue, opts);
  if (p.type === 'reference') return element('PROPERTY.REFERENCE', [['NAME', p.name], ['REFERENCECLASS', p.refClass], ...origin], quals + value);
  if (p.isArray) {
    return element('PROPERTY.ARRAY', [['NAME', p.name], ['TYPE', wireType(p)], ['ARRAYSIZE', p.arraySize?.toString()], ...origin], quals + value);
  }
  return element('PROPERTY', [['NAME', p.name], ['TYPE', wireType(p)], ...origin], quals + value);
}

// ---- methods ----------------------------------------------------------------------------------

function parameterElement(p: CimParameterDecl, opts: ClassWriteOptions): string {
  const implied: Array<readonly [string, QualifierValue]> = [];
  if (p.in) implied.push(['In', true]);
  if (p.out) implied.push(['Out', true]);
  if (p.required) implied.push(['Required', true]);
  implied.push(...embeddedQualifiers(p));
  const quals = opts.includeQualifiers ? qualifierList(p.qualifiers, false, implied, opts) : '';
  const size: AttrList = [['ARRAYSIZE', p.arraySize?.toString()]];
  if (p.type === 'reference') {
    return p.isArray
      ? element('PARAMETER.REFARRAY', [['NAME', p.name], ['REFERENCECLASS', p.refClass], ...size], quals)
      : element('PARAMETER.REFERENCE', [['NAME', p.name], ['REFERENCECLASS', p.refClass]], quals);
  }
  return p.isArray
    ? element('PARAMETER.ARRAY', [['NAME', p.name], ['TYPE', wireType(p)], ...size], quals)
    : element('PARAMETER', [['NAME', p.name], ['TYPE', wireType(p)]], quals);
}

function methodElement(m: CimMethodDecl, opts: ClassWriteOptions): string {
  const attrs: AttrList = [
    ['NAME', m.name],
    // DSP0203: METHOD TYPE is optional; a method returning a reference has none
    ['TYPE', wireType({ type: m.returnType })],
    ['CLASSORIGIN', opts.includeClassOrigin ? m.classOrigin : undefined],
    ['PROPAGATED', m.propagated ? 'true' : undefined],
  ];
  const quals = opts.includeQualifiers ? qualifierList(m.qualifiers, m.propagated, m.isStatic ? [['Static', true]] : [], opts) : '';
  return element('METHOD', attrs, quals + m.parameters.map((p) => parameterElement(p, opts)).join(''));
}

// ---- class ------------------------------------------------------------------------------------

function classElement(cls: CimClass, opts: ClassWriteOptions, derivation: boolean): string {
  const attrs: AttrList = [
    ['NAME', cls.name],
    ['SUPERCLASS', cls.superClass],
    ['DERIVATION', derivation ? cls.ancestry.slice(1).join(',') : undefined],
  ];
  let body = opts.includeQualifiers ? classQualifiers(cls, opts) : '';
  for (const p of cls.properties.values()) if (opts.includeInheritedElements || !p.propagated) body += propertyElement(p, opts);
  for (const m of cls.methods.values()) if (opts.includeInheritedElements || !m.propagated) body += methodElement(m, opts);
  return startTag('CLASS', attrs) + body + '</CLASS>';
}

/** DSP0201 `<CLASS>` declaration, valid against DSP0203. */
export function writeClassDeclaration(cls: CimClass, opts: ClassWriteOptions): string {
  return classElement(cls, opts, false);
}

/**
 * One class as Windows puts it in a class-metadata response: the `<CLASS>` element itself is the
 * GetResponse body child and each enumeration item (no wrapper element, no XML namespace), with
 * DERIVATION="Super,SuperSuper,…" when IncludeInheritanceHierarchy is set.
 */
export function writeClassForWsman(cls: CimClass, opts: WsmanClassWriteOptions): string {
  return classElement(cls, opts, opts.includeInheritanceHierarchy);
}
