/**
 * The association classes of hyperv-model §5, computed from the fabric on demand. Each provider
 * enumerates lazily and answers `referencesTo` from the referenced element alone, so
 * Get-CimAssociatedInstance-style traversal costs O(related), not O(all instances).
 */
import type { CimInstance, CimRef } from '../../cim/types.js';
import type { JobRecord, MigrationTypeName, VmRecord } from '../../fabric/model.js';
import { matchesKeys } from '../../cim/compare.js';
import { eqi, keyText, type HostContext, type Provider } from './context.js';
import {
  capabilitiesRef, CAPABILITIES_ID, jobRef, keyboardRef, migrationServiceRef, migrationSettingsId, migrationSettingsRef, MIGRATION_SERVICE_NAME,
  MIGRATION_TYPES, networkRef, NS, parseSettingId, switchRef, systemRef, templateRef, TEMPLATE_PREFIX, vmRef, VSMS_NAME, vsmsRef,
  vsmsSettingsId, vsmsSettingsRef, vssdRef, memoryRef, processorRef, driveRef, sasdRef, portRef, connectionRef, type SettingPart,
} from './paths.js';
import { settingParts } from './settings.js';

/** What a reference names, as far as associations care. */
type Element =
  | { kind: 'host' }
  | { kind: 'vm'; vm: VmRecord | undefined; guid: string; planned: boolean }
  | { kind: 'setting'; part: SettingPart; vm: VmRecord | undefined }
  | { kind: 'vsms' }
  | { kind: 'migration-service' }
  | { kind: 'vsms-settings' }
  | { kind: 'migration-settings' }
  | { kind: 'capabilities' }
  | { kind: 'template'; type: MigrationTypeName }
  | { kind: 'network'; id: string }
  | { kind: 'job'; job: JobRecord }
  | { kind: 'keyboard'; guid: string }
  | { kind: 'switch'; id: string };

const SETTING_KIND: Readonly<Record<string, SettingPart['kind']>> = {
  msvm_virtualsystemsettingdata: 'vssd',
  msvm_memorysettingdata: 'memory',
  msvm_processorsettingdata: 'processor',
  msvm_resourceallocationsettingdata: 'drive',
  msvm_storageallocationsettingdata: 'sasd',
  msvm_syntheticethernetportsettingdata: 'port',
  msvm_ethernetportallocationsettingdata: 'connection',
};

function identify(c: HostContext, ref: CimRef): Element | undefined {
  const cls = ref.className.toLowerCase();
  const id = keyText(ref.keys, 'InstanceID');
  switch (cls) {
    case 'msvm_computersystem': {
      const name = keyText(ref.keys, 'Name');
      if (!name) return undefined;
      if (c.isHost(name)) return { kind: 'host' };
      return { kind: 'vm', vm: c.vm(name), guid: name.toUpperCase(), planned: false };
    }
    case 'msvm_plannedcomputersystem': {
      const name = keyText(ref.keys, 'Name');
      return name ? { kind: 'vm', vm: c.planned(name), guid: name.toUpperCase(), planned: true } : undefined;
    }
    case 'msvm_virtualsystemmanagementservice':
      return eqi(keyText(ref.keys, 'Name'), VSMS_NAME) ? { kind: 'vsms' } : undefined;
    case 'msvm_virtualsystemmigrationservice':
      return eqi(keyText(ref.keys, 'Name'), MIGRATION_SERVICE_NAME) ? { kind: 'migration-service' } : undefined;
    case 'msvm_virtualsystemmanagementservicesettingdata':
      return eqi(id, vsmsSettingsId(c.hostName)) ? { kind: 'vsms-settings' } : undefined;
    case 'msvm_virtualsystemmigrationservicesettingdata':
      return eqi(id, migrationSettingsId(c.hostName)) ? { kind: 'migration-settings' } : undefined;
    case 'msvm_virtualsystemmigrationcapabilities':
      return eqi(id, CAPABILITIES_ID) ? { kind: 'capabilities' } : undefined;
    case 'msvm_virtualsystemmigrationsettingdata': {
      if (!id || id.slice(0, TEMPLATE_PREFIX.length).toLowerCase() !== TEMPLATE_PREFIX.toLowerCase()) return undefined;
      const t = MIGRATION_TYPES.find((x) => eqi(x.name, id.slice(TEMPLATE_PREFIX.length)));
      return t ? { kind: 'template', type: t.name } : undefined;
    }
    case 'msvm_virtualsystemmigrationnetworksettingdata':
      return id ? { kind: 'network', id: id.replace(/^Microsoft:/i, '').toUpperCase() } : undefined;
    case 'msvm_concretejob':
    case 'msvm_migrationjob': {
      const j = id ? c.fabric.job(c.hostName, id) : undefined;
      return j && j.migrationJob === (cls === 'msvm_migrationjob') ? { kind: 'job', job: j } : undefined;
    }
    case 'msvm_keyboard': {
      const sys = keyText(ref.keys, 'SystemName');
      return sys ? { kind: 'keyboard', guid: sys.toUpperCase() } : undefined;
    }
    case 'msvm_virtualethernetswitch': {
      const name = keyText(ref.keys, 'Name');
      return name ? { kind: 'switch', id: name.toUpperCase() } : undefined;
    }
    default: {
      const kind = SETTING_KIND[cls];
      const p = kind && id ? parseSettingId(id) : undefined;
      if (!p || p.kind !== kind) return undefined;
      return { kind: 'setting', part: p, vm: c.anyVm(p.vm) };
    }
  }
}

function partRef(v: VmRecord, p: SettingPart): CimRef {
  switch (p.kind) {
    case 'vssd': return vssdRef(v.guid);
    case 'memory': return memoryRef(v.guid);
    case 'processor': return processorRef(v.guid);
    case 'drive': return driveRef(v, p.vhd);
    case 'sasd': return sasdRef(v, p.vhd);
    case 'port': return portRef(v.guid, p.adapter);
    case 'connection': return connectionRef(v.guid, p.adapter);
  }
}

function inst(className: string, props: CimInstance['props']): CimInstance {
  return { className, namespace: NS, props };
}

/** An association provider from an enumerator and a "near" function (instances touching an element). */
function assoc(
  c: HostContext,
  all: () => Iterable<CimInstance>,
  near: (e: Element) => Iterable<CimInstance>,
): Provider {
  return {
    enumerate: () => all(),
    referencesTo(_ctx, _cls, ref) {
      const e = identify(c, ref);
      return e ? near(e) : [];
    },
    get(_ctx, cls, keys) {
      for (const k of cls.keys) {
        const v = keys[k.name];
        if (!v || typeof v !== 'object' || !('keys' in v)) continue;
        const e = identify(c, v as CimRef);
        if (!e) return undefined;
        for (const i of near(e)) if (matchesKeys(i, keys)) return i;
        return undefined;
      }
      return undefined;
    },
  };
}

export function associationProviders(c: HostContext): Array<[string, Provider]> {
  const f = c.fabric;
  const host = () => systemRef(c.host().name);
  const exists = () => f.host(c.hostName) !== undefined;

  // Msvm_HostedService: host → its services
  const hosted = (dep: CimRef) => inst('Msvm_HostedService', { Antecedent: host(), Dependent: dep });
  const hostedService = assoc(c,
    function* () {
      if (!exists()) return;
      yield hosted(vsmsRef(c.hostName));
      yield hosted(migrationServiceRef(c.hostName));
    },
    function* (e) {
      if (e.kind === 'host' || e.kind === 'vsms') yield hosted(vsmsRef(c.hostName));
      if (e.kind === 'host' || e.kind === 'migration-service') yield hosted(migrationServiceRef(c.hostName));
    });

  // Msvm_ElementCapabilities: migration service → its capabilities
  const elementCaps = () => inst('Msvm_ElementCapabilities', { ManagedElement: migrationServiceRef(c.hostName), Capabilities: capabilitiesRef(), Characteristics: null });
  const elementCapabilities = assoc(c,
    function* () {
      if (exists()) yield elementCaps();
    },
    function* (e) {
      if (e.kind === 'migration-service' || e.kind === 'capabilities') yield elementCaps();
    });

  // Msvm_SettingsDefineCapabilities: capabilities → one template per MigrationType (point/default)
  const sdc = (t: MigrationTypeName) =>
    inst('Msvm_SettingsDefineCapabilities', {
      GroupComponent: capabilitiesRef(), PartComponent: templateRef(t), PropertyPolicy: 0, ValueRole: 0, ValueRange: 0, SupportStatement: 0,
    });
  const settingsDefineCapabilities = assoc(c,
    function* () {
      if (exists()) for (const t of MIGRATION_TYPES) yield sdc(t.name);
    },
    function* (e) {
      if (e.kind === 'capabilities') for (const t of MIGRATION_TYPES) yield sdc(t.name);
      if (e.kind === 'template') yield sdc(e.type);
    });

  // Msvm_ElementSettingData: services → their settings; VMs → their active settings
  const esd = (me: CimRef, sd: CimRef) => inst('Msvm_ElementSettingData', { ManagedElement: me, SettingData: sd, IsDefault: 0, IsCurrent: 1, IsNext: 0 });
  const elementSettingData = assoc(c,
    function* () {
      if (!exists()) return;
      yield esd(migrationServiceRef(c.hostName), migrationSettingsRef(c.hostName));
      yield esd(vsmsRef(c.hostName), vsmsSettingsRef(c.hostName));
      for (const v of c.allVms()) yield esd(vmRef(v), vssdRef(v.guid));
    },
    function* (e) {
      if (e.kind === 'migration-service' || e.kind === 'migration-settings') yield esd(migrationServiceRef(c.hostName), migrationSettingsRef(c.hostName));
      if (e.kind === 'vsms' || e.kind === 'vsms-settings') yield esd(vsmsRef(c.hostName), vsmsSettingsRef(c.hostName));
      if (e.kind === 'vm' && e.vm) yield esd(vmRef(e.vm), vssdRef(e.vm.guid));
      if (e.kind === 'setting' && e.part.kind === 'vssd' && e.vm) yield esd(vmRef(e.vm), vssdRef(e.vm.guid));
    });

  // Msvm_SettingsDefineState: VM → its active VSSD
  const sds = (v: VmRecord) => inst('Msvm_SettingsDefineState', { ManagedElement: vmRef(v), SettingData: vssdRef(v.guid) });
  const settingsDefineState = assoc(c,
    function* () {
      for (const v of c.allVms()) yield sds(v);
    },
    function* (e) {
      if (e.kind === 'vm' && e.vm) yield sds(e.vm);
      if (e.kind === 'setting' && e.part.kind === 'vssd' && e.vm) yield sds(e.vm);
    });

  // Msvm_VirtualSystemSettingDataComponent: VSSD → every RASD of the VM
  const vssdc = (v: VmRecord, p: SettingPart) => inst('Msvm_VirtualSystemSettingDataComponent', { GroupComponent: vssdRef(v.guid), PartComponent: partRef(v, p) });
  const componentsOf = function* (v: VmRecord) {
    for (const p of settingParts(v)) if (p.kind !== 'vssd') yield vssdc(v, p);
  };
  const vssdComponent = assoc(c,
    function* () {
      for (const v of c.allVms()) yield* componentsOf(v);
    },
    function* (e) {
      if (e.kind !== 'setting' || !e.vm) return;
      if (e.part.kind === 'vssd') yield* componentsOf(e.vm);
      else yield vssdc(e.vm, e.part);
    });

  // Msvm_SystemComponent: host → its VMs, planned VMs and switches
  const sc = (part: CimRef) => inst('Msvm_SystemComponent', { GroupComponent: host(), PartComponent: part });
  const systemComponent = assoc(c,
    function* () {
      if (!exists()) return;
      for (const v of c.allVms()) yield sc(vmRef(v));
      for (const s of c.host().switches) yield sc(switchRef(s.id));
    },
    function* (e) {
      if (e.kind === 'host') {
        for (const v of c.allVms()) yield sc(vmRef(v));
        for (const s of c.host().switches) yield sc(switchRef(s.id));
      }
      if (e.kind === 'vm' && e.vm) yield sc(vmRef(e.vm));
      if (e.kind === 'switch' && c.host().switches.some((s) => s.id.toUpperCase() === e.id)) yield sc(switchRef(e.id));
    });

  // Msvm_SystemDevice: VM → its keyboard
  const sd = (v: VmRecord) => inst('Msvm_SystemDevice', { GroupComponent: systemRef(v.guid), PartComponent: keyboardRef(v.guid) });
  const systemDevice = assoc(c,
    function* () {
      for (const v of f.vms(c.hostName)) yield sd(v);
    },
    function* (e) {
      if (e.kind === 'vm' && e.vm && !e.vm.planned) yield sd(e.vm);
      if (e.kind === 'keyboard') {
        const v = c.vm(e.guid);
        if (v) yield sd(v);
      }
    });

  // Msvm_AffectedJobElement: VM → the jobs that affect it
  const affectedRefFor = (j: JobRecord, guid: string): CimRef => {
    const here = c.anyVm(guid);
    if (here) return vmRef(here);
    const elsewhere = f.findVm(guid);
    return systemRef(guid, c.remote(elsewhere?.host));
  };
  const aje = (j: JobRecord, guid: string) =>
    inst('Msvm_AffectedJobElement', {
      AffectedElement: affectedRefFor(j, guid),
      AffectingElement: jobRef(j.id, j.migrationJob),
      ElementEffects: j.type.startsWith('check-') || j.type === 'create-remote-vm' ? [0] : [2],
      OtherElementEffectsDescriptions: null,
    });
  const affectedJobElement = assoc(c,
    function* () {
      for (const j of f.jobs(c.hostName)) for (const g of j.affected) yield aje(j, g);
    },
    function* (e) {
      if (e.kind === 'vm') for (const j of f.jobsAffecting(c.hostName, e.guid)) yield aje(j, e.guid);
      if (e.kind === 'job') for (const g of e.job.affected) yield aje(e.job, g);
    });

  // Msvm_OwningJobElement: the service (or VM) that created a job → the job
  const ownerRef = (j: JobRecord): CimRef => {
    if (j.owner === 'migration-service') return migrationServiceRef(c.hostName);
    if (j.owner === 'vm' && j.ownerVm) return systemRef(j.ownerVm, c.remote(f.findVm(j.ownerVm)?.host ?? c.hostName));
    return vsmsRef(c.hostName);
  };
  const oje = (j: JobRecord) => inst('Msvm_OwningJobElement', { OwningElement: ownerRef(j), OwnedElement: jobRef(j.id, j.migrationJob) });
  const owningJobElement = assoc(c,
    function* () {
      for (const j of f.jobs(c.hostName)) yield oje(j);
    },
    function* (e) {
      if (e.kind === 'job') yield oje(e.job);
      if (e.kind === 'migration-service') for (const j of f.jobs(c.hostName)) if (j.owner === 'migration-service') yield oje(j);
      if (e.kind === 'vsms') for (const j of f.jobs(c.hostName)) if (j.owner === 'management-service') yield oje(j);
      if (e.kind === 'vm') for (const j of f.jobsAffecting(c.hostName, e.guid)) if (j.owner === 'vm' && j.ownerVm === e.guid) yield oje(j);
    });

  // Msvm_ServiceAffectsElement: the management service → every VM
  const sae = (v: VmRecord) => inst('Msvm_ServiceAffectsElement', {
    AffectingElement: vsmsRef(c.hostName), AffectedElement: vmRef(v), ElementEffects: [1], OtherElementEffectsDescriptions: ['Manages'],
  });
  const serviceAffectsElement = assoc(c,
    function* () {
      for (const v of c.allVms()) yield sae(v);
    },
    function* (e) {
      if (e.kind === 'vsms') for (const v of c.allVms()) yield sae(v);
      if (e.kind === 'vm' && e.vm) yield sae(e.vm);
    });

  // Msvm_VirtualSystemMigrationServiceSettingDataComponent: service settings → migration networks
  const msc = (id: string) => inst('Msvm_VirtualSystemMigrationServiceSettingDataComponent', { GroupComponent: migrationSettingsRef(c.hostName), PartComponent: networkRef(id) });
  const networksComponent = assoc(c,
    function* () {
      const h = f.host(c.hostName);
      if (h) for (const n of h.migration.networks) yield msc(n.id);
    },
    function* (e) {
      const h = f.host(c.hostName);
      if (!h) return;
      if (e.kind === 'migration-settings') for (const n of h.migration.networks) yield msc(n.id);
      if (e.kind === 'network') for (const n of h.migration.networks) if (n.id.toUpperCase() === e.id) yield msc(n.id);
    });

  return [
    ['msvm_hostedservice', hostedService],
    ['msvm_elementcapabilities', elementCapabilities],
    ['msvm_settingsdefinecapabilities', settingsDefineCapabilities],
    ['msvm_elementsettingdata', elementSettingData],
    ['msvm_settingsdefinestate', settingsDefineState],
    ['msvm_virtualsystemsettingdatacomponent', vssdComponent],
    ['msvm_systemcomponent', systemComponent],
    ['msvm_systemdevice', systemDevice],
    ['msvm_affectedjobelement', affectedJobElement],
    ['msvm_owningjobelement', owningJobElement],
    ['msvm_serviceaffectselement', serviceAffectsElement],
    ['msvm_virtualsystemmigrationservicesettingdatacomponent', networksComponent],
  ];
}
