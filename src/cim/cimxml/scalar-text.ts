/**
 * Lexical forms of scalar values inside CIM-XML `<VALUE>` elements (DSP0201 §3.2.3.1), which differ
 * from the WS-CIM forms of src/cim/values.ts in three places: datetimes are DMTF strings, integers
 * may be hexadecimal on input, and booleans are case-insensitive (WMI writes TRUE/FALSE).
 */
import { CimValueError } from '../errors.js';
import type { CimScalar, CimType, CimTypedElement } from '../types.js';
import { isDateTime } from '../types.js';
import { formatDateTimeDmtf, parseScalarText } from '../values.js';

/**
 * Characters XML 1.0 cannot carry: C0 controls other than TAB/LF/CR, U+FFFE/U+FFFF and surrogates
 * that are not part of a pair (the `u` flag makes the class match lone surrogates only). A value
 * holding one could not be written back unchanged (Windows, and src/xml/escape.ts, turn them into '?').
 */
const XML_UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/u;

/** The first character of `s` that XML cannot carry, as U+XXXX, or undefined. */
export function unsafeXmlChar(s: string): string | undefined {
  const m = XML_UNSAFE.exec(s);
  return m ? 'U+' + m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0') : undefined;
}

/** The CIM-XML TYPE of a feature; references have none (they use *.REFERENCE elements). */
export function wireType(decl: Pick<CimTypedElement, 'type'>): string | undefined {
  if (decl.type === 'reference') return undefined;
  // Embedded objects travel as strings holding CIM-XML (DSP0201 §3.2.6 EmbeddedObject).
  if (decl.type === 'instance') return 'string';
  return decl.type;
}

/** True for features whose value is an embedded instance (class-typed or string + EmbeddedInstance/EmbeddedObject). */
export function isEmbedded(decl: CimTypedElement): boolean {
  return decl.type === 'instance' || decl.embeddedInstance !== undefined || decl.embeddedObject === true;
}

/** The class an embedded value must be an instance of, when the declaration names one. */
export function embeddedClass(decl: CimTypedElement): string | undefined {
  return decl.embeddedInstance ?? (decl.type === 'instance' ? decl.refClass : undefined);
}

function formatReal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'INF';
  if (v === -Infinity) return '-INF';
  // String(-0) is "0"; keep the sign so a value read back is the value written.
  return Object.is(v, -0) ? '-0' : String(v);
}

/**
 * Text of a scalar. `booleans` chooses WMI's GetText_ spelling (TRUE/FALSE, instances) or the MI
 * class writer's (true/false, class declarations and qualifiers).
 */
export function formatScalar(type: CimType, v: CimScalar, booleans: 'upper' | 'lower'): string {
  if (typeof v === 'boolean') return booleans === 'upper' ? (v ? 'TRUE' : 'FALSE') : v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return type === 'real32' || type === 'real64' ? formatReal(v) : String(v);
  if (typeof v === 'string') return v;
  if (isDateTime(v)) return formatDateTimeDmtf(v);
  throw new CimValueError(`A ${type} value has no CIM-XML text form.`);
}

/**
 * Parse the text of one `<VALUE>` for a declared intrinsic type. Strings are taken verbatim (no
 * trimming: the whitespace is the value); other types are trimmed by the value parsers.
 */
export function parseScalar(type: CimType, text: string, element: string): CimScalar {
  if (type === 'string') return text;
  if (type === 'char16') {
    if (text.length === 1) return text;
    // Microsoft's MI serializer writes char16 as its code unit in decimal (OMI xmlserializer.c,
    // WriteBuffer_MiValue: "encode the MI_Char16 as number itself"); accept that form too.
    const t = text.trim();
    if (/^\d{1,5}$/.test(t) && Number(t) <= 0xffff) return String.fromCharCode(Number(t));
    throw new CimValueError(`The value '${text}' is not a valid char16.`, element);
  }
  return parseScalarText(type, text, element, true);
}
