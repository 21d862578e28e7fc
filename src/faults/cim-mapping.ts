/**
 * How CIM/WMI errors become WS-Man faults. This is the one place that decides which subcode and
 * which detail form (WSManFault/ProviderFault vs MSFT_WmiError) a WMI error gets; the README's
 * compatibility section describes the choice.
 *
 * - Object not found / invalid class / invalid namespace on a single-instance operation:
 *   a:DestinationUnreachable + ProviderFault with __ExtendedStatus (V: 2012 R2 capture).
 * - Bad WQL or unknown class in a query: n:CannotProcessFilter + ProviderFault (V: 2008 R2 capture).
 * - Everything else a provider raises: s:Receiver w:InternalError (or the matching w: subcode)
 *   with an MSFT_WmiError detail (V: 2012+ fixtures), which is what makes PowerShell's
 *   CimException show the WMI message and category.
 */
import { CimError, CimStatus, CimValueError } from '../cim/errors.js';
import { WsmanFault, type FaultKind, type WmiErrorDetail } from './catalogue.js';

/** The intrinsic WMI operation behind a WS-Man request, as __ExtendedStatus names it. */
export type WmiOperation = 'GetObject' | 'PutInstance' | 'DeleteInstance' | 'CreateInstance' | 'ExecMethod' | 'ExecQuery' | 'EnumerateInstances';

/** MI_ErrorCategory for a CIM status (omi MI.h; wire notes §5.3). */
export function miErrorCategory(status: number): number {
  switch (status) {
    case CimStatus.ACCESS_DENIED: return 18; // PermissionDenied
    case CimStatus.INVALID_NAMESPACE: return 13; // ObjectNotFound
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
      message: withSpace(err.message),
      operation: err.operation ?? ctx.operation,
      category: miErrorCategory(status),
      errorSource: err.errorSource,
    };
    return new WsmanFault(kind, { wmi, reason: withSpace(err.message), wsmanCode: wsmanCode ?? err.hresult });
  };

  if (ctx.operation === 'ExecQuery' && (status === CimStatus.INVALID_CLASS || status === CimStatus.INVALID_QUERY ||
      status === CimStatus.QUERY_LANGUAGE_NOT_SUPPORTED || status === CimStatus.NO_SUCH_PROPERTY)) {
    return new WsmanFault('CannotProcessFilter', { wmi: providerDetail() });
  }
  switch (status) {
    case CimStatus.NOT_FOUND:
    case CimStatus.INVALID_CLASS:
    case CimStatus.INVALID_NAMESPACE: {
      return new WsmanFault('DestinationUnreachable', { wmi: providerDetail() });
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
