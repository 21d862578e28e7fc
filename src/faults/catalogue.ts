/**
 * The fault catalogue: the single source of truth for every error the emulator answers with.
 * Each kind maps to the SOAP code, subcode, fault Action, WSManFault code, HTTP status and the
 * message Windows writes (wire notes §5.1–5.2). Code anywhere raises a {@link WsmanFault} by kind;
 * only src/soap/fault-writer.ts turns it into XML.
 *
 * Messages are the English texts of wsmres.dll's message table for each WSManFault code, with
 * each stored CR LF turned into one space as FormatMessage does on the wire (sources and
 * confidence per code: docs/research/wsman-fault-messages.md).
 */

/** Which fault Action URI a kind is answered with. */
export type FaultActionKind = 'addressing' | 'wsman' | 'enumeration' | 'transfer' | 'eventing';

export const FAULT_ACTIONS: Readonly<Record<FaultActionKind, string>> = {
  addressing: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/fault',
  wsman: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
  enumeration: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault',
  transfer: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/fault',
  eventing: 'http://schemas.xmlsoap.org/ws/2004/08/eventing/fault',
};

export const FAULT_DETAIL_PREFIX = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/';

/** The namespace prefix of a subcode QName; the writer declares these on the Envelope. */
export type SubcodePrefix = 'a' | 'w' | 'n' | 'x' | 'e';

export interface FaultSpec {
  readonly code: 'Sender' | 'Receiver' | 'MustUnderstand' | 'VersionMismatch';
  /** e.g. ['a', 'DestinationUnreachable']; absent for MustUnderstand / VersionMismatch */
  readonly subcode?: readonly [SubcodePrefix, string];
  readonly action: FaultActionKind;
  /** last segment of the w:FaultDetail URI, when Windows sends one */
  readonly detail?: string;
  /** f:WSManFault Code (decimal); 0x80338000 + n for WinRM errors */
  readonly wsmanCode?: number;
  readonly http: number;
  /** s:Reason text as Windows writes it (trailing space included where Windows has one) */
  readonly message: string;
}

const NOT_FOUND_MSG =
  'The WS-Management service cannot process the request. The service cannot find the resource identified by the resource URI and selectors. ';
const INVALID_SELECTORS_MSG =
  'The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ';
const INVALID_HEADER_MSG =
  'The WS-Management service cannot process the request. The request contains one or more invalid SOAP headers. ';
const SCHEMA_MSG = 'The SOAP XML in the message does not match the corresponding XML schema definition. Change the XML and retry. ';
const INVALID_XML_MSG = 'The WS-Management service cannot process the request because the XML is invalid. ';

/** Every fault the emulator can answer with, keyed by a stable kind name. */
export const FAULTS = {
  // ---- addressing --------------------------------------------------------------------------
  DestinationUnreachable: {
    code: 'Sender', subcode: ['a', 'DestinationUnreachable'], action: 'addressing', detail: 'InvalidResourceURI',
    wsmanCode: 2150858752, http: 500, message: NOT_FOUND_MSG,
  },
  InvalidResourceURI: {
    code: 'Sender', subcode: ['a', 'DestinationUnreachable'], action: 'addressing', detail: 'InvalidResourceURI',
    wsmanCode: 2150858811, http: 500,
    message: 'The WS-Management service cannot process the request. The resource URI is missing or it has an incorrect format. Check the documentation or use the following command for information on how to construct a resource URI: "winrm help uris". ',
  },
  ActionNotSupported: {
    code: 'Sender', subcode: ['a', 'ActionNotSupported'], action: 'addressing', wsmanCode: 2150858771, http: 500,
    message: 'The WS-Management service does not support the action specified in the request. ',
  },
  ActionMismatch: {
    code: 'Sender', subcode: ['a', 'ActionNotSupported'], action: 'addressing', detail: 'ActionMismatch',
    wsmanCode: 2150858801, http: 500,
    message: 'The WS-Management service cannot process the request because the WS-Addressing Action URI in the request is not compatible with the resource. ',
  },
  InvalidMessageInformationHeader: {
    code: 'Sender', subcode: ['a', 'InvalidMessageInformationHeader'], action: 'addressing', wsmanCode: 2150858767,
    http: 500, message: INVALID_HEADER_MSG,
  },
  /** no w:FaultDetail here: the V capture (pypsrp, PT-1S) carries only the WSManFault message */
  InvalidTimeout: {
    code: 'Sender', subcode: ['a', 'InvalidMessageInformationHeader'], action: 'addressing',
    wsmanCode: 2150858767, http: 500, message: INVALID_HEADER_MSG,
  },
  MessageInformationHeaderRequired: {
    code: 'Sender', subcode: ['a', 'MessageInformationHeaderRequired'], action: 'addressing', wsmanCode: 2150858769,
    http: 500, message: 'The WS-Management service cannot process the request. The request does not have all the expected SOAP headers. ',
  },
  MustUnderstand: {
    code: 'MustUnderstand', action: 'addressing', wsmanCode: 2150858768, http: 500,
    message: 'The WS-Management service cannot process a SOAP header in the request that is marked as mustUnderstand by the client.  This could be caused by the use of a version of the protocol which is not supported, or may be an incompatibility  between the client and server implementations. ',
  },
  VersionMismatch: {
    code: 'VersionMismatch', action: 'addressing', wsmanCode: 2150858765, http: 500,
    message: 'The WS-Management service does not support the SOAP version specified in the request. ',
  },

  // ---- ws-management -------------------------------------------------------------------------
  InvalidSelectorsInsufficient: {
    code: 'Sender', subcode: ['w', 'InvalidSelectors'], action: 'wsman', detail: 'InsufficientSelectors',
    wsmanCode: 2150858842, http: 500, message: 'The WS-Management service cannot process the request because the request did not contain all required selectors. ',
  },
  InvalidSelectorsUnexpected: {
    code: 'Sender', subcode: ['w', 'InvalidSelectors'], action: 'wsman', detail: 'UnexpectedSelectors',
    wsmanCode: 2150858843, http: 500, message: INVALID_SELECTORS_MSG,
  },
  InvalidSelectorsTypeMismatch: {
    code: 'Sender', subcode: ['w', 'InvalidSelectors'], action: 'wsman', detail: 'TypeMismatch',
    wsmanCode: 2150858844, http: 500, message: 'The WS-Management service cannot process the request because a value for a selector is of the wrong type. ',
  },
  InvalidSelectorsInvalidValue: {
    code: 'Sender', subcode: ['w', 'InvalidSelectors'], action: 'wsman', detail: 'InvalidValue',
    wsmanCode: 2150858845, http: 500, message: 'The WS-Management service cannot process the request because a value for the selector is invalid. ',
  },
  InvalidSelectorsAmbiguous: {
    code: 'Sender', subcode: ['w', 'InvalidSelectors'], action: 'wsman', detail: 'AmbiguousSelectors',
    wsmanCode: 2150858846, http: 500, message: 'The WS-Management service cannot process the request because the selectors for the resource are ambiguous. ',
  },
  InvalidSelectorsDuplicate: {
    code: 'Sender', subcode: ['w', 'InvalidSelectors'], action: 'wsman', detail: 'DuplicateSelectors',
    wsmanCode: 2150858847, http: 500, message: 'The WS-Management service cannot process the request because the request contains duplicate selectors. ',
  },
  /** a non-singleton class addressed without keys (ERROR_WSMAN_INVALID_URI_WMI_SINGLETON) */
  InvalidSelectorsSingleton: {
    code: 'Sender', subcode: ['w', 'InvalidSelectors'], action: 'wsman', detail: 'InsufficientSelectors',
    wsmanCode: 2150859002, http: 500, message: 'The WinRM client cannot process the request. The resource URI is not valid: it does not contain keys, but the class selected is not a singleton. To access an instance which is not a singleton, keys must be provided. Use the following command to get more information in how to construct a resource URI: "winrm help uris". ',
  },
  SchemaValidationError: {
    code: 'Sender', subcode: ['w', 'SchemaValidationError'], action: 'wsman', wsmanCode: 2150858817, http: 500,
    message: SCHEMA_MSG,
  },
  InvalidXml: {
    code: 'Sender', subcode: ['w', 'SchemaValidationError'], action: 'wsman', wsmanCode: 2150858819, http: 500,
    message: INVALID_XML_MSG,
  },
  InvalidParameter: {
    code: 'Sender', subcode: ['w', 'InvalidParameter'], action: 'wsman', detail: 'InvalidValue', wsmanCode: 2150858810,
    http: 500, message: 'The WS-Management service cannot process the request because a parameter for the operation is not valid. ',
  },
  InvalidParameterName: {
    code: 'Sender', subcode: ['w', 'InvalidParameter'], action: 'wsman', detail: 'InvalidName', wsmanCode: 2150858837,
    http: 500, message: 'The WS-Management service cannot process the request. A parameter name is invalid. ',
  },
  InvalidParameterTypeMismatch: {
    code: 'Sender', subcode: ['w', 'InvalidParameter'], action: 'wsman', detail: 'TypeMismatch', wsmanCode: 2150858836,
    http: 500, message: 'The WS-Management service cannot process the request. A parameter that is required for the operation is not the correct type. ',
  },
  InvalidOptions: {
    code: 'Sender', subcode: ['w', 'InvalidOptions'], action: 'wsman', detail: 'InvalidValue', wsmanCode: 2150858809,
    http: 500, message: 'The WS-Management service cannot process the request because one or more options are not valid. The option names or values may not be valid or they are used in incorrect combinations. Retrieve the catalog entry for the resource and determine how to correct the invalid option values. ',
  },
  UnsupportedFeatureAddressingMode: {
    code: 'Sender', subcode: ['w', 'UnsupportedFeature'], action: 'wsman', detail: 'AddressingMode',
    wsmanCode: 2150858818, http: 500,
    message: 'The WS-Management service does not support the specified feature. Remove the unsupported feature from the request and retry. ',
  },
  UnsupportedFeatureLocale: {
    code: 'Sender', subcode: ['w', 'UnsupportedFeature'], action: 'wsman', detail: 'Locale', wsmanCode: 2150858887,
    http: 500,
    message: 'The WS-Management service cannot guarantee that all data is returned in the requested locale as some data sources may not be able to comply. Resend the remote request with locale as a hint (the SOAP header should have mustUnderstand="false") ',
  },
  UnsupportedFeatureDataLocale: {
    code: 'Sender', subcode: ['w', 'UnsupportedFeature'], action: 'wsman', detail: 'DataLocale', wsmanCode: 2150858887,
    http: 500,
    message: 'The WS-Management service cannot guarantee that all data is returned in the requested locale as some data sources may not be able to comply. Resend the remote request with locale as a hint (the SOAP header should have mustUnderstand="false") ',
  },
  UnsupportedFeatureEnumerationMode: {
    code: 'Sender', subcode: ['w', 'UnsupportedFeature'], action: 'wsman', detail: 'EnumerationMode',
    wsmanCode: 2150858886, http: 500,
    message: 'The WS-Management service does not support the specified enumeration mode. ',
  },
  UnsupportedFeatureExpirationTime: {
    code: 'Sender', subcode: ['w', 'UnsupportedFeature'], action: 'wsman', detail: 'ExpirationTime',
    wsmanCode: 2150858775, http: 500,
    message: 'The data source does not support expiration time. Remove the expiration time from the request and try the request again. ',
  },
  UnsupportedFeatureFragment: {
    code: 'Sender', subcode: ['w', 'UnsupportedFeature'], action: 'wsman', detail: 'FragmentLevelAccess',
    wsmanCode: 2150858818, http: 500,
    message: 'The WS-Management service does not support the specified feature. Remove the unsupported feature from the request and retry. ',
  },
  EncodingLimitMinimumEnvelope: {
    code: 'Sender', subcode: ['w', 'EncodingLimit'], action: 'wsman', detail: 'MinimumEnvelopeLimit',
    wsmanCode: 2150858878, http: 500,
    message: 'The WS-Management service cannot process the request because the envelope size in the request is too small. ',
  },
  EncodingLimitMaxEnvelopeSize: {
    code: 'Sender', subcode: ['w', 'EncodingLimit'], action: 'wsman', detail: 'MaxEnvelopeSize',
    wsmanCode: 2150858823, http: 500,
    message: 'The maximum envelope size in the request is too large. Change the maximum envelope size and try the request again.  ',
  },
  EncodingLimitExceeded: {
    code: 'Sender', subcode: ['w', 'EncodingLimit'], action: 'wsman', detail: 'MaxEnvelopeSizeExceeded',
    wsmanCode: 2150858824, http: 500,
    message: 'The response that the WS-Management service computed exceeds the maximum envelope size in the request. ',
  },
  TimedOut: {
    code: 'Receiver', subcode: ['w', 'TimedOut'], action: 'wsman', wsmanCode: 2150858793, http: 500,
    message: 'The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ',
  },
  QuotaLimit: {
    code: 'Sender', subcode: ['w', 'QuotaLimit'], action: 'wsman', wsmanCode: 2150858815, http: 500,
    message: 'The WS-Management service is busy servicing other requests. Retry later. ',
  },
  ConcurrencyLimit: {
    code: 'Receiver', subcode: ['w', 'InternalError'], action: 'wsman', wsmanCode: 2150859174, http: 500,
    message: 'The WS-Management service cannot process the request. The maximum number of concurrent operations for this user has been exceeded. Close existing operations for this user, or raise the quota for this user. ',
  },
  AccessDenied: {
    code: 'Sender', subcode: ['w', 'AccessDenied'], action: 'wsman', wsmanCode: 5, http: 500,
    message: 'Access is denied. ',
  },
  AlreadyExists: {
    code: 'Sender', subcode: ['w', 'AlreadyExists'], action: 'wsman', wsmanCode: 2150858803, http: 500,
    message: 'The WS-Management service cannot create the resource because it already exists. ',
  },
  InternalError: {
    code: 'Receiver', subcode: ['w', 'InternalError'], action: 'wsman', wsmanCode: 2147500037, http: 500,
    message: 'The WS-Management service cannot process the request. An internal error occurred. ',
  },
  /** __cimnamespace disagrees with the namespace in a WMI-form URI (ERROR_WSMAN_DIFFERENT_CIM_SELECTOR) */
  DifferentCimSelector: {
    code: 'Receiver', subcode: ['w', 'InternalError'], action: 'wsman', wsmanCode: 2150859067, http: 500,
    message: 'The WS-Management service cannot process the request. The resource URI and __cimnamespace selector attempted to use different namespaces. Try removing the __cimnamespace selector or using a DMTF resource URI. If a non-DMTF resource URI is used with a __cimnamespace selector, the namespaces must match. ',
  },
  /** WQL on a WMI URI that is not `…/*` (ERROR_WSMAN_INVALID_URI_WMI_ENUM_WQL) */
  WqlRequiresStarUri: {
    code: 'Sender', subcode: ['w', 'InvalidParameter'], action: 'wsman', detail: 'InvalidValue', wsmanCode: 2150859003,
    http: 500,
    message: 'The WinRM client cannot process the request. The resource URI for an enumeration operation with WQL filter must not contain keys and the class name must be \'*\' (star). Use the following command to get more information in how to construct a resource URI: "winrm help uris". ',
  },
  /** selectors given with an Enumerate on the WMI path (ERROR_WSMAN_ENUMERATE_WMI_INVALID_KEY) */
  EnumerateWithSelectors: {
    code: 'Sender', subcode: ['w', 'InvalidSelectors'], action: 'wsman', detail: 'UnexpectedSelectors',
    wsmanCode: 2150859016, http: 500,
    message: 'The WS-Management service cannot process the request. The resource URI for an Enumerate operation must not contain keys. ',
  },
  CannotDecrypt: {
    code: 'Sender', subcode: ['w', 'InvalidMessageInformationHeader'], action: 'wsman', wsmanCode: 2150859001, http: 400,
    message: 'The WS-Management service cannot process the request because the message could not be decrypted. ',
  },

  // ---- transfer --------------------------------------------------------------------------------
  InvalidRepresentation: {
    code: 'Sender', subcode: ['x', 'InvalidRepresentation'], action: 'transfer', detail: 'InvalidValues',
    wsmanCode: 2150858773, http: 500,
    message: 'The WS-Management service cannot identify the format of the object passed to a Put or Create method. The input XML may not be appropriate for the resource or uses the wrong schema for the resource. Change the input XML in the request. ',
  },
  InvalidRepresentationMissing: {
    code: 'Sender', subcode: ['x', 'InvalidRepresentation'], action: 'transfer', detail: 'MissingValues',
    wsmanCode: 2150858839, http: 500,
    message: 'The WS-Management service cannot process the request because the XML content has missing values. ',
  },
  InvalidRepresentationNamespace: {
    code: 'Sender', subcode: ['x', 'InvalidRepresentation'], action: 'transfer', detail: 'InvalidNamespace',
    wsmanCode: 2150858840, http: 500,
    message: 'The WS-Management service cannot identify the format of the object passed to a Put or Create method. The XML namespace for the input XML is invalid. Change the XML namespace for the input XML in the request. ',
  },

  // ---- enumeration -----------------------------------------------------------------------------
  CannotProcessFilter: {
    code: 'Sender', subcode: ['n', 'CannotProcessFilter'], action: 'enumeration', wsmanCode: 2150858778, http: 500,
    message: 'The data source could not process the filter. The filter might be missing or it might be invalid. Change the filter and try the request again.  ',
  },
  FilteringNotSupported: {
    code: 'Sender', subcode: ['n', 'FilteringNotSupported'], action: 'enumeration', wsmanCode: 2150858776, http: 500,
    message: 'The data source does not support filtering. Remove the filter from the request and try the request again. ',
  },
  FilterDialectRequestedUnavailable: {
    code: 'Sender', subcode: ['n', 'FilterDialectRequestedUnavailable'], action: 'enumeration', wsmanCode: 2150858777,
    http: 500, message: 'The filter dialect (the type associated with the filter) was not supported for this resource. Change the filter dialect or remove it from the request and try the request again. ',
  },
  InvalidEnumerationContext: {
    code: 'Receiver', subcode: ['n', 'InvalidEnumerationContext'], action: 'enumeration', wsmanCode: 2150858779,
    http: 500,
    message: 'The WS-Enumeration context in the enumeration is not valid. Enumeration may have been completed or canceled. You cannot use this enumeration context anymore. Start a new enumeration. ',
  },
  UnsupportedExpirationType: {
    code: 'Sender', subcode: ['n', 'UnsupportedExpirationType'], action: 'enumeration', wsmanCode: 2150859036, http: 500,
    message: 'The expiration time specified for enumeration was invalid. Specify the expiration time as a duration. ',
  },
  PullInProgress: {
    code: 'Receiver', subcode: ['w', 'InternalError'], action: 'wsman', wsmanCode: 2150858758, http: 500,
    message: 'The WS-Management service cannot process a pull request because a pull operation is already in progress. ',
  },
} as const satisfies Record<string, FaultSpec>;

export type FaultKind = keyof typeof FAULTS;

/** A WMI error carried inside a fault (the two detail forms of wire notes §5.1). */
export interface WmiErrorDetail {
  /** 'provider': WSManFault/ProviderFault/__ExtendedStatus (V 2008R2/2012R2); 'cim': MSFT_WmiError instance (V 2012+) */
  readonly form: 'provider' | 'cim';
  readonly cimStatus: number;
  readonly hresult: number;
  /** the WMI message (inner ProviderFault / MSFT_WmiError.Message) */
  readonly message: string;
  /** __ExtendedStatus.Operation (GetObject, ExecQuery, ExecMethod, PutInstance…) */
  readonly operation?: string;
  /** __ExtendedStatus.ParameterInfo (object path or query) */
  readonly parameterInfo?: string;
  /** __ExtendedStatus.ProviderName */
  readonly providerName?: string;
  /** MSFT_WmiError.error_Category (MI error category, wire notes §5.3) */
  readonly category?: number;
  readonly errorSource?: string;
}

export interface WsmanFaultOptions {
  /** replaces the catalogue's Reason text (WMI errors put the WMI message there) */
  reason?: string;
  /** replaces the catalogue's WSManFault code */
  wsmanCode?: number;
  /** extra text for the WSManFault Message (when no WMI detail) */
  detailMessage?: string;
  wmi?: WmiErrorDetail;
  /** s:NotUnderstood for MustUnderstand faults */
  notUnderstood?: { ns: string; local: string };
}

/** Raised anywhere below the transport; rendered by the SOAP layer. */
export class WsmanFault extends Error {
  readonly kind: FaultKind;
  readonly spec: FaultSpec;
  readonly options: WsmanFaultOptions;
  /** the MessageID of the request, when the fault arose before the request was fully read */
  relatesTo?: string;
  constructor(kind: FaultKind, options: WsmanFaultOptions = {}) {
    super(options.reason ?? FAULTS[kind].message);
    this.name = 'WsmanFault';
    this.kind = kind;
    this.spec = FAULTS[kind];
    this.options = options;
  }
}

export function isWsmanFault(e: unknown): e is WsmanFault {
  return e instanceof WsmanFault;
}
