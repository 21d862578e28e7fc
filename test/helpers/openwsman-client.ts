/**
 * libvirt's Hyper-V driver on its openwsman transport, request for request, for the scripts in
 * test/interop/libvirt. What it sends comes from the recorded openwsman requests
 * (captures/clients/wsman-*: User-Agent `openwsman 2.2.0`) and the sources (libvirt
 * src/hyperv/hyperv_wmi.c, hyperv_driver.c; openwsman src/lib/wsman-client.c,
 * wsman-libxml2-binding.c, wsman-xml-serializer.c):
 *
 * - `<?xml version="1.0" encoding="UTF-8"?>`, then an Envelope declaring s, wsa, wsman (+ wsen
 *   for enumeration, + n1 when openwsman builds an `_INPUT` body from properties);
 * - header order Action, To, ResourceURI, MessageID (all `s:mustUnderstand="true"`), ReplyTo
 *   (Address without mU), then SelectorSet from the `Name=Value&…` string; no MaxEnvelopeSize,
 *   Locale or OperationTimeout; MessageID `uuid:` + lower case;
 * - Enumerate: not optimized, `wsman:EnumerationMode` before `wsman:Filter Dialect=WQL`; Pull with
 *   only the context, on the class URI (libvirt passes the class's resourceUri to the Pull);
 * - Invoke from a data document: `<p:M_INPUT xmlns:p="{class URI}">` (hypervCreateInvokeXmlDoc)
 *   with simple parameters, EPR parameters copied out of an EnumerateEPR answer under
 *   `xmlns:a`/`xmlns:w` declared on the parameter, and CIM-XML `<INSTANCE>` documents in CDATA
 *   (xmlDocDumpFormatMemory output: XML declaration, newline, the element, newline).
 *
 * The readers reproduce what libvirt reads: ws_deserialize of the first item of each Pull (the
 * serializer rules of {@link deserialize}) and the XPath reads of hypervInvokeMethod
 * (test/helpers/xpath.ts).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { attr, childElements, textOf, type XmlElement } from '../../src/xml/dom.js';
import { find, NS, parse, type HttpAnswer } from './wsman-client.js';
import { xpathValue } from './xpath.js';

export const V2_ROOT = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/*';
export const CIMV2_ROOT = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/*';
export const WQL_DIALECT = 'http://schemas.microsoft.com/wbem/wsman/1/WQL';
const ANON = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

type LibvirtType = 'boolean' | 'string' | 'datetime' | 'int8' | 'sint8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64';

/** A class as hyperv_wmi_generator.input declares it: `type Name` lines, `[]` for dynamic arrays. */
export interface LibvirtClass {
  readonly name: string;
  readonly rootUri: string;
  readonly resourceUri: string;
  readonly properties: ReadonlyArray<{ readonly type: LibvirtType; readonly name: string; readonly isArray: boolean }>;
}

function libvirtClass(name: string, lines: string): LibvirtClass {
  const v2 = name.startsWith('Msvm_');
  const base = v2 ? 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2' : 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2';
  const properties = lines.trim().split('\n').map((l) => {
    const [type, raw] = l.trim().split(/\s+/);
    return { type: type as LibvirtType, name: raw.replace(/\[\]$/, ''), isArray: raw.endsWith('[]') };
  });
  return { name, rootUri: v2 ? V2_ROOT : CIMV2_ROOT, resourceUri: `${base}/${name}`, properties };
}

/** CIM_ResourceAllocationSettingData's properties, which libvirt's generator input repeats for each RASD class. */
const RASD_PROPERTIES = `
    string InstanceID
    string Caption
    string Description
    string ElementName
    uint16 ResourceType
    string OtherResourceType
    string ResourceSubType
    string PoolID
    uint16 ConsumerVisibility
    string HostResource[]
    string AllocationUnits
    uint64 VirtualQuantity
    uint64 Reservation
    uint64 Limit
    uint32 Weight
    boolean AutomaticAllocation
    boolean AutomaticDeallocation
    string Parent
    string Connection[]
    string Address
    uint16 MappingBehavior
    string AddressOnParent
    string VirtualQuantityUnits`;

/** The classes of libvirt's generator input (v2 only, as libvirt ≥ 7.0) that these flows read. */
export const LIBVIRT_CLASSES = {
  Msvm_ComputerSystem: libvirtClass('Msvm_ComputerSystem', `
    string InstanceID
    string Caption
    string Description
    string ElementName
    datetime InstallDate
    uint16 OperationalStatus[]
    string StatusDescriptions[]
    string Status
    uint16 HealthState
    uint16 CommunicationStatus
    uint16 DetailedStatus
    uint16 OperatingStatus
    uint16 PrimaryStatus
    uint16 EnabledState
    string OtherEnabledState
    uint16 RequestedState
    uint16 EnabledDefault
    datetime TimeOfLastStateChange
    uint16 AvailableRequestedStates[]
    uint16 TransitioningToState
    string CreationClassName
    string Name
    string PrimaryOwnerName
    string PrimaryOwnerContact
    string Roles[]
    string NameFormat
    string OtherIdentifyingInfo[]
    string IdentifyingDescriptions[]
    uint16 Dedicated[]
    string OtherDedicatedDescriptions[]
    uint16 ResetCapability
    uint16 PowerManagementCapabilities[]
    uint64 OnTimeInMilliseconds
    uint32 ProcessID
    datetime TimeOfLastConfigurationChange
    uint16 NumberOfNumaNodes
    uint16 ReplicationState
    uint16 ReplicationHealth
    uint16 ReplicationMode
    uint16 FailedOverReplicationType
    uint16 LastReplicationType
    datetime LastApplicationConsistentReplicationTime
    datetime LastReplicationTime
    datetime LastSuccessfulBackupTime
    uint16 EnhancedSessionModeState`),
  Msvm_ConcreteJob: libvirtClass('Msvm_ConcreteJob', `
    string InstanceID
    string Caption
    string Description
    string ElementName
    datetime InstallDate
    string Name
    uint16 OperationalStatus[]
    string StatusDescriptions[]
    string Status
    uint16 HealthState
    uint16 CommunicationStatus
    uint16 DetailedStatus
    uint16 OperatingStatus
    uint16 PrimaryStatus
    string JobStatus
    datetime TimeSubmitted
    datetime ScheduledStartTime
    datetime StartTime
    datetime ElapsedTime
    uint32 JobRunTimes
    uint8 RunMonth
    sint8 RunDay
    sint8 RunDayOfWeek
    datetime RunStartInterval
    uint16 LocalOrUtcTime
    datetime UntilTime
    string Notify
    string Owner
    uint32 Priority
    uint16 PercentComplete
    boolean DeleteOnCompletion
    uint16 ErrorCode
    string ErrorDescription
    string ErrorSummaryDescription
    uint16 RecoveryAction
    string OtherRecoveryAction
    uint16 JobState
    datetime TimeOfLastStateChange
    datetime TimeBeforeRemoval
    boolean Cancellable
    uint16 JobType`),
  Msvm_VirtualSystemSettingData: libvirtClass('Msvm_VirtualSystemSettingData', `
    string InstanceID
    string Caption
    string Description
    string ElementName
    string VirtualSystemIdentifier
    string VirtualSystemType
    string Notes[]
    datetime CreationTime
    string ConfigurationID
    string ConfigurationDataRoot
    string ConfigurationFile
    string SnapshotDataRoot
    string SuspendDataRoot
    string SwapFileDataRoot
    string LogDataRoot
    uint16 AutomaticStartupAction
    datetime AutomaticStartupActionDelay
    uint16 AutomaticStartupActionSequenceNumber
    uint16 AutomaticShutdownAction
    uint16 AutomaticRecoveryAction
    string RecoveryFile
    string BIOSGUID
    string BIOSSerialNumber
    string BaseBoardSerialNumber
    string ChassisSerialNumber
    string ChassisAssetTag
    boolean BIOSNumLock
    uint16 BootOrder[]
    string Parent
    boolean IsSaved
    string AdditionalRecoveryInformation
    boolean AllowFullSCSICommandSet
    uint32 DebugChannelId
    uint16 DebugPortEnabled
    uint32 DebugPort
    string Version
    boolean IncrementalBackupEnabled
    boolean VirtualNumaEnabled
    boolean AllowReducedFcRedundancy
    string VirtualSystemSubType
    string BootSourceOrder[]
    boolean PauseAfterBootFailure
    uint16 NetworkBootPreferredProtocol
    boolean SecureBootEnabled
    uint64 LowMmioGapSize`),
  Msvm_MemorySettingData: libvirtClass('Msvm_MemorySettingData', `
${RASD_PROPERTIES}
    boolean DynamicMemoryEnabled
    uint32 TargetMemoryBuffer
    boolean IsVirtualized
    boolean SwapFilesInUse
    uint64 MaxMemoryBlocksPerNumaNode`),
  Msvm_ProcessorSettingData: libvirtClass('Msvm_ProcessorSettingData', `
${RASD_PROPERTIES}
    boolean LimitCPUID
    boolean LimitProcessorFeatures
    uint64 MaxProcessorsPerNumaNode
    uint64 MaxNumaNodesPerSocket`),
  Msvm_VirtualSystemManagementService: libvirtClass('Msvm_VirtualSystemManagementService', `
    string InstanceID
    string Caption
    string Description
    string ElementName
    datetime InstallDate
    string Name
    uint16 OperationalStatus[]
    string StatusDescriptions[]
    string Status
    uint16 HealthState
    uint16 CommunicationStatus
    uint16 DetailedStatus
    uint16 OperatingStatus
    uint16 PrimaryStatus
    uint16 EnabledState
    string OtherEnabledState
    uint16 RequestedState
    uint16 EnabledDefault
    datetime TimeOfLastStateChange
    uint16 AvailableRequestedStates[]
    uint16 TransitioningToState
    string SystemCreationClassName
    string SystemName
    string CreationClassName
    string PrimaryOwnerName
    string PrimaryOwnerContact
    string StartMode
    boolean Started`),
  Win32_ComputerSystem: libvirtClass('Win32_ComputerSystem', `
    uint16 AdminPasswordStatus
    boolean AutomaticManagedPagefile
    boolean AutomaticResetBootOption
    boolean AutomaticResetCapability
    uint16 BootOptionOnLimit
    uint16 BootOptionOnWatchDog
    boolean BootROMSupported
    string BootupState
    string Caption
    uint16 ChassisBootupState
    string CreationClassName
    int16 CurrentTimeZone
    boolean DaylightInEffect
    string Description
    string DNSHostName
    string Domain
    uint16 DomainRole
    boolean EnableDaylightSavingsTime
    uint16 FrontPanelResetStatus
    boolean InfraredSupported
    datetime InstallDate
    uint16 KeyboardPasswordStatus
    string LastLoadInfo
    string Manufacturer
    string Model
    string Name
    string NameFormat
    boolean NetworkServerModeEnabled
    uint32 NumberOfLogicalProcessors
    uint32 NumberOfProcessors
    uint8 OEMLogoBitmap[]
    string OEMStringArray[]
    boolean PartOfDomain
    int64 PauseAfterReset
    uint16 PCSystemType
    uint16 PowerManagementCapabilities[]
    boolean PowerManagementSupported
    uint16 PowerOnPasswordStatus
    uint16 PowerState
    uint16 PowerSupplyState
    string PrimaryOwnerContact
    string PrimaryOwnerName
    uint16 ResetCapability
    int16 ResetCount
    int16 ResetLimit
    string Roles[]
    string Status
    string SupportContactDescription[]
    uint16 SystemStartupDelay
    string SystemStartupOptions[]
    uint8 SystemStartupSetting
    string SystemType
    uint16 ThermalState
    uint64 TotalPhysicalMemory
    string UserName
    uint16 WakeUpType
    string Workgroup`),
  Win32_Processor: libvirtClass('Win32_Processor', `
    uint16 AddressWidth
    uint16 Architecture
    uint16 Availability
    string Caption
    uint32 ConfigManagerErrorCode
    boolean ConfigManagerUserConfig
    uint16 CpuStatus
    string CreationClassName
    uint32 CurrentClockSpeed
    uint16 CurrentVoltage
    uint16 DataWidth
    string Description
    string DeviceID
    boolean ErrorCleared
    string ErrorDescription
    uint32 ExtClock
    uint16 Family
    datetime InstallDate
    uint32 L2CacheSize
    uint32 L2CacheSpeed
    uint32 L3CacheSize
    uint32 L3CacheSpeed
    uint32 LastErrorCode
    uint16 Level
    uint16 LoadPercentage
    string Manufacturer
    uint32 MaxClockSpeed
    string Name
    uint32 NumberOfCores
    uint32 NumberOfLogicalProcessors
    string OtherFamilyDescription
    string PNPDeviceID
    uint16 PowerManagementCapabilities[]
    boolean PowerManagementSupported
    string ProcessorId
    uint16 ProcessorType
    uint16 Revision
    string Role
    string SocketDesignation
    string Status
    uint16 StatusInfo
    string Stepping
    string SystemCreationClassName
    string SystemName
    string UniqueId
    uint16 UpgradeMethod
    string Version
    uint32 VoltageCaps`),
  Win32_ComputerSystemProduct: libvirtClass('Win32_ComputerSystemProduct', `
    string Caption
    string Description
    string IdentifyingNumber
    string Name
    string SKUNumber
    string UUID
    string Vendor
    string Version`),
  Win32_OperatingSystem: libvirtClass('Win32_OperatingSystem', `
    string BootDevice
    string BuildNumber
    string BuildType
    string Caption
    string CodeSet
    string CountryCode
    string CreationClassName
    string CSCreationClassName
    string CSDVersion
    string CSName
    int16 CurrentTimeZone
    boolean DataExecutionPrevention_Available
    boolean DataExecutionPrevention_32BitApplications
    boolean DataExecutionPrevention_Drivers
    uint8 DataExecutionPrevention_SupportPolicy
    boolean Debug
    string Description
    boolean Distributed
    uint32 EncryptionLevel
    uint8 ForegroundApplicationBoost
    uint64 FreePhysicalMemory
    uint64 FreeSpaceInPagingFiles
    uint64 FreeVirtualMemory
    datetime InstallDate
    uint32 LargeSystemCache
    datetime LastBootUpTime
    datetime LocalDateTime
    string Locale
    string Manufacturer
    uint32 MaxNumberOfProcesses
    uint64 MaxProcessMemorySize
    string MUILanguages[]
    string Name
    uint32 NumberOfLicensedUsers
    uint32 NumberOfProcesses
    uint32 NumberOfUsers
    uint32 OperatingSystemSKU
    string Organization
    string OSArchitecture
    uint32 OSLanguage
    uint32 OSProductSuite
    uint16 OSType
    string OtherTypeDescription
    boolean PAEEnabled
    string PlusProductID
    string PlusVersionNumber
    boolean Primary
    uint32 ProductType
    string RegisteredUser
    string SerialNumber
    uint16 ServicePackMajorVersion
    uint16 ServicePackMinorVersion
    uint64 SizeStoredInPagingFiles
    string Status
    uint32 SuiteMask
    string SystemDevice
    string SystemDirectory
    string SystemDrive
    uint64 TotalSwapSpaceSize
    uint64 TotalVirtualMemorySize
    uint64 TotalVisibleMemorySize
    string Version
    string WindowsDirectory`),
} as const;

export type LibvirtClassName = keyof typeof LIBVIRT_CLASSES;

export type LibvirtValue = string | number | bigint | boolean | null | Array<string | number | bigint | null>;

/**
 * openwsman's ws_deserialize of one instance element into the generated struct
 * (wsman-xml-serializer.c): every scalar must appear exactly once in the class's namespace
 * (exact, case-sensitive names); numbers must parse completely (no sign for unsigned types, range
 * checked) unless the element is `xsi:nil` and empty; booleans are `true`/`false`/`yes`/`no`/digits
 * (empty = true); strings and datetimes take the text of every descendant; arrays take every
 * element of that name. Throws with openwsman's reason when libvirt would fail.
 */
export function deserialize(el: XmlElement, cls: LibvirtClass): Record<string, LibvirtValue> {
  const out: Record<string, LibvirtValue> = {};
  const kids = childElements(el);
  for (const p of cls.properties) {
    const els = kids.filter((k) => k.ns === cls.resourceUri && k.local === p.name);
    if (!p.isArray) {
      if (els.length === 0) throw new Error(`not enough (0 < 1) instances of element ${p.name}`);
      if (els.length > 1) throw new Error(`too many (${els.length} > 1) instances of element ${p.name}`);
      out[p.name] = scalar(els[0], p.type, p.name);
    } else {
      out[p.name] = els.map((e) => scalar(e, p.type, p.name) as string | number | bigint | null);
    }
  }
  return out;
}

function nil(el: XmlElement): boolean {
  const v = attr(el, 'nil', XSI);
  return v === 'true' || v === '1';
}

function scalar(el: XmlElement, type: LibvirtType, name: string): string | number | bigint | boolean | null {
  const text = textOf(el);
  switch (type) {
    case 'string':
    case 'datetime':
      return nil(el) ? null : text;
    case 'boolean': {
      if (text === '') return true;
      if (/^\d/.test(text)) {
        const n = parseInt(text, 10);
        if (n === 0 || n === 1) return n === 1;
        throw new Error(`boolean ${name}: ${text}`);
      }
      if (text === 'true' || text === 'yes') return true;
      if (text === 'false' || text === 'no') return false;
      throw new Error(`boolean ${name}: ${text}`);
    }
    default: {
      const s = text.replace(/^\s+/, '');
      const unsigned = type.startsWith('uint');
      if (s === '' || (unsigned && s.startsWith('-'))) {
        if (nil(el)) return null;
        throw new Error(`absent value = ${s} (${name})`);
      }
      const m = /^([-+]?\d+)\s*$/.exec(s);
      if (!m) throw new Error(`wrong token = ${s} (${name})`);
      const v = BigInt(m[1]);
      const bits = Number(type.replace(/^\D+/, ''));
      const [lo, hi] = unsigned ? [0n, (1n << BigInt(bits)) - 1n] : [-(1n << BigInt(bits - 1)), (1n << BigInt(bits - 1)) - 1n];
      if (v < lo || v > hi) throw new Error(`not ${type} = ${v} (${name})`);
      return bits === 64 ? v : Number(v);
    }
  }
}

export interface OpenwsmanExchange {
  readonly request: string;
  readonly http: HttpAnswer;
  readonly doc?: XmlElement;
}

/** One openwsman WsManClient (wsmc_create + Basic), as libvirt's hypervInitConnection makes it. */
export class OpenwsmanClient {
  readonly exchanges: OpenwsmanExchange[] = [];
  private authenticated = false;

  constructor(
    readonly url: string,
    private readonly user = 'Administrator',
    private readonly password = 'Passw0rd!',
  ) {}

  /** The request bytes openwsman writes (wsmc_build_envelope + the body). */
  envelope(o: { action: string; resourceUri: string; selectors?: string; body: string; enumeration?: boolean; n1?: string }): string {
    const decls =
      `xmlns:s="${NS.s}" xmlns:wsa="${NS.a}" xmlns:wsman="${NS.w}"` +
      (o.enumeration ? ` xmlns:wsen="${NS.n}"` : '') + (o.n1 ? ` xmlns:n1="${o.n1}"` : '');
    let h =
      `<wsa:Action s:mustUnderstand="true">${o.action}</wsa:Action>` +
      `<wsa:To s:mustUnderstand="true">${this.url}</wsa:To>` +
      `<wsman:ResourceURI s:mustUnderstand="true">${o.resourceUri}</wsman:ResourceURI>` +
      `<wsa:MessageID s:mustUnderstand="true">uuid:${randomUUID()}</wsa:MessageID>` +
      `<wsa:ReplyTo><wsa:Address>${ANON}</wsa:Address></wsa:ReplyTo>`;
    if (o.selectors) {
      h += '<wsman:SelectorSet>' + o.selectors.split('&').map((kv) => {
        const i = kv.indexOf('=');
        return `<wsman:Selector Name="${kv.slice(0, i)}">${xmlText(kv.slice(i + 1))}</wsman:Selector>`;
      }).join('') + '</wsman:SelectorSet>';
    }
    return `<?xml version="1.0" encoding="UTF-8"?>\n<s:Envelope ${decls}><s:Header>${h}</s:Header><s:Body>${o.body}</s:Body></s:Envelope>`;
  }

  /** wsman_send_request: the first request goes without credentials, answered 401, then Basic. */
  async send(xml: string): Promise<OpenwsmanExchange> {
    if (!this.authenticated) {
      const first = await openwsmanPost(this.url, xml);
      if (first.status !== 401) throw new Error(`expected the 401 challenge, got ${first.status}`);
      if (!String(first.headers['www-authenticate'] ?? '').includes('Basic')) throw new Error('no Basic challenge');
      this.authenticated = true;
    }
    const answer = await openwsmanPost(this.url, xml, 'Basic ' + Buffer.from(`${this.user}:${this.password}`).toString('base64'));
    // hypervVerifyResponse: only 200, 400 and 500 carry SOAP
    if (![200, 400, 500].includes(answer.status)) throw new Error(`Unexpected HTTP response: ${answer.status}`);
    const ex = { request: xml, http: answer, doc: answer.text ? parse(answer.text) : undefined };
    this.exchanges.push(ex);
    return ex;
  }

  /** hypervVerifyResponse: a fault is reported with code, subcode, reason and detail. */
  verify(ex: OpenwsmanExchange, detail: string): XmlElement {
    if (!ex.doc) throw new Error(`Empty response during ${detail}`);
    const fault = find(ex.doc, NS.s, 'Fault')[0];
    if (fault) {
      const values = find(fault, NS.s, 'Value').map((v) => textOf(v).trim());
      throw new Error(`SOAP fault during ${detail}: code '${values[0]}', subcode '${values[1]}', reason '${textOf(find(fault, NS.s, 'Text')[0]).trim()}'`);
    }
    return ex.doc;
  }

  enumerateRequest(rootUri: string, query: string, epr = false): string {
    return this.envelope({
      action: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate', resourceUri: rootUri, enumeration: true,
      body: `<wsen:Enumerate>${epr ? '<wsman:EnumerationMode>EnumerateEPR</wsman:EnumerationMode>' : ''}<wsman:Filter Dialect="${WQL_DIALECT}">${xmlText(query)}</wsman:Filter></wsen:Enumerate>`,
    });
  }

  pullRequest(resourceUri: string, context: string): string {
    return this.envelope({
      action: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull', resourceUri, enumeration: true,
      body: `<wsen:Pull><wsen:EnumerationContext>${context}</wsen:EnumerationContext></wsen:Pull>`,
    });
  }

  /**
   * hypervEnumAndPull: WQL Enumerate on the class's rootUri, then Pull on its resourceUri while
   * the context is non-empty, deserializing the first item of each PullResponse (and stopping when
   * the first item is not an element of the class's namespace and name).
   */
  async enumAndPull(cls: LibvirtClass, query: string): Promise<Array<Record<string, LibvirtValue>>> {
    const e = this.verify(await this.send(this.enumerateRequest(cls.rootUri, query)), 'enumeration');
    let ctx = enumContext(e);
    const out: Array<Record<string, LibvirtValue>> = [];
    while (ctx) {
      const doc = this.verify(await this.send(this.pullRequest(cls.resourceUri, ctx)), 'pull');
      const items = firstPath(doc, ['Body', 'PullResponse', 'Items']);
      if (!items) throw new Error('Could not lookup pull response items');
      const first = childElements(items).find((c) => c.ns === cls.resourceUri && c.local === cls.name);
      if (!first) break;
      out.push(deserialize(first, cls));
      ctx = enumContext(doc);
    }
    return out;
  }

  /**
   * hypervSerializeEprParam: Enumerate (EnumerateEPR mode, WQL) on the EPR class's rootUri, Pull
   * on the invoked class's URI, copy the first EPR's Address and ReferenceParameters.
   */
  async eprParam(name: string, eprClass: LibvirtClass, query: string, invokedUri: string): Promise<string> {
    const e = this.verify(await this.send(this.enumerateRequest(eprClass.rootUri, query, true)), 'enumeration');
    const doc = this.verify(await this.send(this.pullRequest(invokedUri, enumContext(e) ?? '')), 'pull');
    const items = firstPath(doc, ['Body', 'PullResponse', 'Items']);
    const epr = items && childElements(items).find((c) => c.ns === NS.a && c.local === 'EndpointReference');
    if (!epr) throw new Error('Could not get EPR items');
    const addr = childElements(epr).find((c) => c.ns === NS.a && c.local === 'Address');
    const refp = childElements(epr).find((c) => c.ns === NS.a && c.local === 'ReferenceParameters');
    if (!addr || !refp) throw new Error('Could not lookup EPR item reference parameters');
    // ws_xml_duplicate_tree keeps the answer's prefixes; libvirt declares a and w on the parameter
    return `<p:${name} xmlns:a="${NS.a}" xmlns:w="${NS.w}">${serialize(addr)}${serialize(refp)}</p:${name}>`;
  }

  /** hypervSerializeEmbeddedParam: a CIM-XML INSTANCE of the non-null properties, in CDATA. */
  static embeddedParam(name: string, className: string, props: ReadonlyArray<readonly [string, string, string | readonly string[]]>): string {
    // xmlDocDumpFormatMemory(format=1) of the temporary document: the XML declaration, then the
    // tree indented by two spaces wherever an element holds only elements
    let inst = `<INSTANCE CLASSNAME="${className}">\n`;
    for (const [p, type, v] of props) {
      inst += Array.isArray(v)
        ? `  <PROPERTY.ARRAY NAME="${p}" TYPE="${type}">\n    <VALUE.ARRAY>\n${(v as string[]).map((x) => `      <VALUE>${xmlText(x)}</VALUE>\n`).join('')}    </VALUE.ARRAY>\n  </PROPERTY.ARRAY>\n`
        : `  <PROPERTY NAME="${p}" TYPE="${type}">\n    <VALUE>${xmlText(v as string)}</VALUE>\n  </PROPERTY>\n`;
    }
    inst += '</INSTANCE>';
    return `<p:${name}><![CDATA[<?xml version="1.0"?>\n${inst}\n]]></p:${name}>`;
  }

  /** wsmc_action_invoke with a data document (hypervInvokeMethod). */
  invokeRequest(cls: LibvirtClass, selector: string, method: string, params: string): string {
    return this.envelope({
      action: `${cls.resourceUri}/${method}`, resourceUri: cls.resourceUri, selectors: selector,
      body: `<p:${method}_INPUT xmlns:p="${cls.resourceUri}">${params}</p:${method}_INPUT>`,
    });
  }

  /** wsmc_action_invoke with properties (wsmc_add_prop_from_str): openwsman's own `n1` body. */
  invokeWithPropertiesRequest(resourceUri: string, selector: string, method: string, properties: string): string {
    const props = properties.split('&').map((kv) => {
      const i = kv.indexOf('=');
      return `<n1:${kv.slice(0, i)}>${xmlText(kv.slice(i + 1))}</n1:${kv.slice(0, i)}>`;
    }).join('');
    return this.envelope({
      action: `${resourceUri}/${method}`, resourceUri, selectors: selector, n1: resourceUri,
      body: `<n1:${method}_INPUT>${props}</n1:${method}_INPUT>`,
    });
  }

  /**
   * The rest of hypervInvokeMethod: ReturnValue by XPath (fault Reason if absent); 4096 → the
   * job's InstanceID by XPath, then `SELECT * FROM Msvm_ConcreteJob WHERE InstanceID = '…'`
   * every 100 ms (sleep) until JobState leaves 2/3/4/6, for at most 300 000 ms.
   */
  async invokeAndWait(method: string, ex: OpenwsmanExchange, sleep: (ms: number) => Promise<void> | void): Promise<InvokeOutcome> {
    if (!ex.doc) throw new Error(`Could not get return value for ${method} invocation`);
    const rv = xpathValue(ex.doc, `/s:Envelope/s:Body/p:${method}_OUTPUT/p:ReturnValue`);
    if (rv === undefined) {
      const reason = xpathValue(ex.doc, '/s:Envelope/s:Body/s:Fault/s:Reason/s:Text');
      throw new Error(reason !== undefined ? `WS-Management fault during ${method} invocation: ${reason}` : `Could not get return value for ${method} invocation`);
    }
    if (!/^-?\d+$/.test(rv)) throw new Error(`virStrToLong_i failed on '${rv}'`);
    const returnCode = Number(rv);
    if (returnCode === 4096) {
      const id = xpathValue(ex.doc, `/s:Envelope/s:Body/p:${method}_OUTPUT/p:Job/a:ReferenceParameters/w:SelectorSet/w:Selector[@Name='InstanceID']`);
      if (id === undefined) throw new Error(`Could not get instance ID for ${method} invocation`);
      const states: number[] = [];
      for (let timeout = 300_000; timeout >= 0; timeout -= 100) {
        const [job] = await this.enumAndPull(LIBVIRT_CLASSES.Msvm_ConcreteJob, `SELECT * FROM Msvm_ConcreteJob WHERE InstanceID = '${id.replace(/'/g, "\\'")}'`);
        if (!job) throw new Error('job not found');
        const state = Number(job.JobState);
        states.push(state);
        if ([2, 3, 4, 6].includes(state)) {
          await sleep(100);
          continue;
        }
        if (state === 7) return { returnCode, jobId: id, jobStates: states, ok: true };
        if ([8, 9, 10, 11].includes(state)) return { returnCode, jobId: id, jobStates: states, ok: false };
        throw new Error('Unknown invocation state');
      }
      throw new Error(`Timeout waiting for ${method} invocation`);
    }
    return { returnCode, ok: returnCode === 0 };
  }
}

export interface InvokeOutcome {
  readonly returnCode: number;
  readonly ok: boolean;
  readonly jobId?: string;
  readonly jobStates?: number[];
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

/** One POST with openwsman's HTTP headers (curl transport: Accept, Content-Type, User-Agent). */
function openwsmanPost(url: string, body: string, authorization?: string): Promise<HttpAnswer> {
  const u = new URL(url);
  const buf = Buffer.from(body, 'utf8');
  const headers: Record<string, string> = {
    Host: u.host,
    ...(authorization ? { Authorization: authorization } : {}),
    Accept: '*/*',
    'Content-Type': 'application/soap+xml;charset=UTF-8',
    'User-Agent': 'openwsman 2.2.0',
    'Content-Length': String(buf.length),
  };
  return new Promise((resolve, reject) => {
    const req = http.request({ method: 'POST', hostname: u.hostname, port: u.port, path: u.pathname, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: b, text: b.toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(buf);
  });
}

/** wsmc_get_enum_context: the EnumerationContext of the body's response element, or undefined. */
export function enumContext(doc: XmlElement): string | undefined {
  const c = find(doc, NS.n, 'EnumerationContext')[0];
  const t = c ? textOf(c) : undefined;
  return t ? t : undefined;
}

function firstPath(doc: XmlElement, locals: string[]): XmlElement | undefined {
  let el: XmlElement | undefined = doc;
  for (const l of locals) el = el && childElements(el).find((c) => c.local === l);
  return el;
}

function xmlText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An element back to XML with the prefixes it had (declarations left to the new parent). */
function serialize(el: XmlElement): string {
  const name = el.prefix ? `${el.prefix}:${el.local}` : el.local;
  const attrs = el.attrs.map((a) => ` ${a.prefix ? a.prefix + ':' : ''}${a.local}="${xmlText(a.value).replace(/"/g, '&quot;')}"`).join('');
  const inner = el.children.map((c) => (c.kind === 'text' ? xmlText(c.text) : serialize(c))).join('');
  return `<${name}${attrs}>${inner}</${name}>`;
}
