/**
 * libvirt's Hyper-V driver (src/hyperv/hyperv_driver.c, hyperv_wmi.c; libvirt ≥ 7.0, WMI v2 only)
 * re-enacted call by call on the openwsman transport of test/helpers/openwsman-client.ts: the WQL
 * it builds (double-quoted and single-quoted literals exactly as the C code writes them, UUIDs
 * formatted lower case by virUUIDFormat), the invocations with their selector strings, and the
 * decisions it takes on what comes back.
 */
import type { LibvirtValue } from '../../helpers/openwsman-client.js';
import { LIBVIRT_CLASSES as C, OpenwsmanClient, type InvokeOutcome } from '../../helpers/openwsman-client.js';

/** MSVM_COMPUTERSYSTEM_WQL_* (hyperv_wmi_classes.h). */
export const WQL_VIRTUAL = 'Description = "Microsoft Virtual Machine" ';
export const WQL_ACTIVE = '(EnabledState != 0 and EnabledState != 3 and EnabledState != 32769) ';
export const WQL_INACTIVE = '(EnabledState = 0 or EnabledState = 3 or EnabledState = 32769) ';
export const VSMS_SELECTOR = 'CreationClassName=Msvm_VirtualSystemManagementService';

/** libvirt's v2 enums (hyperv_wmi_classes.h): what it compares EnabledState with. */
export const ENABLEDSTATE = { UNKNOWN: 0, ENABLED: 2, DISABLED: 3, QUIESCE: 9, PAUSED_V1: 32768, SUSPENDED_V1: 32769 } as const;
export const REQUESTEDSTATE = { ENABLED: 2, DISABLED: 3, OFFLINE: 6, QUIESCE: 9, REBOOT: 10 } as const;

/** virBufferEscapeSQL: escape ' and \ inside a single-quoted WQL literal. */
export function escapeSQL(s: string): string {
  return s.replace(/[\\']/g, (c) => '\\' + c);
}

/** virUUIDFormat prints lower case. */
export const uuidFormat = (guid: string): string => guid.toLowerCase();

export type Row = Record<string, LibvirtValue>;

export interface NodeInfo {
  model: string;
  memory: number;
  mhz: number;
  nodes: number;
  sockets: number;
  cores: number;
  threads: number;
  cpus: number;
}

export class LibvirtHyperv {
  readonly wsman: OpenwsmanClient;
  version?: string;
  hostUuid?: string;

  constructor(url: string, user?: string, password?: string, private readonly sleep: (ms: number) => Promise<void> | void = () => undefined) {
    this.wsman = new OpenwsmanClient(url, user, password);
  }

  private get(cls: keyof typeof C, query: string): Promise<Row[]> {
    return this.wsman.enumAndPull(C[cls], query);
  }

  /** hypervConnectOpen: capabilities (host UUID) then the OS version. */
  async connectOpen(): Promise<void> {
    const [product] = await this.get('Win32_ComputerSystemProduct', 'SELECT * FROM Win32_ComputerSystemProduct ');
    if (!product) throw new Error('Could not look up Win32_ComputerSystemProduct');
    if (!/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i.test(String(product.UUID))) throw new Error(`Could not parse UUID from string '${product.UUID}'`);
    this.hostUuid = String(product.UUID);
    const [os] = await this.get('Win32_OperatingSystem', 'SELECT * FROM Win32_OperatingSystem ');
    if (!os) throw new Error('Could not get version information for host');
    this.version = String(os.Version);
  }

  /** hypervConnectGetVersion: major*100000000 + minor*1000000 + micro. */
  connectGetVersion(): number {
    const m = /^(\d+)\.(\d+)\.(\d+)/.exec(this.version ?? '');
    if (!m) throw new Error(`Could not parse version from '${this.version}'`);
    const [major, minor, micro] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (major > 99 || minor > 99 || micro > 999999) throw new Error('Could not produce packed version number');
    return major * 100000000 + minor * 1000000 + micro;
  }

  async connectGetHostname(): Promise<string> {
    const [cs] = await this.get('Win32_ComputerSystem', 'SELECT * FROM Win32_ComputerSystem ');
    return String(cs.DNSHostName);
  }

  /** hypervNodeGetInfo. */
  async nodeGetInfo(): Promise<NodeInfo> {
    const [cs] = await this.get('Win32_ComputerSystem', 'SELECT * FROM Win32_ComputerSystem ');
    if (!cs) throw new Error('Could not look up Win32_ComputerSystem');
    const procs = await this.get('Win32_Processor',
      `ASSOCIATORS OF {Win32_ComputerSystem.Name='${escapeSQL(String(cs.Name))}'} WHERE AssocClass = Win32_ComputerSystemProcessor ResultClass = Win32_Processor`);
    if (!procs.length) throw new Error('Could not look up processor(s)');
    let model = String(procs[0].Name).replace(/ {2,}/g, ' ').replace(/\((R|C|TM)\)/g, '');
    const at = model.indexOf(' @ ');
    if (at >= 0) model = model.slice(0, at);
    const cores = Number(procs[0].NumberOfCores);
    return {
      model,
      memory: Number(BigInt(cs.TotalPhysicalMemory as bigint) / 1024n),
      mhz: Number(procs[0].MaxClockSpeed),
      nodes: 1,
      sockets: procs.length,
      cores,
      threads: Math.floor(Number(procs[0].NumberOfLogicalProcessors) / cores),
      cpus: procs.length * cores,
    };
  }

  /** hypervNodeGetFreeMemory: FreePhysicalMemory (KiB) × 1024. */
  async nodeGetFreeMemory(): Promise<bigint> {
    const [os] = await this.get('Win32_OperatingSystem', 'SELECT * FROM Win32_OperatingSystem ');
    return BigInt(os.FreePhysicalMemory as bigint) * 1024n;
  }

  /** hypervConnectListAllDomains (no flags, or ACTIVE / INACTIVE). */
  listAllDomains(filter: 'all' | 'active' | 'inactive' = 'all'): Promise<Row[]> {
    let q = 'SELECT * FROM Msvm_ComputerSystem WHERE ' + WQL_VIRTUAL;
    if (filter === 'active') q += 'AND ' + WQL_ACTIVE;
    if (filter === 'inactive') q += 'AND ' + WQL_INACTIVE;
    return this.get('Msvm_ComputerSystem', q);
  }

  /** hypervConnectListDomains: the ProcessIDs of the active domains. */
  async listDomainIds(): Promise<number[]> {
    return (await this.listAllDomains('active')).map((d) => Number(d.ProcessID));
  }

  async lookupByName(name: string): Promise<Row> {
    const r = await this.get('Msvm_ComputerSystem', `SELECT * FROM Msvm_ComputerSystem WHERE ${WQL_VIRTUAL}AND ElementName = '${escapeSQL(name)}'`);
    if (!r.length) throw new Error(`No domain with name ${name}`);
    if (r.length > 1) throw new Error(`Multiple domains exist with the name '${name}'`);
    return r[0];
  }

  /** hypervMsvmComputerSystemFromUUID (UUID lower case, as virUUIDFormat writes it). */
  async lookupByUUID(uuid: string): Promise<Row> {
    const [d] = await this.get('Msvm_ComputerSystem', `SELECT * FROM Msvm_ComputerSystem WHERE ${WQL_VIRTUAL}AND Name = '${escapeSQL(uuidFormat(uuid))}'`);
    if (!d) throw new Error(`No domain with UUID ${uuid}`);
    return d;
  }

  async lookupByID(id: number): Promise<Row> {
    const [d] = await this.get('Msvm_ComputerSystem', `SELECT * FROM Msvm_ComputerSystem WHERE ${WQL_VIRTUAL}AND ProcessID = ${id}`);
    if (!d) throw new Error(`No domain with ID ${id}`);
    return d;
  }

  /** hypervGetMsvmVirtualSystemSettingDataFromUUID. */
  async vssd(uuid: string): Promise<Row> {
    const [v] = await this.get('Msvm_VirtualSystemSettingData',
      `ASSOCIATORS OF {Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem',Name='${uuidFormat(uuid)}'} WHERE AssocClass = Msvm_SettingsDefineState ResultClass = Msvm_VirtualSystemSettingData`);
    if (!v) throw new Error('no VSSD');
    return v;
  }

  /** hypervGetSettingData: ASSOCIATORS OF the VSSD through Msvm_VirtualSystemSettingDataComponent. */
  settingData(cls: 'Msvm_ProcessorSettingData' | 'Msvm_MemorySettingData', vssdInstanceId: string): Promise<Row[]> {
    return this.get(cls,
      `ASSOCIATORS OF {Msvm_VirtualSystemSettingData.InstanceID='${escapeSQL(vssdInstanceId)}'} WHERE AssocClass = Msvm_VirtualSystemSettingDataComponent ResultClass = ${cls}`);
  }

  /** hypervDomainGetInfo: state, memory (KiB), vCPUs. */
  async domainGetInfo(uuid: string): Promise<{ state: string; maxMem: number; memory: number; nrVirtCpu: number }> {
    const cs = await this.lookupByUUID(uuid);
    const vssd = await this.vssd(uuid);
    const [proc] = await this.settingData('Msvm_ProcessorSettingData', String(vssd.InstanceID));
    const [mem] = await this.settingData('Msvm_MemorySettingData', String(vssd.InstanceID));
    if (!proc || !mem) throw new Error('Could not look up processor or memory setting data');
    return {
      state: domainState(Number(cs.EnabledState)),
      maxMem: Number(mem.Limit) * 1024,
      memory: Number(mem.VirtualQuantity) * 1024,
      nrVirtCpu: Number(proc.VirtualQuantity),
    };
  }

  /** hypervInvokeMsvmComputerSystemRequestStateChange: openwsman's property body, job polled every 100 ms. */
  async requestStateChange(uuid: string, state: number): Promise<InvokeOutcome> {
    const req = this.wsman.invokeWithPropertiesRequest(C.Msvm_ComputerSystem.resourceUri, `Name=${uuidFormat(uuid)}&CreationClassName=Msvm_ComputerSystem`, 'RequestStateChange', `RequestedState=${state}`);
    const ex = await this.wsman.send(req);
    this.wsman.verify(ex, 'invocation');
    return this.wsman.invokeAndWait('RequestStateChange', ex, this.sleep);
  }

  /** hypervRequestStateChange: the domain must be ENABLED (2) first. */
  async checkedStateChange(uuid: string, state: number): Promise<InvokeOutcome> {
    const cs = await this.lookupByUUID(uuid);
    if (Number(cs.EnabledState) !== ENABLEDSTATE.ENABLED) throw new Error('Domain is not active');
    return this.requestStateChange(uuid, state);
  }

  /** hypervDomainResume: only from QUIESCE (9). */
  async resume(uuid: string): Promise<InvokeOutcome> {
    const cs = await this.lookupByUUID(uuid);
    if (Number(cs.EnabledState) !== REQUESTEDSTATE.QUIESCE) throw new Error('Domain is not paused');
    return this.requestStateChange(uuid, REQUESTEDSTATE.ENABLED);
  }

  /** hypervDomainHasManagedSaveImage: EnabledState == 32769 (the v1 SUSPENDED number). */
  async hasManagedSaveImage(uuid: string): Promise<boolean> {
    return Number((await this.lookupByUUID(uuid)).EnabledState) === ENABLEDSTATE.SUSPENDED_V1;
  }

  /** hypervInvokeMethod on the VSMS (selector CreationClassName alone). */
  async invokeVsms(method: string, params: string): Promise<InvokeOutcome> {
    const ex = await this.wsman.send(this.wsman.invokeRequest(C.Msvm_VirtualSystemManagementService, VSMS_SELECTOR, method, params));
    const out = await this.wsman.invokeAndWait(method, ex, this.sleep);
    if (!out.ok) throw new Error(`Invocation of ${method} returned an error: ${out.returnCode}`);
    return out;
  }

  /** hypervDomainDefineXML (the part before devices): DefineSystem with ElementName, then lookup by name. */
  async defineXML(name: string): Promise<Row> {
    await this.invokeVsms('DefineSystem', OpenwsmanClient.embeddedParam('SystemSettings', 'Msvm_VirtualSystemSettingData', [['ElementName', 'string', name]]));
    return this.lookupByName(name);
  }

  /** hypervDomainSetVcpusFlags: ModifyResourceSettings with the processor settings' InstanceID. */
  async setVcpus(uuid: string, n: number): Promise<InvokeOutcome> {
    const vssd = await this.vssd(uuid);
    const [proc] = await this.settingData('Msvm_ProcessorSettingData', String(vssd.InstanceID));
    return this.invokeVsms('ModifyResourceSettings', OpenwsmanClient.embeddedParam('ResourceSettings', 'Msvm_ProcessorSettingData', [
      ['VirtualQuantity', 'uint64', String(n)], ['InstanceID', 'string', String(proc.InstanceID)],
    ]));
  }

  /** hypervDomainSetAutostart: ModifySystemSettings with AutomaticStartupAction 4 or 2. */
  async setAutostart(uuid: string, on: boolean): Promise<InvokeOutcome> {
    const vssd = await this.vssd(uuid);
    return this.invokeVsms('ModifySystemSettings', OpenwsmanClient.embeddedParam('SystemSettings', 'Msvm_VirtualSystemSettingData', [
      ['AutomaticStartupAction', 'uint16', on ? '4' : '2'], ['InstanceID', 'string', String(vssd.InstanceID)],
    ]));
  }

  /** hypervDomainUndefineFlags: DestroySystem with AffectedSystem copied from an EnumerateEPR answer. */
  async undefine(uuid: string): Promise<InvokeOutcome> {
    const epr = await this.wsman.eprParam('AffectedSystem', C.Msvm_ComputerSystem, `SELECT * FROM Msvm_ComputerSystem WHERE Name = '${escapeSQL(uuidFormat(uuid))}'`,
      C.Msvm_VirtualSystemManagementService.resourceUri);
    return this.invokeVsms('DestroySystem', epr);
  }
}

/** hypervMsvmComputerSystemEnabledStateToDomainState (libvirt's names). */
export function domainState(enabledState: number): string {
  switch (enabledState) {
    case 0: return 'nostate';
    case 2: return 'running';
    case 3: return 'shutoff';
    case 32768: return 'paused'; // MSVM_COMPUTERSYSTEM_ENABLEDSTATE_PAUSED (v1)
    case 32769: return 'shutoff'; // SUSPENDED (v1): managed save
    case 32770: case 32771: case 32773: return 'running';
    case 32774: return 'shutdown';
    case 32776: case 32777: return 'running';
    default: return 'nostate';
  }
}

/** hypervIsMsvmComputerSystemActive. */
export function isActive(enabledState: number): boolean {
  return [2, 32768, 32770, 32771, 32773, 32774, 32776, 32777].includes(enabledState);
}
