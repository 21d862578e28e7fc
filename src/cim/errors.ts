/**
 * Errors raised by the CIM layer and by providers. They carry CIM/WMI facts only (status code,
 * WMI HRESULT, message); the WS-Man layer turns them into Windows faults through the one fault
 * catalogue (src/soap/faults.ts). A provider never builds a SOAP fault.
 */

/** CIM status codes (DSP0200 / MI_Result). */
export const CimStatus = {
  FAILED: 1,
  ACCESS_DENIED: 2,
  INVALID_NAMESPACE: 3,
  INVALID_PARAMETER: 4,
  INVALID_CLASS: 5,
  NOT_FOUND: 6,
  NOT_SUPPORTED: 7,
  CLASS_HAS_CHILDREN: 8,
  CLASS_HAS_INSTANCES: 9,
  INVALID_SUPERCLASS: 10,
  ALREADY_EXISTS: 11,
  NO_SUCH_PROPERTY: 12,
  TYPE_MISMATCH: 13,
  QUERY_LANGUAGE_NOT_SUPPORTED: 14,
  INVALID_QUERY: 15,
  METHOD_NOT_AVAILABLE: 16,
  METHOD_NOT_FOUND: 17,
  SERVER_LIMITS_EXCEEDED: 27,
} as const;
export type CimStatusCode = (typeof CimStatus)[keyof typeof CimStatus];

/** The WBEM_E_* HRESULT WMI reports for each status (what Windows puts in MSFT_WmiError.error_Code). */
export const WBEM_HRESULT: Readonly<Record<number, number>> = {
  [CimStatus.FAILED]: 0x80041001,
  [CimStatus.ACCESS_DENIED]: 0x80041003,
  [CimStatus.INVALID_NAMESPACE]: 0x8004100e,
  [CimStatus.INVALID_PARAMETER]: 0x80041008,
  [CimStatus.INVALID_CLASS]: 0x80041010,
  [CimStatus.NOT_FOUND]: 0x80041002,
  [CimStatus.NOT_SUPPORTED]: 0x8004100c,
  [CimStatus.ALREADY_EXISTS]: 0x80041019,
  [CimStatus.NO_SUCH_PROPERTY]: 0x80041010,
  [CimStatus.TYPE_MISMATCH]: 0x80041005,
  [CimStatus.QUERY_LANGUAGE_NOT_SUPPORTED]: 0x8004100d,
  [CimStatus.INVALID_QUERY]: 0x80041017,
  [CimStatus.METHOD_NOT_AVAILABLE]: 0x80041055,
  [CimStatus.METHOD_NOT_FOUND]: 0x80041016,
  [CimStatus.SERVER_LIMITS_EXCEEDED]: 0x80041006,
};

export interface CimErrorOptions {
  /** override the HRESULT (defaults to the WBEM code of the status) */
  hresult?: number;
  /** WMI object path of the offending element (CIM_Error.ErrorSource) */
  errorSource?: string;
  /** which intrinsic operation failed (GetObject, ExecQuery, ExecMethod, PutInstance…) */
  operation?: string;
  /** ParameterInfo for __ExtendedStatus (a query, an object path) */
  parameterInfo?: string;
}

export class CimError extends Error {
  readonly status: CimStatusCode;
  readonly hresult: number;
  readonly errorSource?: string;
  readonly operation?: string;
  readonly parameterInfo?: string;

  constructor(status: CimStatusCode, message: string, opts: CimErrorOptions = {}) {
    super(message);
    this.name = 'CimError';
    this.status = status;
    this.hresult = opts.hresult ?? WBEM_HRESULT[status] ?? 0x80041001;
    this.errorSource = opts.errorSource;
    this.operation = opts.operation;
    this.parameterInfo = opts.parameterInfo;
  }
}

/**
 * A value that does not fit its declared CIM type (bad lexical form, out of range, wrong arity).
 * Windows answers these with w:SchemaValidationError (wire notes §3.2), not a WMI error.
 */
export class CimValueError extends Error {
  /** the property or parameter name, when known */
  readonly element?: string;
  constructor(message: string, element?: string) {
    super(message);
    this.name = 'CimValueError';
    this.element = element;
  }
}
