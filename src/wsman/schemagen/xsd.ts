/**
 * XML Schema of a CIM class (DSP0230 WS-CIM mapping), generated from the class registry:
 * - targetNamespace = the class's resource URI (WMI form for WMI namespaces);
 * - one global element per property, nillable, of the property's `cim:` type;
 * - `<Class>_Type`: a sequence of references to those elements in the order Windows writes
 *   instances (sortedProperties), arrays with maxOccurs, keys marked with cim:Key="true";
 * - `<Class>`: the instance element;
 * - per method, `<Method>_INPUT` (in-parameters in MOF order, DSP0230) and `<Method>_OUTPUT`
 *   (out-parameters and ReturnValue in alphabetical order, the order WMI writes them), each with a
 *   named `_Type` because the MI client sends xsi:type="<Method>_INPUT_Type".
 * Output is deterministic: no timestamps, stable order, LF line ends.
 */
import type { CimClass, CimMethodDecl, CimParameterDecl, CimPropertyDecl } from '../../cim/types.js';
import { XmlWriter } from './xml-writer.js';
import { CIM_COMMON_NS, CIM_COMMON_TYPES, XS_NS, xsdTypeOf } from './cim-xsd-types.js';

export const GENERATED_MARKER = 'Generated from schemas/*.mof by scripts/generate-schemas.ts. Do not edit.';

export interface ClassXsdOptions {
  /** target namespace: the class resource URI */
  readonly namespaceUri: string;
  /** schemaLocation of the DMTF common schema, relative to the generated file */
  readonly commonSchemaLocation: string;
}

const byName = (a: { name: string }, b: { name: string }): number => {
  const x = a.name.toLowerCase();
  const y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
};

function description(q: ReadonlyMap<string, { value: unknown }>): string | undefined {
  const v = q.get('description')?.value;
  return typeof v === 'string' ? v : undefined;
}

/** Occurrence attributes of a feature in a sequence. */
function occurs(el: { isArray: boolean; arraySize?: number }, min: 0 | 1 = 0): Array<[string, string | number | undefined]> {
  return [
    ['minOccurs', String(min)],
    ['maxOccurs', el.isArray ? (el.arraySize !== undefined ? String(el.arraySize) : 'unbounded') : undefined],
  ];
}

export function generateClassXsd(cls: CimClass, opts: ClassXsdOptions): string {
  const w = new XmlWriter();
  w.comment(GENERATED_MARKER);
  w.comment(`CIM class ${cls.name} (namespace ${cls.namespace})${cls.superClass ? `, subclass of ${cls.superClass}` : ''}.`);
  w.open('xs:schema', [
    ['targetNamespace', opts.namespaceUri],
    ['xmlns:class', opts.namespaceUri],
    ['xmlns:cim', CIM_COMMON_NS],
    ['xmlns:xs', XS_NS],
    ['elementFormDefault', 'qualified'],
  ]);
  w.empty('xs:import', [['namespace', CIM_COMMON_NS], ['schemaLocation', opts.commonSchemaLocation]]);

  for (const p of cls.sortedProperties) propertyElement(w, p);

  w.open('xs:complexType', [['name', `${cls.name}_Type`]]);
  const desc = description(cls.qualifiers);
  if (desc !== undefined) {
    w.open('xs:annotation');
    w.text('xs:documentation', desc);
    w.close();
  }
  w.open('xs:sequence');
  for (const p of cls.sortedProperties) {
    w.empty('xs:element', [['ref', `class:${p.name}`], ...occurs(p), ['cim:Key', p.key ? 'true' : undefined]]);
  }
  w.close();
  w.empty('xs:anyAttribute', [['namespace', '##any'], ['processContents', 'lax']]);
  w.close();
  w.empty('xs:element', [['name', cls.name], ['type', `class:${cls.name}_Type`]]);

  for (const m of [...cls.methods.values()].sort(byName)) methodElements(w, m);

  w.close();
  return w.toString();
}

function propertyElement(w: XmlWriter, p: CimPropertyDecl): void {
  w.empty('xs:element', [['name', p.name], ['nillable', 'true'], ['type', xsdTypeOf(p)]]);
}

function parameterElement(w: XmlWriter, p: CimParameterDecl): void {
  w.empty('xs:element', [['name', p.name], ['type', xsdTypeOf(p)], ...occurs(p), ['nillable', 'true']]);
}

function methodElements(w: XmlWriter, m: CimMethodDecl): void {
  const input = m.parameters.filter((p) => p.in);
  const output = m.parameters.filter((p) => p.out);

  w.open('xs:complexType', [['name', `${m.name}_INPUT_Type`]]);
  w.open('xs:sequence');
  for (const p of input) parameterElement(w, p);
  w.close();
  w.empty('xs:anyAttribute', [['namespace', '##any'], ['processContents', 'lax']]);
  w.close();
  w.empty('xs:element', [['name', `${m.name}_INPUT`], ['type', `class:${m.name}_INPUT_Type`]]);

  // ReturnValue takes its alphabetical place among the out-parameters (WMI's __PARAMETERS order)
  const returnValue = { name: 'ReturnValue' };
  const outItems: Array<CimParameterDecl | typeof returnValue> = [...output, returnValue].sort(byName);
  w.open('xs:complexType', [['name', `${m.name}_OUTPUT_Type`]]);
  w.open('xs:sequence');
  for (const item of outItems) {
    if (item === returnValue) {
      w.empty('xs:element', [['name', 'ReturnValue'], ['type', xsdTypeOf({ type: m.returnType })], ['minOccurs', '1'], ['maxOccurs', '1']]);
    } else {
      parameterElement(w, item as CimParameterDecl);
    }
  }
  w.close();
  w.empty('xs:anyAttribute', [['namespace', '##any'], ['processContents', 'lax']]);
  w.close();
  w.empty('xs:element', [['name', `${m.name}_OUTPUT`], ['type', `class:${m.name}_OUTPUT_Type`]]);
}

const COMMON_SIMPLE: ReadonlyArray<readonly [string, string]> = [
  ['cimAnySimpleType', 'xs:anySimpleType'],
  ['cimBoolean', 'xs:boolean'],
  ['cimByte', 'xs:byte'],
  ['cimDouble', 'xs:double'],
  ['cimFloat', 'xs:float'],
  ['cimInt', 'xs:int'],
  ['cimLong', 'xs:long'],
  ['cimShort', 'xs:short'],
  ['cimString', 'xs:string'],
  ['cimUnsignedByte', 'xs:unsignedByte'],
  ['cimUnsignedInt', 'xs:unsignedInt'],
  ['cimUnsignedLong', 'xs:unsignedLong'],
  ['cimUnsignedShort', 'xs:unsignedShort'],
];

/**
 * A minimal stand-in for DMTF's common.xsd (DSP8004): the `cim:` types the class schemas use,
 * so the generated schemas compile offline. Same target namespace and type names as DSP8004.
 */
export function generateCommonXsd(): string {
  const w = new XmlWriter();
  w.comment(GENERATED_MARKER);
  w.comment('Minimal WS-CIM common schema (the subset of DMTF DSP8004 common.xsd the class schemas use).');
  w.open('xs:schema', [
    ['targetNamespace', CIM_COMMON_NS],
    ['xmlns:cim', CIM_COMMON_NS],
    ['xmlns:xs', XS_NS],
    ['elementFormDefault', 'qualified'],
  ]);
  // marks key properties in class schemas (DSP8004 declares the same runtime attribute)
  w.empty('xs:attribute', [['name', 'Key'], ['type', 'xs:boolean']]);
  for (const [name, base] of COMMON_SIMPLE) {
    w.open('xs:complexType', [['name', name]]);
    w.open('xs:simpleContent');
    w.open('xs:extension', [['base', base]]);
    w.empty('xs:anyAttribute', [['namespace', '##any'], ['processContents', 'lax']]);
    w.close().close().close();
  }
  // char16: one character
  w.open('xs:complexType', [['name', 'cimChar16']]);
  w.open('xs:simpleContent');
  w.open('xs:restriction', [['base', 'cim:cimString']]);
  w.empty('xs:length', [['value', '1']]);
  w.empty('xs:anyAttribute', [['namespace', '##any'], ['processContents', 'lax']]);
  w.close().close().close();
  // datetime: one of the DSP0230 forms (Windows writes Datetime and Interval)
  w.open('xs:complexType', [['name', 'cimDateTime']]);
  w.open('xs:choice');
  w.empty('xs:element', [['name', 'CIM_DateTime'], ['type', 'xs:string'], ['nillable', 'true']]);
  w.empty('xs:element', [['name', 'Interval'], ['type', 'xs:duration']]);
  w.empty('xs:element', [['name', 'Date'], ['type', 'xs:date']]);
  w.empty('xs:element', [['name', 'Time'], ['type', 'xs:time']]);
  w.empty('xs:element', [['name', 'Datetime'], ['type', 'xs:dateTime']]);
  w.close();
  w.empty('xs:anyAttribute', [['namespace', '##any'], ['processContents', 'lax']]);
  w.close();
  // reference: an EPR's children (a:Address, a:ReferenceParameters …)
  w.open('xs:complexType', [['name', 'cimReference']]);
  w.open('xs:sequence');
  w.empty('xs:any', [['namespace', '##other'], ['minOccurs', '1'], ['maxOccurs', 'unbounded'], ['processContents', 'lax']]);
  w.close();
  w.empty('xs:anyAttribute', [['namespace', '##any'], ['processContents', 'lax']]);
  w.close();
  w.close();
  return w.toString();
}

/** Every cim: type name the common schema declares (tests compare with CIM_COMMON_TYPES). */
export function commonXsdTypeNames(): string[] {
  return [...COMMON_SIMPLE.map(([n]) => n), 'cimChar16', 'cimDateTime', 'cimReference'].sort();
}

export { CIM_COMMON_TYPES };
