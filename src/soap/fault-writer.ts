/**
 * Fault envelopes in the Windows shape (wire notes §5.1): the fault Action, Code/Subcode, Reason,
 * then a Detail with w:FaultDetail and f:WSManFault — or, for WMI errors, the ProviderFault with
 * __ExtendedStatus form or an MSFT_WmiError instance (the form is chosen in src/faults/cim-mapping.ts).
 */
import type { CimClass, CimInstance } from '../cim/types.js';
import { FAULT_ACTIONS, FAULT_DETAIL_PREFIX, type WmiErrorDetail, type WsmanFault } from '../faults/catalogue.js';
import { renderInstance } from '../wsman/render/instance.js';
import type { RenderContext } from '../wsman/render/context.js';
import { escapeAttr, escapeText } from '../xml/escape.js';
import { NS } from '../wsman/namespaces.js';
import { writeEnvelope } from './writer.js';

export interface FaultEnvironment {
  relatesTo?: string;
  activityId?: string;
  /** the outer WSManFault Machine attribute: the address the client connected to */
  machine: string;
  /** the inner (provider) WSManFault Machine: the host's FQDN */
  hostName: string;
  /** class lookup for the detail instances (MSFT_WmiError, __ExtendedStatus) */
  classOf: (namespace: string, className: string) => CimClass | undefined;
}

export const WMI_PROVIDER_PATH = '%systemroot%\\system32\\WsmWmiPl.dll';
/** where the schema keeps the WMI error classes used in details */
const ERROR_CLASS_NAMESPACE = 'root/cimv2';

export function writeFault(fault: WsmanFault, env: FaultEnvironment): { status: number; body: string } {
  const spec = fault.spec;
  const opts = fault.options;
  const reason = opts.reason ?? spec.message;
  let code = `<s:Value>s:${spec.code}</s:Value>`;
  if (spec.subcode) code += `<s:Subcode><s:Value>${spec.subcode[0]}:${spec.subcode[1]}</s:Value></s:Subcode>`;
  let body = `<s:Fault><s:Code>${code}</s:Code><s:Reason><s:Text xml:lang="en-US">${escapeText(reason)}</s:Text></s:Reason>`;
  const detail = spec.code === 'MustUnderstand' || spec.code === 'VersionMismatch' ? '' : renderDetail(fault, env);
  if (detail) body += `<s:Detail>${detail}</s:Detail>`;
  body += '</s:Fault>';

  let extra = '';
  if (opts.notUnderstood) {
    const { ns, local } = opts.notUnderstood;
    // a prefix cannot be bound to no namespace (XML 1.0): a header in none gets an unprefixed
    // QName, which resolves to no namespace because the envelope declares no default namespace
    extra = ns
      ? `<s:NotUnderstood qname="q:${escapeAttr(local)}" xmlns:q="${escapeAttr(ns)}"/>`
      : `<s:NotUnderstood qname="${escapeAttr(local)}"/>`;
  }
  const xml = writeEnvelope('fault', FAULT_ACTIONS[spec.action], body, {
    relatesTo: env.relatesTo,
    activityId: env.activityId,
  }, extra);
  return { status: spec.http, body: xml };
}

function renderDetail(fault: WsmanFault, env: FaultEnvironment): string {
  const spec = fault.spec;
  const opts = fault.options;
  const wmi = opts.wmi;
  const faultDetail = spec.detail ? `<w:FaultDetail>${FAULT_DETAIL_PREFIX}${spec.detail}</w:FaultDetail>` : '';
  const codeValue = opts.wsmanCode ?? spec.wsmanCode;
  if (wmi?.form === 'cim') {
    const xml = renderWmiError(wmi, env);
    if (xml) return faultDetail + xml;
  }
  const open = (machine: string) =>
    `<f:WSManFault xmlns:f="${NS.f}" Code="${codeValue ?? 0}" Machine="${escapeAttr(machine)}">`;
  let message: string;
  if (wmi?.form === 'provider') {
    message =
      `<f:ProviderFault provider="WMI Provider" path="${escapeAttr(WMI_PROVIDER_PATH)}">` +
      open(env.hostName) + `<f:Message>${escapeText(wmi.message)}</f:Message></f:WSManFault>` +
      `<f:ExtendedError>${renderExtendedStatus(wmi, env)}</f:ExtendedError></f:ProviderFault>`;
  } else {
    message = escapeText(opts.detailMessage ?? opts.reason ?? spec.message);
  }
  return faultDetail + open(env.machine) + `<f:Message>${message}</f:Message></f:WSManFault>`;
}

const DETAIL_RENDER: Omit<RenderContext, 'classOf'> = {
  uriForm: 'dmtf',
  namespace: ERROR_CLASS_NAMESPACE,
  address: () => 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous',
  preciseArrays: false,
  embeddedText: () => '',
};

function renderExtendedStatus(wmi: WmiErrorDetail, env: FaultEnvironment): string {
  const cls = env.classOf(ERROR_CLASS_NAMESPACE, '__ExtendedStatus');
  if (!cls) return '';
  const inst: CimInstance = {
    className: cls.name,
    props: {
      Description: null,
      Operation: wmi.operation ?? null,
      ParameterInfo: wmi.parameterInfo ?? null,
      ProviderName: wmi.providerName ?? 'WinMgmt',
      StatusCode: null,
    },
  };
  return renderInstance(inst, cls, { ...DETAIL_RENDER, classOf: (n) => env.classOf(ERROR_CLASS_NAMESPACE, n) }, { typedProperties: true });
}

/**
 * The MI stack writes this error instance in ordinal (case-sensitive) name order and leaves out
 * null arrays (V: a 2012 R2 MSFT_WmiError detail: CIM_Error's properties, then error_*), unlike
 * WMI instances, which come in case-insensitive order.
 */
function wmiErrorOrder(cls: CimClass, inst: CimInstance) {
  return cls.sortedProperties
    .filter((p) => !(p.isArray && (inst.props[p.name] ?? null) === null))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function renderWmiError(wmi: WmiErrorDetail, env: FaultEnvironment): string | undefined {
  const cls = env.classOf(ERROR_CLASS_NAMESPACE, 'MSFT_WmiError');
  if (!cls) return undefined;
  const hex = '0x' + (wmi.hresult >>> 0).toString(16).padStart(8, '0');
  const inst: CimInstance = {
    className: cls.name,
    props: {
      CIMStatusCode: wmi.cimStatus,
      CIMStatusCodeDescription: null,
      ErrorSource: wmi.errorSource ?? null,
      ErrorSourceFormat: wmi.errorSource ? 2 : 0,
      ErrorType: 0,
      Message: wmi.message,
      MessageID: `HRESULT ${hex}`,
      OtherErrorSourceFormat: null,
      OtherErrorType: null,
      OwningEntity: null,
      PerceivedSeverity: 0,
      ProbableCause: 0,
      ProbableCauseDescription: null,
      error_Category: wmi.category ?? 0,
      error_Code: wmi.hresult >>> 0,
      error_Type: 'HRESULT',
      error_WindowsErrorMessage: wmi.message,
    },
  };
  return renderInstance(inst, cls, { ...DETAIL_RENDER, classOf: (n) => env.classOf(ERROR_CLASS_NAMESPACE, n) }, {
    typedProperties: true,
    extraAttributes: `b:IsCIM_Error="true" xmlns:b="${NS.b}"`,
    properties: wmiErrorOrder(cls, inst),
  });
}
