/**
 * Writer for embedded instances (out-parameters such as Msvm_ConcreteJob.GetError's `Error`):
 * the CIM-XML text WMI's `GetText_(1)` (wbemObjectTextFormatCIMDTD20) produces, which is what
 * Hyper-V hands out.
 *
 * The shape follows GetText_(1) output recorded from Hyper-V hosts (OpenStack nova's Hyper-V test
 * stubs, e.g. nova/tests/hyperv/stubs/*_wmi.py):
 * - `<INSTANCE CLASSNAME="…">`, no XML declaration, no wrapper, no whitespace between elements;
 * - first the WMI system properties `__PATH` … `__GENUS`, each with CLASSORIGIN="___SYSTEM";
 * - then every property of the class in case-insensitive alphabetical order
 *   (CimClass.sortedProperties), attributes in the order NAME, CLASSORIGIN, PROPAGATED, TYPE;
 * - a property the instance does not set carries PROPAGATED="true" and the class default (WMI marks
 *   values still inherited from the class that way); a property set to null has no VALUE;
 * - booleans TRUE/FALSE, datetimes in DMTF form, arrays as PROPERTY.ARRAY/VALUE.ARRAY.
 * Choices where the recordings are silent (no recorded instance had them):
 * - embedded instances inside are written as escaped CIM-XML text in the VALUE, with
 *   EmbeddedObject="instance" (DSP0201 2.2+; the MI serializer writes it too);
 * - references are PROPERTY.REFERENCE with REFERENCECLASS and a VALUE.REFERENCE (see reference.ts);
 * - system properties describe a spawned instance: `__PATH`, `__RELPATH`, `__NAMESPACE` and
 *   `__SERVER` are null, as in the recording of an instance built by SpawnInstance_. An embedded
 *   instance is never stored, so it has no path.
 */
import { CimValueError } from '../errors.js';
import type { CimClass, CimInstance, CimPropertyDecl, CimScalar, CimValue } from '../types.js';
import { isInstance, isRef, nameKey } from '../types.js';
import { checkValue } from '../values.js';
import { element, valueElement, type AttrList } from './markup.js';
import { writeValueReference } from './reference.js';
import { embeddedClass, formatScalar, isEmbedded, wireType } from './scalar-text.js';
import type { ClassLookup } from './types.js';

export interface InstanceWriteOptions {
  /** lookup for the classes of nested embedded instances and of referenced instances */
  readonly classOf?: ClassLookup;
  /** write WMI's system properties first, as GetText_ does (default true) */
  readonly systemProperties?: boolean;
}

const SYSTEM_ORIGIN = '___SYSTEM';

function systemProperties(cls: CimClass): string {
  const str = (name: string, v: string | null) =>
    element('PROPERTY', [['NAME', name], ['CLASSORIGIN', SYSTEM_ORIGIN], ['TYPE', 'string']], v === null ? '' : valueElement(v));
  const int = (name: string, v: number) => element('PROPERTY', [['NAME', name], ['CLASSORIGIN', SYSTEM_ORIGIN], ['TYPE', 'sint32']], valueElement(String(v)));
  const derivation = cls.ancestry.slice(1);
  return (
    str('__PATH', null) +
    str('__NAMESPACE', null) +
    str('__SERVER', null) +
    element('PROPERTY.ARRAY', [['NAME', '__DERIVATION'], ['CLASSORIGIN', SYSTEM_ORIGIN], ['TYPE', 'string']], `<VALUE.ARRAY>${derivation.map(valueElement).join('')}</VALUE.ARRAY>`) +
    int('__PROPERTY_COUNT', cls.properties.size) +
    str('__RELPATH', null) +
    str('__DYNASTY', cls.ancestry[cls.ancestry.length - 1] ?? cls.name) +
    str('__SUPERCLASS', cls.superClass ?? null) +
    str('__CLASS', cls.name) +
    // __GENUS 2 = instance (1 would be a class)
    int('__GENUS', 2)
  );
}

/** Text of one scalar, embedded instances written recursively. */
function scalarText(decl: CimPropertyDecl, v: CimScalar, opts: InstanceWriteOptions): string {
  if (isEmbedded(decl) && isInstance(v)) {
    const nestedClass = opts.classOf?.(v.className);
    if (!nestedClass) throw new CimValueError(`The class ${v.className} of the instance embedded in '${decl.name}' is not known to the writer.`, decl.name);
    const expected = embeddedClass(decl);
    if (expected && !nestedClass.ancestry.some((a) => nameKey(a) === nameKey(expected))) {
      throw new CimValueError(`'${decl.name}' holds an instance of ${nestedClass.name}, which is not a ${expected}.`, decl.name);
    }
    return writeEmbeddedInstance(v, nestedClass, opts);
  }
  return formatScalar(decl.type, v, 'upper');
}

/** DSP0201 EmbeddedObject: "instance" when the declaration names the class, "object" when any class will do. */
function embeddedAttr(decl: CimPropertyDecl): string | undefined {
  if (!isEmbedded(decl)) return undefined;
  return embeddedClass(decl) !== undefined ? 'instance' : 'object';
}

function property(decl: CimPropertyDecl, value: CimValue, propagated: boolean, opts: InstanceWriteOptions): string {
  const head: AttrList = [['NAME', decl.name], ['CLASSORIGIN', decl.classOrigin], ['PROPAGATED', propagated ? 'true' : undefined]];
  if (decl.type === 'reference') {
    if (value !== null && !isRef(value)) throw new CimValueError(`'${decl.name}' must hold a reference.`, decl.name);
    return element('PROPERTY.REFERENCE', [...head, ['REFERENCECLASS', decl.refClass]], value === null ? '' : writeValueReference(value, opts.classOf));
  }
  const tail: AttrList = [['TYPE', wireType(decl)], ['EmbeddedObject', embeddedAttr(decl)]];
  if (decl.isArray) {
    const items = value as readonly CimScalar[] | null;
    const body = items === null ? '' : `<VALUE.ARRAY>${items.map((v) => valueElement(scalarText(decl, v, opts))).join('')}</VALUE.ARRAY>`;
    return element('PROPERTY.ARRAY', [...head, ...tail, ['ARRAYSIZE', decl.arraySize?.toString()]], body);
  }
  return element('PROPERTY', [...head, ...tail], value === null ? '' : valueElement(scalarText(decl, value as CimScalar, opts)));
}

/**
 * CIM-XML text of an instance of `cls`, ready to be put (escaped) into a string out-parameter.
 * Every property of `inst` must be declared by `cls` and fit its type (CimValueError otherwise).
 */
export function writeEmbeddedInstance(inst: CimInstance, cls: CimClass, opts: InstanceWriteOptions = {}): string {
  if (nameKey(inst.className) !== nameKey(cls.name)) {
    throw new CimValueError(`The instance is of class ${inst.className}, not ${cls.name}.`);
  }
  const given = new Map<string, CimValue>();
  for (const [name, v] of Object.entries(inst.props)) {
    const decl = cls.properties.get(nameKey(name));
    if (!decl) throw new CimValueError(`${cls.name} has no property '${name}'.`, name);
    checkValue(decl, v);
    given.set(nameKey(name), v);
  }
  let body = opts.systemProperties === false ? '' : systemProperties(cls);
  for (const decl of cls.sortedProperties) {
    const k = nameKey(decl.name);
    body += given.has(k)
      ? property(decl, given.get(k) as CimValue, false, opts)
      : property(decl, decl.defaultValue ?? null, true, opts);
  }
  return element('INSTANCE', [['CLASSNAME', cls.name]], body);
}
