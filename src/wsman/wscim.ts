/** DSP0230 (WS-CIM) names for CIM types, used for `xsi:type="cim:…"` and in generated XSDs. */
import type { CimType } from '../cim/types.js';

export const WSCIM_TYPE: Readonly<Record<CimType, string>> = {
  uint8: 'cimUnsignedByte',
  sint8: 'cimByte',
  uint16: 'cimUnsignedShort',
  sint16: 'cimShort',
  uint32: 'cimUnsignedInt',
  sint32: 'cimInt',
  uint64: 'cimUnsignedLong',
  sint64: 'cimLong',
  real32: 'cimFloat',
  real64: 'cimDouble',
  boolean: 'cimBoolean',
  string: 'cimString',
  char16: 'cimChar16',
  datetime: 'cimDateTime',
  reference: 'cimReference',
  instance: 'cimAnySimpleType',
};
