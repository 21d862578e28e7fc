/**
 * Msvm_VirtualSystemManagementService (hyperv-model §4): enough of the VM lifecycle to build
 * scenarios through the API — DefineSystem / DefinePlannedSystem (synchronous, as on a real host),
 * DestroySystem (a job), ModifySystemSettings and ModifyResourceSettings (synchronous),
 * Add/RemoveResourceSettings for disks and adapters, Realize/ValidatePlannedSystem (jobs),
 * FormatError, GetSummaryInformation, GetVirtualSystemThumbnailImage — plus its settings singleton.
 */
import { parseInstancePath } from '../../cim/objectpath.js';
import type { MethodResult, OperationContext } from '../../cim/provider.js';
import type { CimInstance, CimMethodDecl, CimRef, CimValue } from '../../cim/types.js';
import { stableGuid } from '../../fabric/ids.js';
import type { FailureReason, VmRecord } from '../../fabric/model.js';
import {
  argInstance, argInstances, argNumber, argRef, argRefs, eqi, keyText, notImplemented, prop, propBool, propNumber, propStrings, propText,
  type HostContext, type Provider,
} from './context.js';
import { ENABLED_STATE } from './computer-system.js';
import { jobRef, NS, parseSettingId, plannedRef, sasdRef, connectionRef, systemRef, VSMS_NAME, vsmsSettingsId, memoryRef, processorRef } from './paths.js';
import { codeFor } from './profiles.js';

export function vsmsInstance(c: HostContext): CimInstance {
  const h = c.host();
  return {
    className: 'Msvm_VirtualSystemManagementService',
    namespace: NS,
    props: {
      Caption: 'Hyper-V Virtual System Management Service',
      Description: 'Service for creating, manipulating, and managing virtual machines',
      ElementName: 'Hyper-V Virtual System Management Service',
      InstallDate: null,
      Name: VSMS_NAME,
      CreationClassName: 'Msvm_VirtualSystemManagementService',
      SystemCreationClassName: 'Msvm_ComputerSystem',
      SystemName: h.name,
      OperationalStatus: [2],
      StatusDescriptions: ['The service is running normally'],
      Status: 'OK',
      HealthState: 5,
      EnabledState: 2,
      RequestedState: 12,
      EnabledDefault: 2,
      TimeOfLastStateChange: c.ts(h.installedAt),
      Started: true,
      StartMode: null,
      PrimaryOwnerName: null,
      PrimaryOwnerContact: null,
    },
  };
}

export function vsmsSettingsInstance(c: HostContext): CimInstance {
  const h = c.host();
  const root = h.storageRoots[0] ?? 'C:\\ProgramData\\Microsoft\\Windows\\Hyper-V';
  const base: CimInstance['props'] = {
    InstanceID: vsmsSettingsId(h.name),
    Caption: 'Hyper-V Virtual System Management Service Setting Data',
    Description: 'Settings of the Hyper-V Virtual System Management Service',
    ElementName: 'Hyper-V Virtual System Management Service Setting Data',
    BiosLockString: null,
    DefaultExternalDataRoot: root,
    DefaultVirtualHardDiskPath: root + '\\Virtual Hard Disks',
    MaximumMacAddress: '00155D' + macBlock(h.name) + 'FF',
    MinimumMacAddress: '00155D' + macBlock(h.name) + '00',
    NumaSpanningEnabled: true,
    PrimaryOwnerContact: null,
    PrimaryOwnerName: null,
    HbaLunTimeout: 0,
    MaximumWWPNAddress: 'C003FFBC8A5BFFFF',
    MinimumWWPNAddress: 'C003FFBC8A5B0000',
    CurrentWWNNAddress: 'C003FFBC8A5B0000',
    DefaultVirtualHardDiskCachingMode: 0,
    HypervisorRootSchedulerEnabled: false,
    EnhancedSessionModeEnabled: false,
  };
  for (const [k, v] of Object.entries(h.managementSettings)) if (k in base) base[k] = v;
  return { className: 'Msvm_VirtualSystemManagementServiceSettingData', namespace: NS, props: base };
}

function macBlock(host: string): string {
  return stableGuid('mac', host).slice(0, 4);
}

const STARTUP: Readonly<Record<number, VmRecord['startupAction']>> = { 2: 'none', 3: 'restart-if-active', 4: 'always' };
const SHUTDOWN: Readonly<Record<number, VmRecord['shutdownAction']>> = { 2: 'turn-off', 3: 'save', 4: 'shutdown' };

/** The switch an EPASD's HostResource names: a Msvm_VirtualEthernetSwitch path, or a plain switch name. */
function switchOf(c: HostContext, inst: CimInstance): string | null | undefined {
  const hr = propStrings(inst, 'HostResource');
  if (!hr || hr.length === 0 || hr[0] === '') return null;
  const h = c.host();
  const text = hr[0];
  try {
    const ref = parseInstancePath(text);
    const id = keyText(ref.keys, 'Name');
    const s = h.switches.find((x) => eqi(x.id, id) || eqi(x.name, id));
    return s ? s.name : undefined;
  } catch {
    const s = h.switches.find((x) => eqi(x.name, text));
    return s ? s.name : undefined;
  }
}

/** The VM (realized or planned) an AffectedSystem / PlannedSystem REF names on this host. */
function systemOf(c: HostContext, ref: CimRef | undefined): { vm: VmRecord; planned: boolean } | { reason: FailureReason } {
  if (!ref) return { reason: 'vm-not-found' };
  const name = keyText(ref.keys, 'Name');
  if (!name) return { reason: 'vm-not-found' };
  if (/plannedcomputersystem$/i.test(ref.className)) {
    const p = c.planned(name);
    return p ? { vm: p, planned: true } : { reason: 'vm-not-found' };
  }
  if (c.isHost(name)) return { reason: 'not-a-vm' };
  const v = c.vm(name);
  return v ? { vm: v, planned: false } : { reason: 'vm-not-found' };
}

const SUMMARY_FIELDS: Readonly<Record<number, string[]>> = {
  0: ['Name'], 1: ['ElementName'], 2: ['CreationTime'], 3: ['Notes'], 4: ['NumberOfProcessors'], 6: ['ThumbnailImage'],
  100: ['EnabledState'], 101: ['ProcessorLoad'], 103: ['MemoryUsage'], 104: ['Heartbeat'], 105: ['UpTime'], 106: ['GuestOperatingSystem'],
  107: ['Snapshots'], 108: ['AsynchronousTasks'], 109: ['HealthState'], 110: ['OperationalStatus'], 111: ['StatusDescriptions'],
  112: ['MemoryAvailable'], 113: ['AvailableMemoryBuffer'], 132: ['Version'], 135: ['VirtualSystemSubType'], 136: ['HostComputerSystemName'],
};

function summaryOf(c: HostContext, v: VmRecord, wanted: number[] | undefined): CimInstance {
  const all: CimInstance['props'] = {
    InstanceID: `Microsoft:${v.guid}`,
    Name: v.guid,
    ElementName: v.name,
    CreationTime: c.ts(v.createdAt),
    Notes: v.notes,
    NumberOfProcessors: v.cpus,
    EnabledState: ENABLED_STATE[v.state],
    ProcessorLoad: v.state === 'running' ? 3 : 0,
    MemoryUsage: v.state === 'off' || v.state === 'saved' ? 0 : v.memoryMiB,
    Heartbeat: v.state === 'running' ? 2 : 12,
    UpTime: v.onSince !== undefined ? Math.max(0, Math.floor(c.now() - v.onSince)) : 0,
    GuestOperatingSystem: null,
    HealthState: 5,
    OperationalStatus: v.migrating ? [2, 32774] : [2],
    StatusDescriptions: v.migrating ? ['Operating normally', 'Migrating Virtual Machine'] : ['Operating normally'],
    MemoryAvailable: v.state === 'running' ? 20 : 0,
    AvailableMemoryBuffer: 0,
    Version: v.configurationVersion,
    VirtualSystemSubType: `Microsoft:Hyper-V:SubType:${v.generation}`,
    HostComputerSystemName: v.host,
    VirtualSwitchNames: v.adapters.flatMap((a) => (a.switch ? [a.switch] : [])),
    AsynchronousTasks: null,
    Snapshots: null,
  };
  if (!wanted) return { className: 'Msvm_SummaryInformation', namespace: NS, props: all };
  const props: CimInstance['props'] = { InstanceID: all.InstanceID };
  for (const w of wanted) for (const f of SUMMARY_FIELDS[w] ?? []) props[f] = all[f] ?? null;
  return { className: 'Msvm_SummaryInformation', namespace: NS, props };
}

export function vsmsProvider(c: HostContext): Provider {
  const fail = (reason: FailureReason): MethodResult => ({ returnValue: codeFor(c.profile, 'management', reason) });
  const job = (id: string, extra: Record<string, CimValue> = {}): MethodResult => ({ returnValue: 4096, out: { ...extra, Job: jobRef(id, false) } });

  /** DefineSystem / DefinePlannedSystem: a VSSD plus RASDs → a VM. */
  const define = (args: Readonly<Record<string, CimValue>>, planned: boolean): MethodResult => {
    const vssd = argInstance(args, 'SystemSettings');
    if (!vssd) return fail('settings-invalid');
    const o: Parameters<typeof c.fabric.defineVm>[1] = { planned };
    o.name = propText(vssd, 'ElementName');
    const sub = propText(vssd, 'VirtualSystemSubType');
    if (sub !== undefined) {
      if (/:2$/.test(sub)) o.generation = 2;
      else if (/:1$/.test(sub)) o.generation = 1;
      else return fail('settings-invalid');
    }
    const version = propText(vssd, 'Version');
    if (version !== undefined) {
      if (!/^\d+\.\d+$/.test(version)) return fail('settings-invalid');
      o.configurationVersion = version;
    }
    const notes = prop(vssd, 'Notes');
    if (Array.isArray(notes)) o.notes = notes.join('\n');
    else if (typeof notes === 'string') o.notes = notes;
    o.dataRoot = propText(vssd, 'ConfigurationDataRoot');
    const ident = propText(vssd, 'VirtualSystemIdentifier');
    if (ident && /^[0-9A-Fa-f-]{36}$/.test(ident)) o.guid = ident;
    const ref = argRef(args, 'ReferenceConfiguration');
    if (ref) {
      const id = keyText(ref.keys, 'InstanceID');
      const p = id ? parseSettingId(id) : undefined;
      const base = p ? c.anyVm(p.vm) : undefined;
      if (!p || p.kind !== 'vssd' || !base) return fail('settings-invalid');
      o.memoryMiB = base.memoryMiB;
      o.cpus = base.cpus;
      o.generation ??= base.generation;
      o.configurationVersion ??= base.configurationVersion;
    }
    const vhds: Array<{ path: string }> = [];
    const adapters: Array<{ name?: string; switch: string | null; mac?: string }> = [];
    for (const r of argInstances(args, 'ResourceSettings') ?? []) {
      const cls = r.className.toLowerCase();
      if (cls === 'msvm_memorysettingdata') {
        const q = propNumber(r, 'VirtualQuantity');
        if (q === undefined || q < 32) return fail('settings-invalid');
        o.memoryMiB = q;
      } else if (cls === 'msvm_processorsettingdata') {
        const q = propNumber(r, 'VirtualQuantity');
        if (q === undefined || q < 1 || q > 2048) return fail('settings-invalid');
        o.cpus = q;
      } else if (cls === 'msvm_storageallocationsettingdata') {
        const path = propStrings(r, 'HostResource')?.[0];
        if (!path) return fail('settings-invalid');
        vhds.push({ path });
      } else if (cls === 'msvm_syntheticethernetportsettingdata') {
        adapters.push({ name: propText(r, 'ElementName'), switch: null, mac: normaliseMac(propText(r, 'Address')) });
      } else if (cls === 'msvm_ethernetportallocationsettingdata') {
        const sw = switchOf(c, r);
        if (sw === undefined) return fail('settings-invalid');
        const free = adapters.find((a) => a.switch === null);
        if (free) free.switch = sw;
        else adapters.push({ switch: sw });
      }
      // other resources (drives, controllers) are implied by the disks
    }
    o.vhds = vhds;
    o.adapters = adapters;
    const r = c.fabric.defineVm(c.hostName, o);
    if (!r.ok) return fail(r.reason);
    const v = r.value;
    return { returnValue: 0, out: { ResultingSystem: v.planned ? plannedRef(v.guid) : systemRef(v.guid) } };
  };

  const invoke = (ctx: OperationContext, method: CimMethodDecl, args: Readonly<Record<string, CimValue>>): MethodResult => {
    switch (method.name.toLowerCase()) {
      case 'definesystem':
        return define(args, false);
      case 'defineplannedsystem':
        return define(args, true);
      case 'destroysystem': {
        const s = systemOf(c, argRef(args, 'AffectedSystem'));
        if ('reason' in s) return fail(s.reason);
        const r = c.fabric.destroyVm(c.hostName, s.vm.guid, s.planned, ctx.user);
        return r.ok ? job(r.job!.id) : fail(r.reason);
      }
      case 'modifysystemsettings': {
        const vssd = argInstance(args, 'SystemSettings');
        const id = vssd ? propText(vssd, 'InstanceID') : undefined;
        const p = id ? parseSettingId(id) : undefined;
        if (!vssd || !p || p.kind !== 'vssd') return fail('settings-invalid');
        const v = c.anyVm(p.vm);
        if (!v) return fail('vm-not-found');
        const startup = propNumber(vssd, 'AutomaticStartupAction');
        const shutdown = propNumber(vssd, 'AutomaticShutdownAction');
        if ((startup !== undefined && !STARTUP[startup]) || (shutdown !== undefined && !SHUTDOWN[shutdown])) return fail('settings-invalid');
        const notes = prop(vssd, 'Notes');
        const r = c.fabric.modifyVm(c.hostName, v.guid, {
          name: propText(vssd, 'ElementName'),
          notes: Array.isArray(notes) ? notes.join('\n') : typeof notes === 'string' ? notes : undefined,
          startupAction: startup !== undefined ? STARTUP[startup] : undefined,
          shutdownAction: shutdown !== undefined ? SHUTDOWN[shutdown] : undefined,
        }, v.planned);
        return r.ok ? { returnValue: 0 } : fail(r.reason);
      }
      case 'modifyresourcesettings': {
        const list = argInstances(args, 'ResourceSettings') ?? [];
        if (list.length === 0) return fail('settings-invalid');
        const byVm = new Map<string, Parameters<typeof c.fabric.modifyResources>[2]>();
        const results: CimRef[] = [];
        for (const r of list) {
          const id = propText(r, 'InstanceID');
          const p = id ? parseSettingId(id) : undefined;
          if (!p) return fail('settings-invalid');
          const v = c.anyVm(p.vm);
          if (!v) return fail('vm-not-found');
          let ch = byVm.get(v.guid);
          if (!ch) byVm.set(v.guid, (ch = {}));
          if (p.kind === 'memory') {
            const q = propNumber(r, 'VirtualQuantity');
            if (q !== undefined) ch.memoryMiB = q;
            results.push(memoryRef(v.guid));
          } else if (p.kind === 'processor') {
            const q = propNumber(r, 'VirtualQuantity');
            if (q !== undefined) ch.cpus = q;
            const lpf = propBool(r, 'LimitProcessorFeatures');
            if (lpf !== undefined) ch.processorCompatibility = lpf;
            results.push(processorRef(v.guid));
          } else if (p.kind === 'sasd') {
            const path = propStrings(r, 'HostResource')?.[0];
            if (!path) return fail('settings-invalid');
            (ch.vhdPaths ??= {})[p.vhd] = path;
            results.push(sasdRef(v, p.vhd));
          } else if (p.kind === 'connection') {
            const sw = switchOf(c, r);
            if (sw === undefined) return fail('settings-invalid');
            (ch.adapterSwitches ??= {})[p.adapter] = sw;
            results.push(connectionRef(v.guid, p.adapter));
          } else {
            return fail('settings-invalid');
          }
        }
        for (const [guid, ch] of byVm) {
          const v = c.anyVm(guid)!;
          const r = c.fabric.modifyResources(c.hostName, guid, ch, v.planned);
          if (!r.ok) return fail(r.reason);
        }
        return { returnValue: 0, out: { ResultingResourceSettings: results } };
      }
      case 'addresourcesettings': {
        const ref = argRef(args, 'AffectedConfiguration');
        const id = ref ? keyText(ref.keys, 'InstanceID') : undefined;
        const p = id ? parseSettingId(id) : undefined;
        const v = p && p.kind === 'vssd' ? c.anyVm(p.vm) : undefined;
        if (!v) return fail('vm-not-found');
        const vhds: Array<{ path: string }> = [];
        const adapters: Array<{ name?: string; switch: string | null; mac?: string }> = [];
        for (const r of argInstances(args, 'ResourceSettings') ?? []) {
          const cls = r.className.toLowerCase();
          if (cls === 'msvm_storageallocationsettingdata') {
            const path = propStrings(r, 'HostResource')?.[0];
            if (!path) return fail('settings-invalid');
            vhds.push({ path });
          } else if (cls === 'msvm_syntheticethernetportsettingdata' || cls === 'msvm_ethernetportallocationsettingdata') {
            const sw = cls === 'msvm_ethernetportallocationsettingdata' ? switchOf(c, r) : null;
            if (sw === undefined) return fail('settings-invalid');
            adapters.push({ name: propText(r, 'ElementName'), switch: sw, mac: normaliseMac(propText(r, 'Address')) });
          } else {
            return fail('not-supported');
          }
        }
        const r = c.fabric.addResources(c.hostName, v.guid, v.planned, { vhds, adapters });
        if (!r.ok) return fail(r.reason);
        const results = [...r.value.vhds.map((d) => sasdRef(v, d.id)), ...r.value.adapters.map((a) => connectionRef(v.guid, a.id))];
        return { returnValue: 0, out: { ResultingResourceSettings: results } };
      }
      case 'removeresourcesettings': {
        const refs = argRefs(args, 'ResourceSettings') ?? [];
        if (refs.length === 0) return fail('settings-invalid');
        const byVm = new Map<string, { vhds: string[]; adapters: string[] }>();
        for (const r of refs) {
          const id = keyText(r.keys, 'InstanceID');
          const p = id ? parseSettingId(id) : undefined;
          if (!p) return fail('settings-invalid');
          if (!c.anyVm(p.vm)) return fail('vm-not-found');
          let e = byVm.get(p.vm);
          if (!e) byVm.set(p.vm, (e = { vhds: [], adapters: [] }));
          if (p.kind === 'sasd' || p.kind === 'drive') e.vhds.push(p.vhd);
          else if (p.kind === 'port' || p.kind === 'connection') e.adapters.push(p.adapter);
          else return fail('not-supported');
        }
        for (const [guid, e] of byVm) {
          const v = c.anyVm(guid)!;
          const r = c.fabric.removeResources(c.hostName, guid, v.planned, e);
          if (!r.ok) return fail(r.reason);
        }
        return { returnValue: 0 };
      }
      case 'realizeplannedsystem':
      case 'validateplannedsystem': {
        const ref = argRef(args, 'PlannedSystem');
        const name = ref ? keyText(ref.keys, 'Name') : undefined;
        if (!name || !c.planned(name)) return fail('vm-not-found');
        const realize = method.name.toLowerCase() === 'realizeplannedsystem';
        const r = realize ? c.fabric.realizePlanned(c.hostName, name, ctx.user) : c.fabric.validatePlanned(c.hostName, name, ctx.user);
        if (!r.ok) return fail(r.reason);
        return job(r.job!.id, realize ? { ResultingSystem: systemRef(name.toUpperCase()) } : {});
      }
      case 'modifyservicesettings': {
        const s = argInstance(args, 'SettingData');
        if (!s) return fail('settings-invalid');
        const id = propText(s, 'InstanceID');
        if (id && !eqi(id, vsmsSettingsId(c.hostName))) return fail('settings-invalid');
        const changes: Record<string, string | number | boolean> = {};
        for (const [k, v] of Object.entries(s.props)) {
          if (k === 'InstanceID' || v === null || v === undefined) continue;
          if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') changes[k] = v;
        }
        const r = c.fabric.modifyManagementSettings(c.hostName, changes);
        return r.ok ? { returnValue: 0 } : fail(r.reason);
      }
      case 'formaterror': {
        const errs = argInstances(args, 'Errors') ?? [];
        return { returnValue: 0, out: { ErrorMessage: errs.map((e) => propText(e, 'Message') ?? '').filter(Boolean).join('\r\n') } };
      }
      case 'getsummaryinformation': {
        const refs = argRefs(args, 'SettingData');
        const wantedRaw = args.RequestedInformation;
        const wanted = Array.isArray(wantedRaw) ? wantedRaw.map(Number) : undefined;
        const vms: VmRecord[] = [];
        if (refs === undefined) vms.push(...c.fabric.vms(c.hostName));
        else {
          for (const r of refs) {
            const id = keyText(r.keys, 'InstanceID');
            const p = id ? parseSettingId(id) : undefined;
            const v = p && p.kind === 'vssd' ? c.anyVm(p.vm) : undefined;
            if (!v) return fail('settings-invalid');
            vms.push(v);
          }
        }
        return { returnValue: 0, out: { SummaryInformation: vms.map((v) => summaryOf(c, v, wanted)) } };
      }
      case 'getvirtualsystemthumbnailimage': {
        const w = Math.min(argNumber(args, 'WidthPixels') ?? 80, 1024);
        const h = Math.min(argNumber(args, 'HeightPixels') ?? 60, 768);
        const ref = argRef(args, 'TargetSystem');
        const id = ref ? keyText(ref.keys, 'InstanceID') : undefined;
        const p = id ? parseSettingId(id) : undefined;
        if (!p || !c.anyVm(p.vm)) return fail('settings-invalid');
        return { returnValue: 0, out: { ImageData: new Array<number>(w * h * 2).fill(0) } };
      }
      case 'importsystemdefinition':
        return fail('not-supported');
      default:
        // RequestStateChange, StartService, StopService are inherited and not implemented; the
        // rest of the real method list is outside the emulated surface
        if (method.classOrigin.toLowerCase().startsWith('cim_') && !method.implemented) return notImplemented();
        return fail('not-supported');
    }
  };

  return {
    *enumerate() {
      if (c.fabric.host(c.hostName)) yield vsmsInstance(c);
    },
    get(_ctx, _cls, keys) {
      if (!eqi(keyText(keys, 'Name'), VSMS_NAME) || !c.isHost(keyText(keys, 'SystemName') ?? '')) return undefined;
      if (!eqi(keyText(keys, 'CreationClassName'), 'Msvm_VirtualSystemManagementService')) return undefined;
      return vsmsInstance(c);
    },
    invoke: (ctx, _cls, method, _target, args) => invoke(ctx, method, args),
  };
}

export function vsmsSettingsProvider(c: HostContext): Provider {
  return {
    *enumerate() {
      if (c.fabric.host(c.hostName)) yield vsmsSettingsInstance(c);
    },
    get: (_ctx, _cls, keys) => (eqi(keyText(keys, 'InstanceID'), vsmsSettingsId(c.hostName)) ? vsmsSettingsInstance(c) : undefined),
  };
}

function normaliseMac(m: string | undefined): string | undefined {
  if (!m) return undefined;
  const x = m.replace(/[-:]/g, '').toUpperCase();
  return /^[0-9A-F]{12}$/.test(x) && x !== '000000000000' ? x : undefined;
}


