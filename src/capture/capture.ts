/**
 * Capture a real (or emulated) Hyper-V host into a world file, the way the Redfish mockup creator
 * records a server: Identify, then enumerations of the root/virtualization/v2 classes (and the
 * root/cimv2 Win32 classes where the host serves them), turned back into the world-file
 * declarations that reproduce them — host, switches, migration settings and networks, VMs with
 * memory, processors, disks and network adapters.
 *
 * What cannot be read over WS-Man is left to the defaults and listed in `notes`: the host's
 * profile, VHD sizes (the SASD does not carry them), adapters connected to no switch, and — when
 * Win32_* are not served — the FQDN, RAM and processor model.
 */
import type { XmlElement } from '../xml/dom.js';
import { ROOT_PARTITION_RESERVE_MIB, type HostSpec, type ListenerSpec, type MigrationNetworkSpec, type SwitchSpec, type UserSpec, type VmSpec, type VmState, type WorldSpec } from '../fabric/world.js';
import { splitUserName } from '../server/users.js';
import { ANONYMOUS, propsOf, text, texts, WsmanClient, WsmanClientFault, type Props, type WsmanClientOptions } from './client.js';

export const V2_URI = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/';
export const CIMV2_URI = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/';

export interface CaptureResult {
  host: HostSpec;
  /** what could not be captured, for the file's header */
  notes: string[];
}

const GUID_RE = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
/** memory the root partition keeps for itself, not available to VMs */
const SECPROFILE = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/';

/** `Microsoft:<VM GUID>\…` → the VM GUID (upper case). */
function vmOfInstanceId(id: string | undefined): string | undefined {
  const m = id ? /^Microsoft:([0-9A-Fa-f-]{36})(\\|$)/.exec(id) : null;
  return m ? m[1].toUpperCase() : undefined;
}

/** The value of `Key="…"` in a WMI object path (`\\HV1\root\…:Class.InstanceID="Microsoft:…"`). */
function pathKey(path: string | undefined, key: string): string | undefined {
  if (!path) return undefined;
  const m = new RegExp(`(?:^|[.,])${key}="((?:[^"\\\\]|\\\\.)*)"`).exec(path);
  return m ? m[1].replace(/\\(.)/g, '$1') : undefined;
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function bool(v: string | undefined): boolean | undefined {
  return v === undefined ? undefined : v.toLowerCase() === 'true';
}

const STATE_OF: Readonly<Record<number, VmState>> = {
  2: 'running', 3: 'off', 4: 'off', 6: 'saved', 9: 'paused', 10: 'running', 11: 'running', 32773: 'saved', 32776: 'paused', 32777: 'running',
};

/** Enumerate a class; an error (class not served, access denied) gives undefined. */
async function tryEnumerate(c: WsmanClient, uri: string, notes: string[], what: string): Promise<Props[] | undefined> {
  try {
    return (await c.enumerate(uri)).map(propsOf);
  } catch (e) {
    if (e instanceof WsmanClientFault) {
      notes.push(`${what}: not captured (${e.subcode ?? e.code})`);
      return undefined;
    }
    throw e;
  }
}

/** The processor vendor and features from GetSystemCompatibilityInfo, when the blob is readable (vmms-emu's is JSON). */
async function compatibilityOf(c: WsmanClient, host: string): Promise<{ vendor?: string; features?: string[] }> {
  const svc = V2_URI + 'Msvm_VirtualSystemMigrationService';
  try {
    const out = await c.invoke(svc, {
      CreationClassName: 'Msvm_VirtualSystemMigrationService', Name: 'migrationwmi', SystemCreationClassName: 'Msvm_ComputerSystem', SystemName: host,
    }, 'GetSystemCompatibilityInfo', `<p:ComputerSystem>${WsmanClient.epr(ANONYMOUS, V2_URI + 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: host })}</p:ComputerSystem>`);
    const p = propsOf(out);
    if (text(p.ReturnValue) !== '0') return {};
    const bytes = texts(p.CompatibilityInfo).map(Number);
    const info = JSON.parse(Buffer.from(bytes).toString('utf8')) as { format?: string; vendor?: unknown; features?: unknown };
    if (info.format !== 'vmms-emu-compatibility/1' || typeof info.vendor !== 'string' || !Array.isArray(info.features)) return {};
    return { vendor: info.vendor, features: info.features.map(String) };
  } catch {
    return {};
  }
}

/** Walk one host. */
export async function captureHost(o: WsmanClientOptions): Promise<CaptureResult> {
  const c = new WsmanClient(o);
  const notes: string[] = [];
  try {
    const id = await c.identify();
    const osVersion = /OS:\s*(\d+\.\d+\.\d+)/.exec(id.productVersion)?.[1];
    const profiles = new Set(id.securityProfiles.map((p) => p.replace(SECPROFILE, '')));

    const systems = (await c.enumerate(V2_URI + 'Msvm_ComputerSystem')).map(propsOf);
    const hostCs = systems.find((s) => text(s.Description) === 'Microsoft Hosting Computer System' || text(s.Caption) === 'Hosting Computer System')
      ?? systems.find((s) => !GUID_RE.test(text(s.Name) ?? ''));
    if (!hostCs) throw new Error('no hosting Msvm_ComputerSystem: is this a Hyper-V host?');
    const hostName = text(hostCs.Name)!;
    const vmSystems = systems.filter((s) => s !== hostCs && GUID_RE.test(text(s.Name) ?? ''));
    const vmGuids = new Set(vmSystems.map((s) => text(s.Name)!.toUpperCase()));

    const en = (cls: string) => c.enumerate(V2_URI + cls).then((l) => l.map(propsOf));
    const vssds = (await en('Msvm_VirtualSystemSettingData')).filter((s) => /Realized/.test(text(s.VirtualSystemType) ?? 'Realized'));
    const memory = await en('Msvm_MemorySettingData');
    const processors = await en('Msvm_ProcessorSettingData');
    const sasds = await en('Msvm_StorageAllocationSettingData');
    const ports = await en('Msvm_SyntheticEthernetPortSettingData');
    const connections = await en('Msvm_EthernetPortAllocationSettingData');
    const switchList = await en('Msvm_VirtualEthernetSwitch');
    const migrationSettings = (await en('Msvm_VirtualSystemMigrationServiceSettingData'))[0];
    const networks = await en('Msvm_VirtualSystemMigrationNetworkSettingData');
    const migrationService = (await en('Msvm_VirtualSystemMigrationService'))[0];
    const vsmsSettings = (await en('Msvm_VirtualSystemManagementServiceSettingData'))[0];
    const win32cs = (await tryEnumerate(c, CIMV2_URI + 'Win32_ComputerSystem', notes, 'FQDN and RAM (Win32_ComputerSystem)'))?.[0];
    const win32cpu = (await tryEnumerate(c, CIMV2_URI + 'Win32_Processor', notes, 'processor model (Win32_Processor)')) ?? [];
    const compat = await compatibilityOf(c, hostName);
    if (!compat.vendor) notes.push('processor features: not captured (GetSystemCompatibilityInfo is opaque on this host)');

    // ---- the host
    const switchById = new Map<string, string>();
    const switches: SwitchSpec[] = switchList.map((s) => {
      const name = text(s.ElementName) ?? text(s.Name)!;
      switchById.set((text(s.Name) ?? '').toUpperCase(), name);
      const type = /\((External|Internal|Private)\)/.exec(text(s.Description) ?? '')?.[1] as SwitchSpec['type'] | undefined;
      return type ? { name, type } : { name };
    });
    const host: HostSpec = { name: hostName };
    const domain = text(win32cs?.Domain);
    const dns = text(win32cs?.DNSHostName);
    if (dns) host.fqdn = domain && domain.toUpperCase() !== 'WORKGROUP' ? `${dns}.${domain}`.toLowerCase() : dns.toLowerCase();
    const addresses = texts(migrationService?.MigrationServiceListenerIPAddressList);
    if (addresses.length) host.addresses = addresses;
    else notes.push('addresses: none captured (MigrationServiceListenerIPAddressList is empty)');
    if (osVersion && osVersion !== '0.0.0') host.osVersion = osVersion;
    const processor: NonNullable<HostSpec['processor']> = {};
    if (compat.vendor) processor.vendor = compat.vendor;
    else if (text(win32cpu[0]?.Manufacturer)) processor.vendor = text(win32cpu[0]!.Manufacturer);
    if (text(win32cpu[0]?.Name)) processor.model = text(win32cpu[0]!.Name)!.trim();
    if (compat.features) processor.features = compat.features;
    const lps = win32cpu.reduce((n, p) => n + (num(text(p.NumberOfLogicalProcessors)) ?? 0), 0);
    if (lps > 0) processor.logicalProcessors = lps;
    if (Object.keys(processor).length) host.processor = processor;
    // the world's memoryMiB is RAM for VMs: physical memory less what the root partition keeps
    // (4 GiB, as src/providers/hyperv/win32.ts reports it)
    const ram = num(text(win32cs?.TotalPhysicalMemory));
    if (ram) {
      const mib = Math.floor(ram / 1048576);
      host.memoryMiB = mib > 2 * ROOT_PARTITION_RESERVE_MIB ? mib - ROOT_PARTITION_RESERVE_MIB : mib;
    }
    const root = text(vsmsSettings?.DefaultExternalDataRoot);
    if (root) host.storageRoots = [root];
    if (switches.length) host.switches = switches;
    if (migrationSettings) {
      const nets: MigrationNetworkSpec[] = networks.map((n) => {
        const spec: MigrationNetworkSpec = { subnet: `${text(n.SubnetNumber)}/${text(n.PrefixLength)}` };
        const metric = num(text(n.Metric));
        if (metric !== undefined) spec.metric = metric;
        const tags = texts(n.Tags);
        if (tags.length) spec.tags = tags;
        return spec;
      });
      host.migration = {
        enabled: bool(text(migrationSettings.EnableVirtualSystemMigration)) ?? false,
        maxActiveVirtualSystemMigrations: num(text(migrationSettings.MaximumActiveVirtualSystemMigration)),
        maxActiveStorageMigrations: num(text(migrationSettings.MaximumActiveStorageMigration)),
        authenticationType: text(migrationSettings.AuthenticationType) === '1' ? 'kerberos' : 'credssp',
        compression: bool(text(migrationSettings.EnableCompression)),
        smbTransport: bool(text(migrationSettings.EnableSmbTransport)),
        ...(nets.length ? { networks: nets } : {}),
      };
    }
    if (profiles.size) {
      const listener: ListenerSpec = {
        allowUnencrypted: profiles.has('http/basic'),
        basic: profiles.has('http/basic') || profiles.has('https/basic'),
        negotiate: profiles.has('http/spnego-kerberos') || profiles.has('https/spnego-kerberos'),
        certificate: profiles.has('https/mutual'),
      };
      host.listener = listener;
    }
    notes.push('profile: not captured (hyperv assumed)');

    // ---- the VMs
    const byVm = <T extends Props>(list: T[]) => {
      const m = new Map<string, T[]>();
      for (const x of list) {
        const g = vmOfInstanceId(text(x.InstanceID));
        if (!g || !vmGuids.has(g)) continue;
        const l = m.get(g) ?? [];
        l.push(x);
        m.set(g, l);
      }
      return m;
    };
    const vssdOf = new Map(vssds.map((s) => [(text(s.VirtualSystemIdentifier) ?? vmOfInstanceId(text(s.InstanceID)) ?? '').toUpperCase(), s]));
    const memOf = byVm(memory);
    const cpuOf = byVm(processors);
    const diskOf = byVm(sasds.filter((s) => (text(s.ResourceType) ?? '31') === '31'));
    const portOf = byVm(ports);
    const connOf = new Map<string, Props>();
    for (const cn of connections) {
      const parent = text(cn.Parent);
      const portId = pathKey(parent, 'InstanceID') ?? text(cn.InstanceID)?.replace(/\\C$/, '');
      if (portId) connOf.set(portId.toUpperCase(), cn);
    }
    let unconnected = 0;
    const vms: VmSpec[] = [];
    for (const s of vmSystems) {
      const guid = text(s.Name)!.toUpperCase();
      const vssd = vssdOf.get(guid);
      const mem = memOf.get(guid)?.[0];
      const cpu = cpuOf.get(guid)?.[0];
      const state = STATE_OF[num(text(s.EnabledState)) ?? 3] ?? 'off';
      const vm: VmSpec = {
        guid,
        name: text(s.ElementName) ?? guid,
        state,
        memoryMiB: num(text(mem?.VirtualQuantity)) ?? 1024,
        cpus: num(text(cpu?.VirtualQuantity)) ?? 1,
      };
      if (bool(text(cpu?.LimitProcessorFeatures))) vm.processorCompatibility = true;
      const version = text(vssd?.Version);
      if (version && /^\d+\.\d+$/.test(version)) vm.configurationVersion = version;
      const gen = /SubType:(\d)/.exec(text(vssd?.VirtualSystemSubType) ?? '')?.[1];
      if (gen === '1' || gen === '2') vm.generation = Number(gen) as 1 | 2;
      const disks = (diskOf.get(guid) ?? []).flatMap((d) => texts(d.HostResource).slice(0, 1)).map((path) => ({ path }));
      if (disks.length) vm.vhds = disks;
      const adapters: NonNullable<VmSpec['adapters']> = [];
      for (const p of portOf.get(guid) ?? []) {
        const cn = connOf.get((text(p.InstanceID) ?? '').toUpperCase());
        const swId = pathKey(texts(cn?.HostResource)[0], 'Name');
        const sw = (swId && switchById.get(swId.toUpperCase())) || (cn && texts(cn.HostResource).length ? text(cn.LastKnownSwitchName) : undefined);
        if (!sw) {
          unconnected++;
          continue;
        }
        const a: NonNullable<VmSpec['adapters']>[number] = { switch: sw };
        if (text(p.ElementName)) a.name = text(p.ElementName);
        const mac = text(p.Address);
        if (mac && /^[0-9A-Fa-f]{12}$/.test(mac)) a.mac = mac.toUpperCase();
        adapters.push(a);
      }
      if (adapters.length) vm.adapters = adapters;
      const notesText = texts(vssd?.Notes).join('\n');
      if (notesText) vm.notes = notesText;
      vms.push(vm);
    }
    if (unconnected) notes.push(`${unconnected} network adapter(s) connected to no switch: left out`);
    if (vms.some((v) => v.vhds?.length)) notes.push('virtual hard disk sizes: not captured (40 GiB assumed)');
    if (vms.length) host.vms = vms;
    return { host, notes };
  } finally {
    c.close();
  }
}

export interface CaptureWorldOptions {
  /** the account written into the world (default: the capturing user's name) */
  user?: string;
  /** its password in the world (default `Passw0rd!`: the capture never writes the real one) */
  password?: string;
  name?: string;
}

/** Capture several hosts into one world. */
export async function captureWorld(endpoints: WsmanClientOptions[], o: CaptureWorldOptions = {}): Promise<{ world: WorldSpec; notes: string[] }> {
  const hosts: HostSpec[] = [];
  const notes: string[] = [];
  for (const e of endpoints) {
    const r = await captureHost(e);
    if (hosts.some((h) => h.name.toLowerCase() === r.host.name.toLowerCase())) throw new Error(`${e.endpoint}: host ${r.host.name} was already captured`);
    hosts.push(r.host);
    for (const n of r.notes) notes.push(`${r.host.name}: ${n}`);
  }
  const account = o.user ?? endpoints[0]?.user ?? 'Administrator';
  // the world's user is the name the server will look up for this account
  const users: UserSpec[] = [{ name: splitUserName(account).user, password: o.password ?? 'Passw0rd!' }];
  const world: WorldSpec = {
    name: o.name ?? 'captured',
    description: `Captured from ${endpoints.map((e) => e.endpoint).join(', ')} on ${new Date().toISOString()}`,
    users,
    hosts,
  };
  return { world, notes };
}

/** A world as YAML, with the capture notes as a header comment. */
export async function worldYaml(world: WorldSpec, notes: readonly string[]): Promise<string> {
  const { stringify } = await import('yaml');
  const head = ['# Captured by vmms-emu capture.', ...notes.map((n) => `# - ${n}`)].join('\n');
  return `${head}\n${stringify(JSON.parse(JSON.stringify(world)) as object, { lineWidth: 0 })}`;
}

export type { XmlElement };
