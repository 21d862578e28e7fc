/**
 * CIM type → XML Schema type of the DSP0230 (WS-CIM) mapping, with the `cim:` types of the DMTF
 * common schema (DSP8004, namespace http://schemas.dmtf.org/wbem/wscim/1/common).
 *
 * Embedded objects (class-typed features and strings with EmbeddedInstance / EmbeddedObject) map
 * to xs:anyType: DSP0230 carries them as nested elements, while Windows clients send CIM-XML text,
 * and xs:anyType admits both.
 */
import type { CimType, CimTypedElement } from '../../cim/types.js';

export const XS_NS = 'http://www.w3.org/2001/XMLSchema';
export const CIM_COMMON_NS = 'http://schemas.dmtf.org/wbem/wscim/1/common';

const CIM_XSD_TYPE: Readonly<Record<CimType, string>> = {
  uint8: 'cim:cimUnsignedByte',
  sint8: 'cim:cimByte',
  uint16: 'cim:cimUnsignedShort',
  sint16: 'cim:cimShort',
  uint32: 'cim:cimUnsignedInt',
  sint32: 'cim:cimInt',
  uint64: 'cim:cimUnsignedLong',
  sint64: 'cim:cimLong',
  real32: 'cim:cimFloat',
  real64: 'cim:cimDouble',
  boolean: 'cim:cimBoolean',
  string: 'cim:cimString',
  char16: 'cim:cimChar16',
  datetime: 'cim:cimDateTime',
  reference: 'cim:cimReference',
  instance: 'xs:anyType',
};

/** The QName (prefixes `cim`, `xs`) of the schema type of a property or parameter. */
export function xsdTypeOf(el: Pick<CimTypedElement, 'type' | 'embeddedInstance' | 'embeddedObject'>): string {
  if (el.type === 'string' && (el.embeddedInstance !== undefined || el.embeddedObject)) return 'xs:anyType';
  return CIM_XSD_TYPE[el.type];
}

/** The `cim:` types the generator can emit (the common schema must declare each one). */
export const CIM_COMMON_TYPES: readonly string[] = [...new Set(Object.values(CIM_XSD_TYPE))]
  .filter((t) => t.startsWith('cim:'))
  .map((t) => t.slice(4))
  .sort();
