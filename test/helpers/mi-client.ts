/**
 * The Windows MI client (PowerShell's CIM cmdlets over WS-Man) as it appears on the wire, for
 * request-for-request scripts (test/interop/powershell). Envelopes follow the recorded MI-client
 * requests (captures/windows: omi-mi-client-*, climbe-powershell-*, mswsmv-4.11.*,
 * omi-sample-put.request.xml, omi-doc-get-class-cimxml.request.xml; wire notes §2.1):
 *
 * - Envelope declares s a n w p b (enumeration) or s a w p (everything else);
 * - header order To, ResourceURI (mU), ReplyTo/Address (mU), Action (mU), MaxEnvelopeSize (mU,
 *   512000), MessageID (`uuid:` + upper-case GUID), Locale, DataLocale (mU=false, `<x ... />`),
 *   [ActivityId], SessionId, OperationID, SequenceId 1, SelectorSet (`__cimnamespace` first),
 *   OptionSet (xmlns:xsi, typed options), OperationTimeout;
 * - DMTF resource URIs for every class, `wscim/1/*` for queries and association filters,
 *   `cim-xml/2/cim-schema/2/*` for class metadata;
 * - Invoke bodies `<p0:M_INPUT xmlns:xsi xmlns:p0="{DMTF class URI}" xsi:type="M_INPUT_Type">` with
 *   `xsi:type="cim:…"` annotations whose `cim` prefix is never declared.
 *
 * The answer helpers read what the MI client reads, and {@link powershellError} reproduces how
 * the MI client turns a fault into the CimException PowerShell shows (wire notes §5.3).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { attr, childElements, textOf, type XmlElement } from '../../src/xml/dom.js';
import { find, findOne, NS, parse, post, type HttpAnswer } from './wsman-client.js';

export const MI_URI = {
  dmtfClass: 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/',
  all: 'http://schemas.dmtf.org/wbem/wscim/1/*',
  cimxml: 'http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/',
  wql: 'http://schemas.microsoft.com/wbem/wsman/1/WQL',
  associationFilter: 'http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter',
  anonymous: 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous',
} as const;

export const MI_ACTION = {
  get: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get',
  put: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Put',
  delete: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete',
  enumerate: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate',
  pull: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull',
} as const;

/** One `w:Option` (name as the MI client spells it, with its `Type`). */
export interface MiOption {
  readonly name: string;
  readonly type: string;
  readonly value: string;
}

/** The options every PowerShell CIM cmdlet sends (climbe captures; omi Put1). */
export const MI_STANDARD_OPTIONS: readonly MiOption[] = [
  { name: '__MI_CallbackRegistration', type: 'xs:int', value: '11' },
  { name: 'wmiarray:__MI_OPERATIONOPTIONS_CHANNELVALUE', type: 'xs:unsignedInt', value: '0' },
  { name: 'wmiarray:__MI_OPERATIONOPTIONS_CHANNELVALUE', type: 'xs:unsignedInt', value: '1' },
  { name: 'wmiarray:__MI_OPERATIONOPTIONS_CHANNELVALUE', type: 'xs:unsignedInt', value: '2' },
  { name: 'wmi:__MI_OPERATIONOPTIONS_WRITEERRORMODE', type: 'xs:unsignedInt', value: '1' },
  { name: 'msftwinrm:UsePreciseArrays', type: 'xs:boolean', value: 'true' },
];

export const boolOption = (name: string, v: boolean): MiOption => ({ name, type: 'xs:boolean', value: String(v) });

const xmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const upperGuid = (): string => randomUUID().toUpperCase();

export interface MiRequest {
  readonly action: string;
  readonly resourceUri: string;
  /** selectors in wire order; `__cimnamespace` is put first by the session helpers */
  readonly selectors?: ReadonlyArray<readonly [string, string]>;
  readonly options?: readonly MiOption[];
  readonly body?: string;
  /** s a n w p b (Enumerate/Pull) or s a w p */
  readonly enumeration?: boolean;
  readonly messageId?: string;
  /** the OperationTimeout header, absent when null (Set-CimInstance sends none) */
  readonly operationTimeout?: string | null;
}

export interface MiSessionOptions {
  /** CIM namespace (forward slashes, as PowerShell passes `-Namespace root/virtualization/v2`) */
  namespace?: string;
  /** `xml:lang` of Locale and DataLocale */
  locale?: string;
  /** send p:ActivityId (the MI client does on 2012 R2+ when tracing is on; omi test1/test3) */
  activityId?: boolean;
  /** the session's -OperationTimeoutSec, as `PT<n>.000S` */
  operationTimeout?: string;
  /** Basic credentials */
  user?: string;
  password?: string;
  /**
   * put each header value on its own line (the omi test3 capture is written this way; Windows
   * trims every value)
   */
  newlines?: boolean;
}

/** What the MI client sent and got back. */
export interface MiExchange {
  readonly request: string;
  readonly messageId: string;
  readonly http: HttpAnswer;
  readonly doc: XmlElement;
}

/** A CIM session (New-CimSession -Authentication Basic) to one emulated host. */
export class MiSession {
  readonly sessionId = 'uuid:' + upperGuid();
  readonly namespace: string;
  readonly exchanges: MiExchange[] = [];
  private readonly o: Required<Omit<MiSessionOptions, 'namespace'>>;

  constructor(readonly url: string, opts: MiSessionOptions = {}) {
    this.namespace = opts.namespace ?? 'root/virtualization/v2';
    this.o = {
      locale: opts.locale ?? 'en-US',
      activityId: opts.activityId ?? false,
      operationTimeout: opts.operationTimeout ?? 'PT60.000S',
      user: opts.user ?? 'Administrator',
      password: opts.password ?? 'Passw0rd!',
      newlines: opts.newlines ?? false,
    };
  }

  /** The envelope exactly as the MI client writes it. */
  envelope(r: MiRequest): { xml: string; messageId: string } {
    const nl = this.o.newlines ? '\n' : '';
    const v = (s: string) => nl + xmlEsc(s);
    const messageId = r.messageId ?? 'uuid:' + upperGuid();
    const decls =
      `xmlns:s="${NS.s}" xmlns:a="${NS.a}"` + (r.enumeration ? ` xmlns:n="${NS.n}"` : '') +
      ` xmlns:w="${NS.w}" xmlns:p="${NS.p}"` + (r.enumeration ? ` xmlns:b="${NS.b}"` : '');
    let h = '';
    h += `<a:To>${v(this.url)}</a:To>`;
    h += `<w:ResourceURI s:mustUnderstand="true">${v(r.resourceUri)}</w:ResourceURI>`;
    h += `<a:ReplyTo><a:Address s:mustUnderstand="true">${v(MI_URI.anonymous)}</a:Address></a:ReplyTo>`;
    h += `<a:Action s:mustUnderstand="true">${v(r.action)}</a:Action>`;
    h += `<w:MaxEnvelopeSize s:mustUnderstand="true">${v('512000')}</w:MaxEnvelopeSize>`;
    h += `<a:MessageID>${v(messageId)}</a:MessageID>`;
    h += `<w:Locale xml:lang="${this.o.locale}" s:mustUnderstand="false" />`;
    h += `<p:DataLocale xml:lang="${this.o.locale}" s:mustUnderstand="false" />`;
    if (this.o.activityId) h += `<p:ActivityId s:mustUnderstand="false">${v(upperGuid())}</p:ActivityId>`;
    h += `<p:SessionId s:mustUnderstand="false">${v(this.sessionId)}</p:SessionId>`;
    h += `<p:OperationID s:mustUnderstand="false">${v('uuid:' + upperGuid())}</p:OperationID>`;
    h += `<p:SequenceId s:mustUnderstand="false">${v('1')}</p:SequenceId>`;
    if (r.selectors?.length) {
      h += '<w:SelectorSet>' + r.selectors.map(([k, val]) => `<w:Selector Name="${xmlEsc(k)}">${val === '' ? '' : v(val)}</w:Selector>`).join('') + '</w:SelectorSet>';
    }
    const options = r.options ?? MI_STANDARD_OPTIONS;
    if (options.length) {
      h += `<w:OptionSet xmlns:xsi="${NS.xsi}">` +
        options.map((o) => `<w:Option Name="${xmlEsc(o.name)}" Type="${o.type}">${v(o.value)}</w:Option>`).join('') + '</w:OptionSet>';
    }
    const timeout = r.operationTimeout === undefined ? this.o.operationTimeout : r.operationTimeout;
    if (timeout !== null) h += `<w:OperationTimeout>${v(timeout)}</w:OperationTimeout>`;
    const xml = `<s:Envelope ${decls}><s:Header>${h}</s:Header><s:Body>${r.body ?? ''}</s:Body></s:Envelope>`;
    return { xml, messageId };
  }

  async send(r: MiRequest): Promise<MiExchange> {
    const { xml, messageId } = this.envelope(r);
    const http = await post(this.url, xml, { Authorization: 'Basic ' + Buffer.from(`${this.o.user}:${this.o.password}`).toString('base64') });
    const doc = parse(http.text);
    const ex = { request: xml, messageId, http, doc };
    this.exchanges.push(ex);
    return ex;
  }

  /** `__cimnamespace` first, then the keys (the MI client's order; omi test3). */
  selectors(keys: Record<string, string> = {}): Array<[string, string]> {
    return [['__cimnamespace', this.namespace], ...Object.entries(keys)];
  }

  // ---- cmdlets ------------------------------------------------------------------------------

  /** Get-CimInstance -ClassName: Enumerate on the DMTF class URI, EnumerateObjectAndEPR, then Pulls. */
  getCimInstance(className: string): Promise<MiEnumeration> {
    return this.enumerate(MI_URI.dmtfClass + className, '');
  }

  /** Get-CimInstance -Query / -Filter: WQL on `wscim/1/*`. */
  query(wql: string): Promise<MiEnumeration> {
    return this.enumerate(MI_URI.all, `<w:Filter Dialect="${MI_URI.wql}">${xmlEsc(wql)}</w:Filter>`);
  }

  /** Get-CimAssociatedInstance: association filter on `wscim/1/*` (climbe capture). */
  associated(source: MiInstanceRef, opts: { association?: string; resultClass?: string; role?: string; resultRole?: string } = {}): Promise<MiEnumeration> {
    const f =
      `<w:Filter Dialect="${MI_URI.associationFilter}"><b:AssociatedInstances><b:Object>${this.eprXml(source)}</b:Object>` +
      (opts.association ? `<b:AssociationClassName>${opts.association}</b:AssociationClassName>` : '') +
      (opts.role ? `<b:Role>${opts.role}</b:Role>` : '') +
      (opts.resultClass ? `<b:ResultClassName>${opts.resultClass}</b:ResultClassName>` : '') +
      (opts.resultRole ? `<b:ResultRole>${opts.resultRole}</b:ResultRole>` : '') +
      `</b:AssociatedInstances></w:Filter>`;
    return this.enumerate(MI_URI.all, f);
  }

  /** An EPR as the MI client writes it in filters and REF arguments: DMTF URI, `__cimnamespace` first. */
  eprXml(ref: MiInstanceRef): string {
    return (
      `<a:Address>${MI_URI.anonymous}</a:Address><a:ReferenceParameters>` +
      `<w:ResourceURI>${MI_URI.dmtfClass}${ref.className}</w:ResourceURI><w:SelectorSet>` +
      this.selectors(ref.keys).map(([k, v]) => `<w:Selector Name="${k}">${xmlEsc(v)}</w:Selector>`).join('') +
      `</w:SelectorSet></a:ReferenceParameters>`
    );
  }

  /** Enumerate (optimized, MaxElements 32000, EnumerateObjectAndEPR) and every Pull after it. */
  async enumerate(resourceUri: string, filter: string, mode = 'EnumerateObjectAndEPR', extraOptions: readonly MiOption[] = []): Promise<MiEnumeration> {
    const first = await this.send({
      action: MI_ACTION.enumerate, resourceUri, enumeration: true, selectors: this.selectors(),
      options: [...extraOptions, ...MI_STANDARD_OPTIONS],
      body: `<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>${mode ? `<w:EnumerationMode>${mode}</w:EnumerationMode>` : ''}${filter}</n:Enumerate>`,
    });
    const exchanges = [first];
    if (first.http.status !== 200) return { exchanges, items: [], fault: first };
    const resp = findOne(first.doc, NS.n, 'EnumerateResponse');
    const items: XmlElement[] = [];
    const firstItems = find(resp, NS.w, 'Items')[0];
    if (firstItems) items.push(...childElements(firstItems));
    let ctx = textOf(findOne(resp, NS.n, 'EnumerationContext')).trim();
    let done = find(resp, NS.w, 'EndOfSequence').length > 0;
    while (!done) {
      expect(ctx, 'a context while the enumeration is not finished').not.toBe('');
      const p = await this.send({
        action: MI_ACTION.pull, resourceUri, enumeration: true, selectors: this.selectors(),
        body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext><n:MaxElements>32000</n:MaxElements></n:Pull>`,
      });
      exchanges.push(p);
      if (p.http.status !== 200) return { exchanges, items, fault: p };
      const pr = findOne(p.doc, NS.n, 'PullResponse');
      const it = find(pr, NS.n, 'Items')[0];
      if (it) items.push(...childElements(it));
      const c = find(pr, NS.n, 'EnumerationContext')[0];
      ctx = c ? textOf(c).trim() : '';
      done = find(pr, NS.n, 'EndOfSequence').length > 0;
    }
    return { exchanges, items };
  }

  /** Get-CimInstance -InputObject (refresh): Get on the DMTF class URI with the keys. */
  get(ref: MiInstanceRef): Promise<MiExchange> {
    return this.send({ action: MI_ACTION.get, resourceUri: MI_URI.dmtfClass + ref.className, selectors: this.selectors(ref.keys) });
  }

  /** Invoke-CimMethod: Action = DMTF class URI + "/" + method; `params` are MI-serialised parameter elements (prefix p0). */
  invoke(target: MiInstanceRef | { className: string; keys?: undefined }, method: string, params: string): Promise<MiExchange> {
    const uri = MI_URI.dmtfClass + target.className;
    return this.send({
      action: `${uri}/${method}`, resourceUri: uri, selectors: this.selectors(target.keys ?? {}),
      body: `<p0:${method}_INPUT xmlns:xsi="${NS.xsi}" xmlns:p0="${uri}" xsi:type="${method}_INPUT_Type">${params}</p0:${method}_INPUT>`,
    });
  }

  /** Set-CimInstance: Put with the whole instance and `__MIInstanceModifiedPropertiesList` (omi Put1). */
  put(ref: MiInstanceRef, properties: string, modified: readonly string[]): Promise<MiExchange> {
    const uri = MI_URI.dmtfClass + ref.className;
    return this.send({
      action: MI_ACTION.put, resourceUri: uri, selectors: this.selectors(ref.keys), operationTimeout: null,
      options: [...modified.map((m) => ({ name: 'wmiarray:__MIInstanceModifiedPropertiesList', type: 'xs:string', value: m })), ...MI_STANDARD_OPTIONS],
      body: `<p0:${ref.className} xmlns:xsi="${NS.xsi}" xmlns:p0="${uri}" xsi:type="p0:${ref.className}_Type">${properties}</p0:${ref.className}>`,
    });
  }

  /** Remove-CimInstance: Delete on the DMTF class URI with the keys. */
  delete(ref: MiInstanceRef): Promise<MiExchange> {
    return this.send({ action: MI_ACTION.delete, resourceUri: MI_URI.dmtfClass + ref.className, selectors: this.selectors(ref.keys) });
  }

  /** Get-CimClass -ClassName (and the class fetch before Invoke-CimMethod): Enumerate on the cim-xml URI. */
  getCimClass(className = '', extra: readonly MiOption[] = []): Promise<MiEnumeration> {
    return this.enumerateClasses(className, [
      boolOption('IncludeInheritanceHierarchy', true), boolOption('IncludeInheritedElements', true), boolOption('IncludeQualifiers', true), ...extra,
    ]);
  }

  async enumerateClasses(className: string, classOptions: readonly MiOption[]): Promise<MiEnumeration> {
    const sel: Array<[string, string]> = [['__cimnamespace', this.namespace], ['ClassName', className]];
    const first = await this.send({
      action: MI_ACTION.enumerate, resourceUri: MI_URI.cimxml + '*', enumeration: true, selectors: sel,
      options: [...classOptions, ...MI_STANDARD_OPTIONS],
      body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>',
    });
    if (first.http.status !== 200) return { exchanges: [first], items: [], fault: first };
    const resp = findOne(first.doc, NS.n, 'EnumerateResponse');
    const items = find(resp, NS.w, 'Items').flatMap((i) => childElements(i));
    let ctx = textOf(findOne(resp, NS.n, 'EnumerationContext')).trim();
    const exchanges = [first];
    while (find(exchanges[exchanges.length - 1].doc, NS.w, 'EndOfSequence').length === 0 && find(exchanges[exchanges.length - 1].doc, NS.n, 'EndOfSequence').length === 0) {
      const p = await this.send({
        action: MI_ACTION.pull, resourceUri: MI_URI.cimxml + '*', enumeration: true, selectors: sel,
        body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext><n:MaxElements>32000</n:MaxElements></n:Pull>`,
      });
      exchanges.push(p);
      items.push(...find(p.doc, NS.n, 'Items').flatMap((i) => childElements(i)));
      const c = find(p.doc, NS.n, 'EnumerationContext')[0];
      ctx = c ? textOf(c).trim() : '';
    }
    return { exchanges, items };
  }

  /** Get on the cim-xml URI with ClassName (OMI doc GetClassRequest; the MI client's class fetch). */
  getClass(className: string, classOptions: readonly MiOption[] = [
    boolOption('IncludeInheritanceHierarchy', true), boolOption('IncludeInheritedElements', true), boolOption('IncludeQualifiers', true),
  ]): Promise<MiExchange> {
    return this.send({
      action: MI_ACTION.get, resourceUri: MI_URI.cimxml + '*', selectors: [['__cimnamespace', this.namespace], ['ClassName', className]],
      options: [...classOptions, ...MI_STANDARD_OPTIONS],
    });
  }
}

export interface MiInstanceRef {
  readonly className: string;
  readonly keys: Record<string, string>;
}

export interface MiEnumeration {
  readonly exchanges: MiExchange[];
  /** the item elements (w:Item for EnumerateObjectAndEPR) */
  readonly items: XmlElement[];
  /** the exchange that failed, if any */
  readonly fault?: MiExchange;
}

// ---- reading answers as the MI client does ---------------------------------------------------

export type MiValue = string | null | string[];

/** An instance element → property values (arrays for repeated elements, null for xsi:nil). */
export function instanceValues(inst: XmlElement): Record<string, MiValue> {
  const out: Record<string, MiValue> = {};
  for (const c of childElements(inst)) {
    const nil = attr(c, 'nil', NS.xsi) === 'true';
    const kids = childElements(c);
    const v = nil ? null : kids.length && (kids[0].local === 'Datetime' || kids[0].local === 'Interval') ? textOf(kids[0]) : textOf(c);
    const prev = out[c.local];
    if (prev === undefined) out[c.local] = v;
    else out[c.local] = [...(Array.isArray(prev) ? prev : [prev ?? '']), v ?? ''];
  }
  return out;
}

export interface MiEpr {
  readonly address: string;
  readonly resourceUri: string;
  /** selectors in wire order */
  readonly selectors: Array<[string, string]>;
}

export function readEpr(el: XmlElement): MiEpr {
  const address = textOf(findOne(el, NS.a, 'Address')).trim();
  const resourceUri = textOf(findOne(el, NS.w, 'ResourceURI')).trim();
  const selectors = find(el, NS.w, 'Selector').map((s): [string, string] => [attr(s, 'Name') ?? '', textOf(s).trim()]);
  return { address, resourceUri, selectors };
}

/** A w:Item of EnumerateObjectAndEPR: the instance element, then its a:EndpointReference (DSP0226 §8.7). */
export function objectAndEpr(item: XmlElement): { instance: XmlElement; epr: MiEpr } {
  expect(item.ns === NS.w && item.local === 'Item', `w:Item, not ${item.local}`).toBe(true);
  const kids = childElements(item);
  expect(kids.map((k) => k.local)).toHaveLength(2);
  expect(kids[1].ns === NS.a && kids[1].local === 'EndpointReference', 'object first, EPR second').toBe(true);
  return { instance: kids[0], epr: readEpr(kids[1]) };
}

/** The key selectors of an EPR as an MiInstanceRef (what the MI client keeps as the CimInstance's path). */
export function refFromEpr(epr: MiEpr): MiInstanceRef {
  const className = epr.resourceUri.slice(epr.resourceUri.lastIndexOf('/') + 1);
  return { className, keys: Object.fromEntries(epr.selectors.filter(([k]) => k !== '__cimnamespace')) };
}

/**
 * What every answer to the MI client must look like in its header (wire notes §2.3, §2.2): Action,
 * MessageID, ActivityId, To (anonymous), RelatesTo = the request's MessageID; no OperationID or
 * SequenceId echo (that would switch the client into robust-connection mode), no DataLocale.
 */
export function expectWindowsHeader(ex: MiExchange, action: string): void {
  const header = childElements(ex.doc).find((c) => c.local === 'Header')!;
  const names = childElements(header).map((c) => `${c.ns === NS.a ? 'a' : c.ns === NS.p ? 'p' : c.ns}:${c.local}`);
  expect(names).toEqual(['a:Action', 'a:MessageID', 'p:ActivityId', 'a:To', 'a:RelatesTo']);
  expect(textOf(findOne(header, NS.a, 'Action'))).toBe(action);
  expect(textOf(findOne(header, NS.a, 'MessageID'))).toMatch(/^uuid:[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
  expect(textOf(findOne(header, NS.a, 'To'))).toBe(MI_URI.anonymous);
  expect(textOf(findOne(header, NS.a, 'RelatesTo'))).toBe(ex.messageId);
  expect(ex.http.text).not.toMatch(/OperationID|SequenceId|DataLocale/);
  expect(ex.http.headers['content-type']).toBe('application/soap+xml;charset=UTF-8');
}

/** The DMTF form of the answer's instance namespace and EPR (product note <45>; wire notes §4.2). */
export function expectDmtfInstance(inst: XmlElement, className: string): void {
  expect(inst.local).toBe(className);
  expect(inst.ns).toBe(MI_URI.dmtfClass + className);
  expect(attr(inst, 'type', NS.xsi)).toBe(`${inst.prefix}:${className}_Type`);
}

export function expectDmtfEpr(epr: MiEpr, className: string, namespace: string): void {
  expect(epr.address).toBe(MI_URI.anonymous);
  expect(epr.resourceUri).toBe(MI_URI.dmtfClass + className);
  expect(epr.selectors[0]).toEqual(['__cimnamespace', namespace]);
}

// ---- faults as PowerShell shows them ---------------------------------------------------------

/** MI_ErrorCategory names (omi Unix/common/MI.h) as PowerShell prints them in CategoryInfo. */
export const MI_ERROR_CATEGORY: Readonly<Record<number, string>> = {
  0: 'NotSpecified', 1: 'OpenError', 2: 'CloseError', 3: 'DeviceError', 4: 'DeadlockDetected', 5: 'InvalidArgument',
  6: 'InvalidData', 7: 'InvalidOperation', 8: 'InvalidResult', 9: 'InvalidType', 10: 'MetadataError', 11: 'NotImplemented',
  12: 'NotInstalled', 13: 'ObjectNotFound', 14: 'OperationStopped', 15: 'OperationTimeout', 16: 'SyntaxError', 17: 'ParserError',
  18: 'PermissionDenied', 19: 'ResourceBusy', 20: 'ResourceExists', 21: 'ResourceUnavailable', 22: 'ReadError', 23: 'WriteError',
  24: 'FromStdErr', 25: 'SecurityError', 26: 'ProtocolError', 27: 'ConnectionError', 28: 'AuthenticationError',
  29: 'LimitsExceeded', 30: 'QuotaExceeded', 31: 'NotEnabled',
};

export interface PowerShellError {
  /** the exception message (first line of the error record) */
  readonly message: string;
  /** CategoryInfo's category */
  readonly category: string;
  /** FullyQualifiedErrorId */
  readonly fullyQualifiedErrorId: string;
  /** which detail form the fault carried */
  readonly form: 'MSFT_WmiError' | 'WSManFault';
}

/**
 * The CimException PowerShell builds from a fault (wire notes §5.3): with an MSFT_WmiError /
 * CIM_Error detail the MI client uses that instance — message = Message, category =
 * error_Category, id = `HRESULT 0x<error_Code>`; otherwise the WS-Man error code becomes the
 * HRESULT and the category is ProtocolError.
 */
export function powershellError(ex: MiExchange, cmdlet: string): PowerShellError {
  expect(ex.http.status).toBe(500);
  const fault = findOne(ex.doc, NS.s, 'Fault');
  const id = (code: number) => `HRESULT 0x${(code >>> 0).toString(16)},Microsoft.Management.Infrastructure.CimCmdlets.${cmdlet}Command`;
  const detail = find(fault, NS.s, 'Detail')[0];
  const cimError = detail && childElements(detail).find((c) => attr(c, 'IsCIM_Error', NS.b) === 'true');
  if (cimError) {
    const v = instanceValues(cimError);
    return {
      message: String(v.Message ?? '').trim(),
      category: MI_ERROR_CATEGORY[Number(v.error_Category)] ?? 'NotSpecified',
      fullyQualifiedErrorId: id(Number(v.error_Code)),
      form: 'MSFT_WmiError',
    };
  }
  const wf = find(fault, NS.f, 'WSManFault')[0];
  const msg = wf ? find(wf, NS.f, 'Message')[0] : undefined;
  return {
    message: (msg ? textOf(msg) : textOf(findOne(fault, NS.s, 'Text'))).trim(),
    category: 'ProtocolError',
    fullyQualifiedErrorId: id(Number(wf ? attr(wf, 'Code') : 0)),
    form: 'WSManFault',
  };
}

/** MI-serialised parameter values (OMI/MI writer: `xsi:type="cim:…"`, `cim` undeclared). */
export const miParam = {
  string: (name: string, v: string) => `<p0:${name} xsi:type="cim:cimString">${xmlEsc(v)}</p0:${name}>`,
  uint16: (name: string, v: number) => `<p0:${name} xsi:type="cim:cimUnsignedShort">${v}</p0:${name}>`,
  uint32: (name: string, v: number) => `<p0:${name} xsi:type="cim:cimUnsignedInt">${v}</p0:${name}>`,
  boolean: (name: string, v: boolean) => `<p0:${name} xsi:type="cim:cimBoolean">${v}</p0:${name}>`,
  /** a CimInstance passed for a REF parameter: the instance's EPR (wire notes §3.3) */
  ref: (session: MiSession, name: string, ref: MiInstanceRef) => `<p0:${name}>${session.eprXml(ref)}</p0:${name}>`,
  /**
   * a CimInstance passed for an EmbeddedInstance parameter: a nested element typed with its
   * class (wire notes §3.2 "embedded object"; OMI's writer)
   */
  instance: (name: string, className: string, props: ReadonlyArray<readonly [string, string, string | readonly string[]]>) =>
    `<p0:${name} xmlns:q1="${MI_URI.dmtfClass}${className}" xsi:type="q1:${className}_Type">` +
    props.map(([p, type, v]) => (Array.isArray(v) ? v : [v as string]).map((x) => `<q1:${p} xsi:type="cim:${type}">${xmlEsc(x)}</q1:${p}>`).join('')).join('') +
    `</p0:${name}>`,
};
