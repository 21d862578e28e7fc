/**
 * Msvm_VirtualSystemMigrationService and its satellites (hyperv-model §1, §2): the service,
 * Msvm_VirtualSystemMigrationCapabilities, the service's settings
 * (Msvm_VirtualSystemMigrationServiceSettingData), one Msvm_VirtualSystemMigrationSettingData
 * template per MigrationType, and the migration networks. The methods turn their CIM arguments
 * into fabric requests; the fabric decides, the profile table (profiles.ts) picks the codes.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { writeEmbeddedInstance } from '../../cim/cimxml/index.js';
import type { MethodResult, OperationContext } from '../../cim/provider.js';
import { loadSchemaRegistry } from '../../cim/schema-loader.js';
import type { CimInstance, CimMethodDecl, CimRef, CimValue } from '../../cim/types.js';
import { COMPAT_FORMAT, type CompatibilityInfo, type MigrationRequest } from '../../fabric/fabric.js';
import type { FailureReason, MigrationTypeName } from '../../fabric/model.js';
import {
  argInstance, argInstances, argRef, argRefs, argString, eqi, keyText, notImplemented, propBool, propNumber,
  propStrings, propText, type HostContext, type Provider,
} from './context.js';
import {
  CAPABILITIES_ID, jobRef, MIGRATION_SERVICE_NAME, MIGRATION_TYPES, migrationSettingsId, migrationTypeName, networkId, NS,
  parseSettingId, systemRef, TEMPLATE_PREFIX, templateId,
} from './paths.js';
import { codeFor, notImplemented as profileNotImplemented, type MethodFamily } from './profiles.js';

const AUTH: Readonly<Record<'credssp' | 'kerberos', number>> = { credssp: 0, kerberos: 1 };

export function migrationServiceInstance(c: HostContext): CimInstance {
  const h = c.host();
  return {
    className: 'Msvm_VirtualSystemMigrationService',
    namespace: NS,
    props: {
      // CONFLICT (hyperv-model §0.1): the doc names InstanceID as the key ("always Null"); the MOF keys are the CIM_Service keys.
      InstanceID: null,
      Caption: 'Hyper-V Migration Service',
      Description: 'Hyper-V Migration Service',
      ElementName: 'Hyper-V Migration Service',
      InstallDate: null,
      Name: MIGRATION_SERVICE_NAME,
      CreationClassName: 'Msvm_VirtualSystemMigrationService',
      SystemCreationClassName: 'Msvm_ComputerSystem',
      SystemName: h.name,
      OperationalStatus: [2],
      StatusDescriptions: ['OK'],
      Status: 'OK',
      HealthState: 5,
      CommunicationStatus: null,
      DetailedStatus: null,
      OperatingStatus: null,
      PrimaryStatus: null,
      EnabledState: 2,
      OtherEnabledState: null,
      RequestedState: 12,
      EnabledDefault: 2,
      TimeOfLastStateChange: c.ts(h.installedAt),
      AvailableRequestedStates: null,
      TransitioningToState: null,
      PrimaryOwnerName: null,
      PrimaryOwnerContact: null,
      StartMode: null,
      Started: true,
      ActiveVirtualSystemMigrationCount: c.fabric.activeCount(h.name, 'virtual-system'),
      ActiveStorageMigrationCount: c.fabric.activeCount(h.name, 'storage'),
      MigrationServiceListenerIPAddressList: c.fabric.listenerAddresses(h),
    },
  };
}

export function capabilitiesInstance(): CimInstance {
  return {
    className: 'Msvm_VirtualSystemMigrationCapabilities',
    namespace: NS,
    props: {
      InstanceID: CAPABILITIES_ID,
      Caption: 'Migration Capabilities',
      Description: 'Virtual System Migration Capabilities',
      ElementName: 'Migration Capabilities',
      // hyperv-model §8.3: the values a real host reports are not known; these are what the
      // emulator supports.
      AsynchronousMethodsSupported: [2, 3, 32768],
      SynchronousMethodsSupported: [4, 5],
      DestinationHostFormatsSupported: [2, 3, 4],
    },
  };
}

export function serviceSettingsInstance(c: HostContext): CimInstance {
  const h = c.host();
  const m = h.migration;
  return {
    className: 'Msvm_VirtualSystemMigrationServiceSettingData',
    namespace: NS,
    props: {
      InstanceID: migrationSettingsId(h.name),
      Caption: 'Virtual System Migration Service Settings',
      Description: 'Settings of the virtual system migration service',
      ElementName: 'Virtual System Migration Service Settings',
      EnableVirtualSystemMigration: m.enabled,
      MaximumActiveVirtualSystemMigration: m.maxVirtualSystemMigrations,
      MaximumActiveStorageMigration: m.maxStorageMigrations,
      AuthenticationType: AUTH[m.authentication],
      EnableCompression: m.compression,
      EnableSmbTransport: m.smbTransport,
    },
  };
}

export function templateInstance(t: MigrationTypeName): CimInstance {
  return {
    className: 'Msvm_VirtualSystemMigrationSettingData',
    namespace: NS,
    props: {
      InstanceID: templateId(t),
      Caption: 'Migration Setting Data',
      Description: 'Virtual System Migration Setting Data',
      ElementName: `${t} Migration Setting Data`,
      MigrationType: MIGRATION_TYPES.find((x) => x.name === t)!.value,
      Priority: 0,
      Bandwidth: 0,
      BandwidthUnit: null,
      TransportType: 5,
      OtherTransportType: null,
      DestinationPlannedVirtualSystemId: null,
      DestinationIPAddressList: null,
      RetainVhdCopiesOnSource: false,
      EnableCompression: true,
      UnmanagedVhds: null,
      RemoveSourceUnmanagedVhds: false,
      AllowOverwriteExistingFile: false,
      AvoidRemovingVHDs: false,
      CancelIfBlackoutThresholdExceeded: false,
      CPUCappingMagnitude: 0,
      EnableVhdCompression: false,
      AdvancedOptions: null,
    },
  };
}

export function networkInstance(n: { id: string; subnet: string; prefixLength: number; metric: number; tags: string[] }): CimInstance {
  return {
    className: 'Msvm_VirtualSystemMigrationNetworkSettingData',
    namespace: NS,
    props: {
      InstanceID: networkId(n.id),
      Caption: 'Migration Network',
      Description: 'Virtual System Migration Network Setting Data',
      ElementName: `${n.subnet}/${n.prefixLength}`,
      SubnetNumber: n.subnet,
      PrefixLength: n.prefixLength,
      Metric: n.metric,
      Tags: n.tags,
    },
  };
}

// ---- argument reading ---------------------------------------------------------------------------

type Parsed<T> = { ok: true; value: T } | { ok: false; reason: FailureReason };

/** The VM a ComputerSystem REF names on this host. */
function resolveVm(c: HostContext, ref: CimRef | undefined): Parsed<string> {
  if (!ref) return { ok: false, reason: 'vm-not-found' };
  const cls = ref.className.toLowerCase();
  const name = keyText(ref.keys, 'Name');
  if (cls === 'msvm_plannedcomputersystem') return { ok: false, reason: name && c.planned(name) ? 'not-a-vm' : 'vm-not-found' };
  if (cls !== 'msvm_computersystem' && cls !== 'cim_computersystem' && cls !== 'cim_system') return { ok: false, reason: 'not-a-vm' };
  const ccn = keyText(ref.keys, 'CreationClassName');
  if (name === undefined || (ccn !== undefined && !eqi(ccn, 'Msvm_ComputerSystem'))) return { ok: false, reason: 'vm-not-found' };
  if (c.isHost(name)) return { ok: false, reason: 'not-a-vm' };
  if (c.vm(name)) return { ok: true, value: name.toUpperCase() };
  if (c.planned(name)) return { ok: false, reason: 'not-a-vm' };
  return { ok: false, reason: 'vm-not-found' };
}

interface SettingsArgs {
  type: MigrationTypeName;
  plannedVm?: string;
}

/** MigrationSettingData: NULL means the default (a live VirtualSystem migration). */
function readSettings(c: HostContext, inst: CimInstance | undefined, check: boolean): Parsed<SettingsArgs> {
  if (!inst) return { ok: true, value: { type: 'VirtualSystem' } };
  const raw = propNumber(inst, 'MigrationType');
  let type: MigrationTypeName | undefined;
  if (raw === undefined) type = 'VirtualSystem';
  else type = migrationTypeName(raw);
  // DSP1081 values (2 Live, 3 Resume, 4 Restart) are accepted by the dmtf profile only
  if (!type && c.profile === 'dmtf' && (raw === 2 || raw === 3 || raw === 4)) type = 'VirtualSystem';
  if (!type) return { ok: false, reason: 'settings-invalid' };
  if (type === 'StorageDeepCheck' && !check) return { ok: false, reason: 'settings-invalid' };
  const transport = propNumber(inst, 'TransportType');
  if (transport !== undefined && transport !== 0 && transport !== 5 && transport !== 32768) return { ok: false, reason: 'settings-invalid' };
  const planned = propText(inst, 'DestinationPlannedVirtualSystemId');
  return { ok: true, value: { type, plannedVm: planned ? planned.replace(/[{}]/g, '') : undefined } };
}

/** NewResourceSettingData: the VM's SASDs with new HostResource paths. */
function readNewPaths(vm: string, list: CimInstance[] | undefined): Parsed<Record<string, string> | undefined> {
  if (!list || list.length === 0) return { ok: true, value: undefined };
  const out: Record<string, string> = {};
  for (const r of list) {
    const id = propText(r, 'InstanceID');
    const p = id ? parseSettingId(id) : undefined;
    if (!p || p.kind !== 'sasd' || p.vm !== vm) return { ok: false, reason: 'storage-paths-invalid' };
    const path = propStrings(r, 'HostResource')?.[0];
    if (!path) return { ok: false, reason: 'storage-paths-invalid' };
    out[p.vhd] = path;
  }
  return { ok: true, value: out };
}

/** An embedded instance as CIM-XML text, so the fabric keeps plain JSON-safe data. */
function asText(inst: CimInstance): string | null {
  // the (memoised) registry is asked for here, not at module load, so importing costs no schema compile
  const schema = loadSchemaRegistry();
  const cls = schema.getClass(NS, inst.className);
  if (!cls) return null;
  try {
    return writeEmbeddedInstance(inst, cls, { classOf: (n) => schema.getClass(NS, n) });
  } catch {
    return null;
  }
}

function migrationRequest(
  c: HostContext,
  ctx: OperationContext,
  args: Readonly<Record<string, CimValue>>,
  destination: MigrationRequest['destination'],
  check: boolean,
): Parsed<MigrationRequest> {
  const vm = resolveVm(c, argRef(args, 'ComputerSystem'));
  if (!vm.ok) return vm;
  const settings = readSettings(c, argInstance(args, 'MigrationSettingData'), check);
  if (!settings.ok) return settings;
  const resources = argInstances(args, 'NewResourceSettingData');
  const paths = readNewPaths(vm.value, resources);
  if (!paths.ok) return paths;
  const sys = argInstance(args, 'NewSystemSettingData');
  return {
    ok: true,
    value: {
      source: c.hostName,
      vm: vm.value,
      type: settings.value.type,
      destination,
      plannedVm: settings.value.plannedVm,
      newPaths: paths.value,
      newDataRoot: sys ? propText(sys, 'ConfigurationDataRoot') : undefined,
      newSystemSettings: sys ? asText(sys) : null,
      newResourceSettings: resources ? resources.map(asText).filter((x): x is string => x !== null) : null,
      check,
      user: ctx.user,
    },
  };
}

/** DestinationSystem REF → a fabric host (its Msvm_ComputerSystem). */
function destinationSystem(c: HostContext, ref: CimRef | undefined): Parsed<{ host: string }> {
  if (!ref) return { ok: false, reason: 'destination-invalid' };
  const name = keyText(ref.keys, 'Name');
  const h = name ? c.fabric.host(name) : undefined;
  if (!h || !/computersystem|^cim_system$/i.test(ref.className)) return { ok: false, reason: 'destination-invalid' };
  return { ok: true, value: { host: h.name } };
}

// ---- compatibility information --------------------------------------------------------------

export function encodeCompat(info: CompatibilityInfo): number[] {
  return [...Buffer.from(JSON.stringify(info), 'utf8')];
}

export function decodeCompat(bytes: unknown): CompatibilityInfo | undefined {
  if (!Array.isArray(bytes)) return undefined;
  try {
    const v = JSON.parse(Buffer.from(bytes.map(Number)).toString('utf8')) as CompatibilityInfo;
    if (v.format !== COMPAT_FORMAT || typeof v.vendor !== 'string' || !Array.isArray(v.features)) return undefined;
    return v;
  } catch {
    return undefined;
  }
}

/** A stable 64-bit mask of the features (bit = position in the sorted union of known features). */
function featureVectors(vendor: string, features: readonly string[]): CimInstance[] {
  let vendorCode = 0n;
  for (const ch of vendor) vendorCode = (vendorCode * 131n + BigInt(ch.charCodeAt(0))) & 0xffffffffffffffffn;
  let mask = 0n;
  for (const f of features) {
    let h = 0;
    for (const ch of f.toLowerCase()) h = (h * 31 + ch.charCodeAt(0)) % 64;
    mask |= 1n << BigInt(h);
  }
  const v = (id: number, op: number, info: bigint): CimInstance => ({
    className: 'Msvm_CompatibilityVector', namespace: NS, props: { VectorId: id, CompareOperation: op, CompatibilityInfo: info },
  });
  return [v(1, 0, vendorCode), v(2, 2, mask)];
}

// ---- the provider -----------------------------------------------------------------------------

export function migrationServiceProvider(c: HostContext): Provider {
  const fail = (family: MethodFamily, reason: FailureReason): MethodResult => ({ returnValue: codeFor(c.profile, family, reason) });
  const started = (jobId: string, extra: Record<string, CimValue> = {}): MethodResult => ({
    returnValue: 4096, out: { ...extra, Job: jobRef(jobId, true) },
  });

  const invoke = (ctx: OperationContext, method: CimMethodDecl, args: Readonly<Record<string, CimValue>>): MethodResult => {
    const name = method.name.toLowerCase();
    if (profileNotImplemented(c.profile, name)) return notImplemented();
    switch (name) {
      case 'migratevirtualsystemtohost':
      case 'checkvirtualsystemismigratable': {
        const check = name === 'checkvirtualsystemismigratable';
        const dest = argString(args, 'DestinationHost');
        const req = migrationRequest(c, ctx, args, dest, check);
        if (!req.ok) return fail('migration', req.reason);
        const r = c.fabric.migrate(req.value);
        if (!r.ok) return fail('migration', r.reason);
        return started(r.job!.id);
      }
      case 'migratevirtualsystemtosystem': {
        const d = destinationSystem(c, argRef(args, 'DestinationSystem'));
        const req = migrationRequest(c, ctx, args, d.ok ? d.value : undefined, false);
        if (!req.ok) return fail('migration-dsp1081', req.reason);
        if (!d.ok) return fail('migration-dsp1081', d.reason);
        const r = c.fabric.migrate(req.value);
        if (!r.ok) return fail('migration-dsp1081', r.reason);
        const m = r.job!.migration!;
        // the VM as it will exist on the destination: its EPR's Address is the destination's endpoint
        const out: Record<string, CimValue> = m.destination ? { NewComputerSystem: systemRef(m.vm, c.remote(m.destination)) } : {};
        return started(r.job!.id, out);
      }
      case 'checkvirtualsystemismigratabletohost':
      case 'checkvirtualsystemismigratabletosystem': {
        let dest: MigrationRequest['destination'];
        if (name.endsWith('tosystem')) {
          const d = destinationSystem(c, argRef(args, 'DestinationSystem'));
          if (!d.ok) {
            const vm = resolveVm(c, argRef(args, 'ComputerSystem'));
            return fail('migration-dsp1081', vm.ok ? d.reason : vm.reason);
          }
          dest = d.value;
        } else {
          dest = argString(args, 'DestinationHost');
        }
        const req = migrationRequest(c, ctx, args, dest, true);
        if (!req.ok) return fail('migration-dsp1081', req.reason);
        const r = c.fabric.checkNow(req.value);
        if (!r.ok) return fail('migration-dsp1081', r.reason);
        return { returnValue: 0, out: { IsMigratable: r.value.migratable } };
      }
      case 'modifyservicesettings': {
        const s = argInstance(args, 'ServiceSettingData');
        if (!s) return fail('migration-service', 'settings-invalid');
        const id = propText(s, 'InstanceID');
        if (id && !eqi(id, migrationSettingsId(c.hostName))) return fail('migration-service', 'settings-invalid');
        const auth = propNumber(s, 'AuthenticationType');
        if (auth !== undefined && auth !== 0 && auth !== 1) return fail('migration-service', 'settings-invalid');
        const r = c.fabric.modifyMigrationSettings(c.hostName, {
          enabled: propBool(s, 'EnableVirtualSystemMigration'),
          maxVirtualSystemMigrations: propNumber(s, 'MaximumActiveVirtualSystemMigration'),
          maxStorageMigrations: propNumber(s, 'MaximumActiveStorageMigration'),
          authentication: auth === undefined ? undefined : auth === 1 ? 'kerberos' : 'credssp',
          compression: propBool(s, 'EnableCompression'),
          smbTransport: propBool(s, 'EnableSmbTransport'),
        });
        return r.ok ? { returnValue: 0 } : fail('migration-service', r.reason);
      }
      case 'addnetworksettings': {
        const list = argInstances(args, 'NetworkSettings') ?? [];
        if (list.length === 0) return fail('migration-service', 'settings-invalid');
        const nets = [];
        for (const n of list) {
          const subnet = propText(n, 'SubnetNumber');
          const prefixLength = propNumber(n, 'PrefixLength');
          if (!subnet || prefixLength === undefined || !(isIPv4(subnet) || isIPv6(subnet))) return fail('migration-service', 'settings-invalid');
          nets.push({ subnet, prefixLength, metric: propNumber(n, 'Metric'), tags: propStrings(n, 'Tags') });
        }
        const r = c.fabric.addMigrationNetworks(c.hostName, nets);
        return r.ok ? { returnValue: 0 } : fail('migration-service', r.reason);
      }
      case 'modifynetworksettings': {
        const list = argInstances(args, 'NetworkSettings') ?? [];
        if (list.length === 0) return fail('migration-service', 'settings-invalid');
        const changes = [];
        for (const n of list) {
          const id = propText(n, 'InstanceID')?.replace(/^Microsoft:/i, '');
          if (!id) return fail('migration-service', 'settings-invalid');
          changes.push({
            id, metric: propNumber(n, 'Metric'), tags: propStrings(n, 'Tags'), subnet: propText(n, 'SubnetNumber'), prefixLength: propNumber(n, 'PrefixLength'),
          });
        }
        const r = c.fabric.modifyMigrationNetworks(c.hostName, changes);
        return r.ok ? { returnValue: 0 } : fail('migration-service', r.reason);
      }
      case 'removenetworksettings': {
        const refs = argRefs(args, 'NetworkSettings') ?? [];
        if (refs.length === 0) return fail('migration-service', 'settings-invalid');
        const ids = refs.map((r) => keyText(r.keys, 'InstanceID')?.replace(/^Microsoft:/i, '') ?? '');
        const r = c.fabric.removeMigrationNetworks(c.hostName, ids);
        return r.ok ? { returnValue: 0 } : fail('migration-service', r.reason);
      }
      case 'getsystemcompatibilityinfo':
      case 'getsystemcompatibilityvectors': {
        const ref = argRef(args, 'ComputerSystem');
        const nm = ref ? keyText(ref.keys, 'Name') : undefined;
        if (!ref || !nm) return fail('migration-service', 'vm-not-found');
        const r = c.fabric.compatibilityInfo(c.hostName, c.isHost(nm) ? undefined : nm);
        if (!r.ok) return fail('migration-service', r.reason);
        if (name === 'getsystemcompatibilityinfo') return { returnValue: 0, out: { CompatibilityInfo: encodeCompat(r.value) } };
        return { returnValue: 0, out: { CompatibilityVectors: featureVectors(r.value.vendor, r.value.features) } };
      }
      case 'checksystemcompatibilityinfo': {
        const info = decodeCompat(args.CompatibilityInfo);
        if (!info) return fail('migration-service', 'settings-invalid');
        const reasons = c.fabric.checkCompatibility(c.hostName, info);
        if (reasons.length === 0) return { returnValue: 0 };
        return { returnValue: 32784, out: { Reasons: reasons.map((e) => c.errorInstance(e)) } };
      }
      case 'getprocessorfeaturelimits': {
        const h = c.host();
        return { returnValue: 0, out: { CompatibilityVectors: featureVectors(h.processor.vendor, h.processor.features) } };
      }
      case 'requeststatechange':
      case 'startservice':
      case 'stopservice':
        // documented as not supported on this service
        return { returnValue: 1 };
      default:
        return notImplemented();
    }
  };

  return {
    *enumerate() {
      if (c.fabric.host(c.hostName)) yield migrationServiceInstance(c);
    },
    get(_ctx, _cls, keys) {
      if (!eqi(keyText(keys, 'Name'), MIGRATION_SERVICE_NAME) || !c.isHost(keyText(keys, 'SystemName') ?? '')) return undefined;
      if (!eqi(keyText(keys, 'CreationClassName'), 'Msvm_VirtualSystemMigrationService')) return undefined;
      return migrationServiceInstance(c);
    },
    invoke: (ctx, _cls, method, _target, args) => invoke(ctx, method, args),
  };
}

export function capabilitiesProvider(c: HostContext): Provider {
  return {
    *enumerate() {
      if (c.fabric.host(c.hostName)) yield capabilitiesInstance();
    },
    get: (_ctx, _cls, keys) => (eqi(keyText(keys, 'InstanceID'), CAPABILITIES_ID) ? capabilitiesInstance() : undefined),
  };
}

export function serviceSettingsProvider(c: HostContext): Provider {
  return {
    *enumerate() {
      if (c.fabric.host(c.hostName)) yield serviceSettingsInstance(c);
    },
    get: (_ctx, _cls, keys) => (eqi(keyText(keys, 'InstanceID'), migrationSettingsId(c.hostName)) ? serviceSettingsInstance(c) : undefined),
  };
}

export function templateProvider(): Provider {
  return {
    *enumerate() {
      for (const t of MIGRATION_TYPES) yield templateInstance(t.name);
    },
    get(_ctx, _cls, keys) {
      const id = keyText(keys, 'InstanceID');
      if (!id || id.slice(0, TEMPLATE_PREFIX.length).toLowerCase() !== TEMPLATE_PREFIX.toLowerCase()) return undefined;
      const t = MIGRATION_TYPES.find((x) => eqi(x.name, id.slice(TEMPLATE_PREFIX.length)));
      return t ? templateInstance(t.name) : undefined;
    },
  };
}

export function networkProvider(c: HostContext): Provider {
  return {
    *enumerate() {
      const h = c.fabric.host(c.hostName);
      if (h) for (const n of h.migration.networks) yield networkInstance(n);
    },
    get(_ctx, _cls, keys) {
      const id = keyText(keys, 'InstanceID')?.replace(/^Microsoft:/i, '');
      const n = c.fabric.host(c.hostName)?.migration.networks.find((x) => eqi(x.id, id));
      return n ? networkInstance(n) : undefined;
    },
  };
}


