/**
 * The MOF text form of an embedded instance (`instance of Msvm_X { Prop = "v"; Arr = {1, 2}; };`),
 * which some tools send instead of CIM-XML (wire notes §3.4). The project's MOF parser
 * (src/cim/mof/parser.ts) does the syntax and src/cim/mof/literals.ts types the literals; this module
 * applies the same class and property rules as the CIM-XML reader.
 *
 * Not supported in this form: aliases (`$x`, there is nothing to resolve them against) and
 * reference-typed properties (a MOF object-path string would need WMI path parsing; CIM-XML
 * carries references structurally).
 */
import { CimValueError } from '../errors.js';
import type { CimInstance, CimPropertyDecl, CimScalar, CimValue } from '../types.js';
import { nameKey } from '../types.js';
import type { MofFile, MofInstanceDecl, MofValue } from '../mof/ast.js';
import { MofSyntaxError } from '../mof/errors.js';
import { LiteralTypeError, typedLiteral } from '../mof/literals.js';
import { parseMof } from '../mof/parser.js';
import { instanceClass } from './instance-class.js';
import { embeddedClass, isEmbedded, unsafeXmlChar } from './scalar-text.js';
import type { ClassLookup } from './types.js';

/** Reads an embedded instance given as a string inside this one (CIM-XML or MOF, with nesting limits). */
export type NestedReader = (text: string, expectedClass: string | undefined, where: string) => CimInstance;

/**
 * The parser is recursive descent; `instance of` inside `instance of` recurses once per level, so
 * hostile nesting is refused before parsing rather than left to exhaust the stack.
 */
const MAX_MOF_INSTANCES = 32;


export function readMofInstance(text: string, expectedClass: string | undefined, classOf: ClassLookup, nested: NestedReader, where: string): CimInstance {
  const count = text.match(/\binstance\b/gi)?.length ?? 0;
  if (count > MAX_MOF_INSTANCES) throw new CimValueError(`${where}: the MOF text declares more than ${MAX_MOF_INSTANCES} instances.`);
  let file: MofFile;
  try {
    file = parseMof(text, 'embedded-instance.mof');
  } catch (e) {
    if (e instanceof MofSyntaxError) throw new CimValueError(`${where}: the MOF text does not parse: ${e.detail} (line ${e.line}, column ${e.column}).`);
    throw e;
  }
  const other = file.productions.find((p) => p.kind !== 'instance');
  if (other) throw new CimValueError(`${where}: only an instance declaration is accepted, found a ${other.kind} declaration.`);
  const instances = file.productions as readonly MofInstanceDecl[];
  if (instances.length !== 1) throw new CimValueError(`${where}: the MOF text declares ${instances.length} instances; exactly one is expected.`);
  return convert(instances[0], expectedClass, classOf, nested, where);
}

function convert(decl: MofInstanceDecl, expectedClass: string | undefined, classOf: ClassLookup, nested: NestedReader, where: string): CimInstance {
  const cls = instanceClass(decl.className, expectedClass, classOf, where);
  const props: Record<string, CimValue> = {};
  for (const p of decl.properties) {
    const pd = cls.properties.get(nameKey(p.name));
    if (!pd) throw new CimValueError(`${where}: ${cls.name} has no property '${p.name}'.`, p.name);
    if (Object.hasOwn(props, pd.name)) throw new CimValueError(`${where}: the property '${pd.name}' is given twice.`, pd.name);
    props[pd.name] = propertyValue(p.value, pd, classOf, nested, `${where}: ${cls.name}.${pd.name}`);
  }
  return { className: cls.name, props };
}

function propertyValue(v: MofValue, pd: CimPropertyDecl, classOf: ClassLookup, nested: NestedReader, where: string): CimValue {
  if (v.kind === 'null') return null;
  if (v.kind === 'alias') throw new CimValueError(`${where}: aliases ($${v.name}) cannot be resolved in an embedded instance.`, pd.name);
  if (pd.type === 'reference') throw new CimValueError(`${where}: reference properties cannot be given in MOF form; send CIM-XML.`, pd.name);
  let value: CimValue;
  if (isEmbedded(pd)) {
    const one = (item: MofValue): CimScalar => {
      if (item.kind === 'instance') return convert(item.instance, embeddedClass(pd), classOf, nested, `${where} (embedded)`);
      if (item.kind === 'string') return nested(item.value, embeddedClass(pd), `${where} (embedded)`);
      throw new CimValueError(`${where}: an embedded instance is expected.`, pd.name);
    };
    if (pd.isArray !== (v.kind === 'array')) {
      throw new CimValueError(`${where}: the property is ${pd.isArray ? 'an array' : 'a scalar'} but is given ${v.kind === 'array' ? 'an array' : 'a single value'}.`, pd.name);
    }
    value = v.kind === 'array' ? v.items.map(one) : one(v);
  } else {
    try {
      value = typedLiteral(pd.type, pd.isArray, v);
    } catch (e) {
      if (e instanceof LiteralTypeError || e instanceof CimValueError) throw new CimValueError(`${where}: ${e.message}.`, pd.name);
      throw e;
    }
  }
  // MOF escapes (\x0001) can make characters the CIM-XML side could never carry back
  for (const x of Array.isArray(value) ? value : [value]) {
    const bad = typeof x === 'string' ? unsafeXmlChar(x) : undefined;
    if (bad) throw new CimValueError(`${where}: the value contains ${bad}, which XML cannot carry.`, pd.name);
  }
  if (Array.isArray(value) && pd.arraySize !== undefined && value.length > pd.arraySize) {
    throw new CimValueError(`${where}: ${value.length} elements exceed the declared array size ${pd.arraySize}.`, pd.name);
  }
  return value;
}
