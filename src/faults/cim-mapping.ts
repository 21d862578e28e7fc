/**
 * How CIM/WMI errors become WS-Man faults. This is the one place that decides which subcode and
 * which detail form (WSManFault/ProviderFault vs MSFT_WmiError) a WMI error gets; the README's
 * compatibility section ("Gap choices") describes the choice.
 *
 * Subcodes (both clients):
 * - Object not found / invalid class / invalid namespace on a single-instance operation:
 *   a:DestinationUnreachable (V: 2012 R2 capture).
 * - Bad WQL or unknown class in a query: n:CannotProcessFilter (V: 2008 R2 capture).
 * - Everything else a provider raises: s:Receiver w:InternalError (or the matching w: subcode).
 *
 * Detail form ({@link WMI_ERROR_DETAIL_FORM}, the gap of wire notes §5.3):
 * - requests from the MI client (PowerShell's CIM cmdlets: they carry the MI OptionSet) get an
 *   MSFT_WmiError instance for every WMI error, with WMI's own short text and HRESULT: that is the
 *   only form from which PowerShell builds the CimException Windows users see ("Invalid class",
 *   CategoryInfo MetadataError, `HRESULT 0x80041010,…`); a ProviderFault would surface as a
 *   ProtocolError with the WinRM code;
 * - other clients (winrm.cmd-style, pywinrm, openwsman/libvirt) get the ProviderFault +
 *   __ExtendedStatus form for not-found / invalid class / invalid namespace / query errors (V:
 *   2008 R2 and 2012 R2 captures) and MSFT_WmiError for provider failures (V: 2012+ fixtures).
 */
import { CimError, CimStatus, CimValueError } from '../cim/errors.js';
import { FAULTS, WsmanFault, type FaultKind, type WmiErrorDetail } from './catalogue.js';

/** The intrinsic WMI operation behind a WS-Man request, as __ExtendedStatus names it. */
export type WmiOperation = 'GetObject' | 'PutInstance' | 'DeleteInstance' | 'CreateInstance' | 'ExecMethod' | 'ExecQuery' | 'EnumerateInstances';

/** Who asked: the Windows MI client (PowerShell CIM cmdlets) or any other WS-Man client. */
export type ClientKind = 'mi' | 'wsman';

/**
 * THE choice of detail form for WMI errors inside faults, per client (change it here):
 * 'cim' = MSFT_WmiError instance, 'provider' = WSManFault/ProviderFault/__ExtendedStatus for the
 * errors Windows was captured answering that way (not found, invalid class/namespace, queries).
 */
export const WMI_ERROR_DETAIL_FORM: Readonly<Record<ClientKind, 'cim' | 'provider'>> = {
  mi: 'cim',
  wsman: 'provider',
};

/**
 * WMI's short English texts for its HRESULTs, as the CIM cmdlets print them ("Get-CimInstance :
 * Invalid class ", docs/research/wsman-fault-messages.md); with the trailing space FormatMessage
 * leaves. Used as MSFT_WmiError.Message for MI-client answers.
 */
export const WBEM_TEXT: Readonly<Record<number, string>> = {
  0x80041001: 'Generic failure ',
  0x80041002: 'Not found ',
  0x80041003: 'Access denied ',
  0x80041005: 'Type mismatch ',
  0x80041006: 'Out of memory ',
  0x80041008: 'Invalid parameter ',
  0x8004100c: 'Not supported ',
  0x8004100e: 'Invalid namespace ',
  0x80041010: 'Invalid class ',
  0x80041017: 'Invalid query ',
  0x80041019: 'Already exists ',
  0x80041055: 'This method is not implemented in any class ',
};

/** MI_ErrorCategory for a CIM status (omi MI.h; wire notes §5.3). */
export function miErrorCategory(status: number): number {
  switch (status) {
    case CimStatus.ACCESS_DENIED: return 18; // PermissionDenied
    // "Get-CimInstance : Invalid namespace" is a MetadataError (HRESULT 0x8004100e) in PowerShell
    case CimStatus.INVALID_NAMESPACE: return 10; // MetadataError
    case CimStatus.INVALID_PARAMETER: return 5; // InvalidArgument
    case CimStatus.INVALID_CLASS: return 10; // MetadataError
    case CimStatus.NOT_FOUND: return 13; // ObjectNotFound
    case CimStatus.NOT_SUPPORTED: return 11; // NotImplemented
    case CimStatus.ALREADY_EXISTS: return 20; // ResourceExists
    case CimStatus.NO_SUCH_PROPERTY: return 10; // MetadataError
    case CimStatus.TYPE_MISMATCH: return 9; // InvalidType
    case CimStatus.QUERY_LANGUAGE_NOT_SUPPORTED: return 11; // NotImplemented
    case CimStatus.INVALID_QUERY: return 5; // InvalidArgument
    case CimStatus.METHOD_NOT_AVAILABLE: return 11; // NotImplemented
    case CimStatus.METHOD_NOT_FOUND: return 10; // MetadataError
    case CimStatus.SERVER_LIMITS_EXCEEDED: return 29; // LimitsExceeded
    default: return 0; // NotSpecified
  }
}

/** WMI's own texts for the errors WinRM shows inside a ProviderFault. */
const WMI_MESSAGES: Readonly<Record<number, string>> = {
  [CimStatus.NOT_FOUND]: 'No instance found with given property values. ',
  [CimStatus.INVALID_CLASS]: 'The specified class does not exist in the given namespace. ',
  [CimStatus.INVALID_NAMESPACE]: 'The WMI namespace does not exist. ',
  [CimStatus.INVALID_QUERY]: 'The WQL query is invalid. ',
};

export interface FaultContext {
  operation: WmiOperation;
  /** object path or query text for __ExtendedStatus.ParameterInfo */
  parameterInfo?: string;
  /** the client that asked (default: any WS-Man client) */
  client?: ClientKind;
}

/** Turn anything a lower layer threw into the fault Windows would send. */
export function faultFromError(err: unknown, ctx: FaultContext): WsmanFault {
  if (err instanceof WsmanFault) return err;
  if (err instanceof CimValueError) {
    return new WsmanFault('SchemaValidationError', {
      detailMessage: `The WS-Management service cannot process the request because the XML is invalid: ${err.message} `,
    });
  }
  if (err instanceof CimError) return faultFromCimError(err, ctx);
  // A bug, not a client error: answer as Windows does for an unexpected provider failure,
  // never with a stack trace.
  return new WsmanFault('InternalError', {
    wmi: {
      form: 'cim', cimStatus: CimStatus.FAILED, hresult: 0x80041001, message: 'Generic failure ',
      category: 0, operation: ctx.operation,
    },
    reason: 'Generic failure ',
  });
}

export function faultFromCimError(err: CimError, ctx: FaultContext): WsmanFault {
  const status = err.status;
  const cimOnly = WMI_ERROR_DETAIL_FORM[ctx.client ?? 'wsman'] === 'cim';
  // the MI client reads WMI's own short text and HRESULT; other clients our longer explanation
  const text = cimOnly ? (WBEM_TEXT[err.hresult >>> 0] ?? withSpace(err.message)) : withSpace(err.message);
  const providerDetail = (): WmiErrorDetail => ({
      form: 'provider',
      cimStatus: status,
      hresult: err.hresult,
      message: WMI_MESSAGES[status] ?? withSpace(err.message),
      operation: err.operation ?? ctx.operation,
      parameterInfo: err.parameterInfo ?? ctx.parameterInfo,
      providerName: 'WinMgmt',
      category: miErrorCategory(status),
  });
  const cimForm = (kind: FaultKind, wsmanCode?: number) => {
    const wmi: WmiErrorDetail = {
      form: 'cim',
      cimStatus: status,
      hresult: err.hresult,
      message: text,
      operation: err.operation ?? ctx.operation,
      category: miErrorCategory(status),
      errorSource: err.errorSource,
    };
    return new WsmanFault(kind, { wmi, reason: text, wsmanCode: wsmanCode ?? err.hresult });
  };
  // not found, invalid class/namespace and query errors: ProviderFault for WS-Man clients,
  // MSFT_WmiError for the MI client (WMI_ERROR_DETAIL_FORM)
  const located = (kind: FaultKind) =>
    cimOnly ? cimForm(kind, FAULTS[kind].wsmanCode) : new WsmanFault(kind, { wmi: providerDetail() });

  if (ctx.operation === 'ExecQuery' && (status === CimStatus.INVALID_CLASS || status === CimStatus.INVALID_QUERY ||
      status === CimStatus.QUERY_LANGUAGE_NOT_SUPPORTED || status === CimStatus.NO_SUCH_PROPERTY)) {
    return located('CannotProcessFilter');
  }
  switch (status) {
    case CimStatus.NOT_FOUND:
    case CimStatus.INVALID_CLASS:
    case CimStatus.INVALID_NAMESPACE: {
      return located('DestinationUnreachable');
    }
    case CimStatus.ACCESS_DENIED:
      return cimForm('AccessDenied', 5);
    case CimStatus.INVALID_PARAMETER:
    case CimStatus.TYPE_MISMATCH:
    case CimStatus.NO_SUCH_PROPERTY:
      // ERROR_WSMAN_WMI_PROVIDER_INVALID_PARAMETER
      return cimForm('InvalidParameter', 2150859038);
    case CimStatus.ALREADY_EXISTS:
      return cimForm('AlreadyExists');
    case CimStatus.SERVER_LIMITS_EXCEEDED:
      return cimForm('QuotaLimit');
    default:
      return cimForm('InternalError');
  }
}

function withSpace(s: string): string {
  return s.endsWith(' ') ? s : s + ' ';
}
