/**
 * A VM's settings (hyperv-model §3.3–§3.6): Msvm_VirtualSystemSettingData and its resource
 * allocation settings — memory, processor, disk drives, virtual hard disks (SASD), synthetic
 * Ethernet ports and their switch connections — for realized and planned VMs alike. Also the
 * devices libvirt reads (Msvm_Keyboard) and the host's virtual switches.
 */
import { formatObjectPath } from '../../cim/objectpath.js';
import type { MethodResult } from '../../cim/provider.js';
import type { CimInstance, CimRef } from '../../cim/types.js';
import type { VmRecord } from '../../fabric/model.js';
import { eqi, keyText, type HostContext, type Provider } from './context.js';
import {
  connectionId, driveId, driveRef, memoryId, NS, parseSettingId, portId, portRef, processorId, sasdId, switchRef, vssdId,
  type SettingPart,
} from './paths.js';

const STARTUP: Readonly<Record<VmRecord['startupAction'], number>> = { none: 2, 'restart-if-active': 3, always: 4 };
const SHUTDOWN: Readonly<Record<VmRecord['shutdownAction'], number>> = { 'turn-off': 2, save: 3, shutdown: 4 };

export function vssdInstance(c: HostContext, v: VmRecord): CimInstance {
  return {
    className: 'Msvm_VirtualSystemSettingData',
    namespace: NS,
    props: {
      InstanceID: vssdId(v.guid),
      Caption: 'Virtual Machine Settings',
      Description: 'Active settings for the virtual machine',
      ElementName: v.name,
      VirtualSystemIdentifier: v.guid,
      VirtualSystemType: v.planned ? 'Microsoft:Hyper-V:System:Planned' : 'Microsoft:Hyper-V:System:Realized',
      VirtualSystemSubType: `Microsoft:Hyper-V:SubType:${v.generation}`,
      Version: v.configurationVersion,
      Notes: v.notes ? [v.notes] : [],
      CreationTime: c.ts(v.createdAt),
      ConfigurationID: v.guid,
      ConfigurationDataRoot: v.dataRoot,
      ConfigurationFile: `Virtual Machines\\${v.guid}.vmcx`,
      SnapshotDataRoot: v.dataRoot,
      SuspendDataRoot: v.dataRoot,
      SwapFileDataRoot: v.dataRoot,
      LogDataRoot: v.dataRoot,
      GuestStateDataRoot: v.dataRoot,
      GuestStateFile: `Virtual Machines\\${v.guid}.vmgs`,
      AutomaticStartupAction: STARTUP[v.startupAction],
      AutomaticStartupActionDelay: null,
      AutomaticStartupActionSequenceNumber: 0,
      AutomaticShutdownAction: SHUTDOWN[v.shutdownAction],
      AutomaticRecoveryAction: 3,
      RecoveryFile: null,
      Architecture: 'x64',
      BootOrder: v.generation === 1 ? [1, 2, 3, 0] : null,
      IsSaved: v.state === 'saved',
      Parent: null,
      AllowReducedFcRedundancy: false,
      SecureBootEnabled: v.generation === 2,
      BIOSNumLock: false,
      BIOSGUID: `{${v.guid}}`,
      IncrementalBackupEnabled: false,
      VirtualNumaEnabled: true,
      UserSnapshotType: 3,
      AutomaticSnapshotsEnabled: false,
      LockOnDisconnect: false,
      PauseAfterBootFailure: false,
    },
  };
}

function rasdBase(instanceId: string, caption: string, type: number, subType: string): Record<string, CimInstance['props'][string]> {
  return {
    InstanceID: instanceId,
    Caption: caption,
    Description: `Microsoft Virtual Machine ${caption}`,
    ElementName: caption,
    ResourceType: type,
    OtherResourceType: null,
    ResourceSubType: subType,
    PoolID: '',
    ConsumerVisibility: 3,
    HostResource: null,
    AutomaticAllocation: true,
    AutomaticDeallocation: true,
    Parent: null,
    Connection: null,
    Address: null,
    MappingBehavior: null,
    AddressOnParent: null,
  };
}

export function memoryInstance(v: VmRecord): CimInstance {
  return {
    className: 'Msvm_MemorySettingData',
    namespace: NS,
    // Object.assign, not a spread: V8 builds a spread followed by many properties ~40x slower
    props: Object.assign(rasdBase(memoryId(v.guid), 'Memory', 4, 'Microsoft:Hyper-V:Memory'), {
      AllocationUnits: 'byte * 2^20',
      VirtualQuantityUnits: 'byte * 2^20',
      VirtualQuantity: v.memoryMiB,
      Reservation: v.memoryMiB,
      Limit: v.memoryMiB,
      Weight: 5000,
      DynamicMemoryEnabled: false,
      TargetMemoryBuffer: 20,
      IsVirtualized: true,
      SwapFilesInUse: false,
      MaxMemoryBlocksPerNumaNode: 262144,
      HugePagesEnabled: false,
      SgxEnabled: false,
      SgxSize: 0,
    }),
  };
}

export function processorInstance(v: VmRecord): CimInstance {
  return {
    className: 'Msvm_ProcessorSettingData',
    namespace: NS,
    // Object.assign, not a spread: V8 builds a spread followed by many properties ~40x slower
    props: Object.assign(rasdBase(processorId(v.guid), 'Processor', 3, 'Microsoft:Hyper-V:Processor'), {
      AllocationUnits: 'percent / 1000',
      VirtualQuantityUnits: 'count',
      VirtualQuantity: v.cpus,
      Reservation: 0,
      Limit: 100000,
      Weight: 100,
      LimitCPUID: false,
      LimitProcessorFeatures: v.processorCompatibility,
      MaxProcessorsPerNumaNode: 64,
      MaxNumaNodesPerSocket: 1,
      HwThreadsPerCore: 0,
      EnableHostResourceProtection: false,
      ExposeVirtualizationExtensions: false,
      HideHypervisorPresent: false,
      CpuGroupId: '00000000-0000-0000-0000-000000000000',
    }),
  };
}

function pathOf(c: HostContext, ref: CimRef): string {
  return formatObjectPath({ ...ref, host: undefined }, { host: c.hostName, namespace: NS });
}

export function driveInstance(c: HostContext, v: VmRecord, vhd: string, index: number): CimInstance {
  return {
    className: 'Msvm_ResourceAllocationSettingData',
    namespace: NS,
    // Object.assign, not a spread: V8 builds a spread followed by many properties ~40x slower
    props: Object.assign(rasdBase(driveId(v, vhd), 'Hard Drive', 17, 'Microsoft:Hyper-V:Synthetic Disk Drive'), {
      Address: '0',
      AddressOnParent: String(index),
      AllocationUnits: 'count',
      VirtualQuantityUnits: 'count',
      VirtualQuantity: 1,
      Reservation: 0,
      Limit: 1,
      Weight: 0,
      VirtualSystemIdentifiers: null,
      TargetVtl: 0,
    }),
  };
}

export function sasdInstance(c: HostContext, v: VmRecord, vhd: string, path: string): CimInstance {
  return {
    className: 'Msvm_StorageAllocationSettingData',
    namespace: NS,
    // Object.assign, not a spread: V8 builds a spread followed by many properties ~40x slower
    props: Object.assign(rasdBase(sasdId(v, vhd), 'Hard Disk Image', 31, 'Microsoft:Hyper-V:Virtual Hard Disk'), {
      HostResource: [path],
      Parent: pathOf(c, driveRef(v, vhd)),
      AllocationUnits: 'count',
      VirtualQuantityUnits: 'count(fixed size block)',
      VirtualQuantity: 1,
      Reservation: 0,
      Limit: 1,
      Weight: 0,
      Access: 3,
      VirtualResourceBlockSize: 1,
      HostResourceBlockSize: null,
      HostExtentStartingAddress: null,
      HostExtentName: null,
      HostExtentNameFormat: null,
      OtherHostExtentNameFormat: null,
      HostExtentNameNamespace: null,
      OtherHostExtentNameNamespace: null,
      StorageQoSPolicyID: '00000000-0000-0000-0000-000000000000',
      IOPSLimit: 0,
      IOPSReservation: 0,
      IOPSAllocationUnits: 'count(fixed size block)',
      PersistentReservationsSupported: false,
      CachingMode: 2,
      SnapshotId: '',
      IgnoreFlushes: false,
      WriteHardeningMethod: 0,
    }),
  };
}

export function portInstance(v: VmRecord, a: VmRecord['adapters'][number]): CimInstance {
  return {
    className: 'Msvm_SyntheticEthernetPortSettingData',
    namespace: NS,
    // Object.assign, not a spread: V8 builds a spread followed by many properties ~40x slower
    props: Object.assign(rasdBase(portId(v.guid, a.id), 'Virtual Ethernet Port', 10, 'Microsoft:Hyper-V:Synthetic Ethernet Port'), {
      ElementName: a.name,
      Address: a.mac,
      AllocationUnits: 'count',
      VirtualQuantityUnits: 'count',
      VirtualQuantity: 1,
      Reservation: 1,
      Limit: 1,
      Weight: 0,
      DesiredVLANEndpointMode: null,
      OtherEndpointMode: null,
      VirtualSystemIdentifiers: [`{${a.id}}`],
      DeviceNamingEnabled: false,
      AllowPacketDirect: false,
      StaticMacAddress: true,
      ClusterMonitored: true,
    }),
  };
}

export function connectionInstance(c: HostContext, v: VmRecord, a: VmRecord['adapters'][number]): CimInstance {
  const sw = a.switch !== null ? c.fabric.host(c.hostName)?.switches.find((s) => eqi(s.name, a.switch!)) : undefined;
  return {
    className: 'Msvm_EthernetPortAllocationSettingData',
    namespace: NS,
    // Object.assign, not a spread: V8 builds a spread followed by many properties ~40x slower
    props: Object.assign(rasdBase(connectionId(v.guid, a.id), 'Ethernet Switch Port Settings', 33, 'Microsoft:Hyper-V:Ethernet Connection'), {
      ElementName: 'Dynamic Ethernet Switch Port',
      Parent: pathOf(c, portRef(v.guid, a.id)),
      HostResource: sw ? [pathOf(c, switchRef(sw.id))] : [],
      AllocationUnits: 'count',
      VirtualQuantityUnits: 'count',
      VirtualQuantity: 1,
      Reservation: 1,
      Limit: 1,
      Weight: 0,
      DesiredVLANEndpointMode: null,
      OtherEndpointMode: null,
      EnabledState: sw ? 2 : 3,
      LastKnownSwitchName: a.switch ?? '',
      RequiredFeatures: null,
      RequiredFeatureHints: null,
      TestReplicaPoolID: null,
      TestReplicaSwitchName: null,
    }),
  };
}

/** Every setting part of a VM, as [part, instance builder] pairs in Windows-like order. */
export function* settingParts(v: VmRecord): Iterable<SettingPart> {
  yield { kind: 'vssd', vm: v.guid };
  yield { kind: 'memory', vm: v.guid };
  yield { kind: 'processor', vm: v.guid };
  for (const d of v.vhds) {
    yield { kind: 'drive', vm: v.guid, vhd: d.id };
    yield { kind: 'sasd', vm: v.guid, vhd: d.id };
  }
  for (const a of v.adapters) {
    yield { kind: 'port', vm: v.guid, adapter: a.id };
    yield { kind: 'connection', vm: v.guid, adapter: a.id };
  }
}

/** The instance for a part of a VM of this host, or undefined when it does not exist. */
export function partInstance(c: HostContext, p: SettingPart): CimInstance | undefined {
  const v = c.anyVm(p.vm);
  if (!v) return undefined;
  switch (p.kind) {
    case 'vssd':
      return vssdInstance(c, v);
    case 'memory':
      return memoryInstance(v);
    case 'processor':
      return processorInstance(v);
    case 'drive': {
      const i = v.vhds.findIndex((d) => d.id === p.vhd);
      return i < 0 ? undefined : driveInstance(c, v, p.vhd, i);
    }
    case 'sasd': {
      const d = v.vhds.find((x) => x.id === p.vhd);
      return d ? sasdInstance(c, v, d.id, d.path) : undefined;
    }
    case 'port': {
      const a = v.adapters.find((x) => eqi(x.id, p.adapter));
      return a ? portInstance(v, a) : undefined;
    }
    case 'connection': {
      const a = v.adapters.find((x) => eqi(x.id, p.adapter));
      return a ? connectionInstance(c, v, a) : undefined;
    }
  }
}

const CLASS_OF: Readonly<Record<SettingPart['kind'], string>> = {
  vssd: 'msvm_virtualsystemsettingdata',
  memory: 'msvm_memorysettingdata',
  processor: 'msvm_processorsettingdata',
  drive: 'msvm_resourceallocationsettingdata',
  sasd: 'msvm_storageallocationsettingdata',
  port: 'msvm_syntheticethernetportsettingdata',
  connection: 'msvm_ethernetportallocationsettingdata',
};

/** One provider per setting class: enumerates the matching parts of every VM of the host. */
export function settingProvider(c: HostContext, kind: SettingPart['kind']): Provider {
  return {
    *enumerate() {
      for (const v of c.allVms()) {
        for (const p of settingParts(v)) {
          if (p.kind !== kind) continue;
          const inst = partInstance(c, p);
          if (inst) yield inst;
        }
      }
    },
    get(_ctx, _cls, keys) {
      const id = keyText(keys, 'InstanceID');
      const p = id ? parseSettingId(id) : undefined;
      if (!p || p.kind !== kind) return undefined;
      return partInstance(c, p);
    },
  };
}

export const SETTING_CLASSES = CLASS_OF;

// ---- devices and switches -----------------------------------------------------------------------

export function keyboardInstance(v: VmRecord): CimInstance {
  return {
    className: 'Msvm_Keyboard',
    namespace: NS,
    props: {
      CreationClassName: 'Msvm_Keyboard',
      DeviceID: `Microsoft:${v.guid}\\Keyboard`,
      SystemCreationClassName: 'Msvm_ComputerSystem',
      SystemName: v.guid,
      Caption: 'Keyboard',
      Description: 'Microsoft Virtual Keyboard',
      ElementName: 'Keyboard',
      Name: 'Keyboard',
      EnabledState: v.state === 'off' || v.state === 'saved' ? 3 : 2,
      RequestedState: 12,
      EnabledDefault: 2,
      HealthState: 5,
      OperationalStatus: [2],
      StatusDescriptions: ['OK'],
      IsLocked: false,
      NumberOfFunctionKeys: 12,
      Layout: null,
      Password: null,
      UnicodeSupported: true,
    },
  };
}

export function keyboardProvider(c: HostContext): Provider {
  return {
    *enumerate() {
      for (const v of c.fabric.vms(c.hostName)) yield keyboardInstance(v);
    },
    get(_ctx, _cls, keys) {
      const sys = keyText(keys, 'SystemName');
      const v = sys ? c.vm(sys) : undefined;
      return v ? keyboardInstance(v) : undefined;
    },
    invoke(_ctx, _cls, method, target, args): MethodResult {
      const v = target ? c.vm(String(target.props.SystemName)) : undefined;
      if (!v) return { returnValue: 32773 };
      if (v.state !== 'running') return { returnValue: 32775 };
      if (method.name === 'IsKeyPressed') return { returnValue: 0, out: { KeyState: false } };
      void args;
      return { returnValue: 0 };
    },
  };
}

export function switchProvider(c: HostContext): Provider {
  const inst = (s: { id: string; name: string; type: string }): CimInstance => ({
    className: 'Msvm_VirtualEthernetSwitch',
    namespace: NS,
    props: {
      CreationClassName: 'Msvm_VirtualEthernetSwitch',
      Name: s.id,
      ElementName: s.name,
      Caption: 'Virtual Switch',
      Description: `Microsoft Virtual Switch (${s.type})`,
      EnabledState: 2,
      RequestedState: 12,
      EnabledDefault: 2,
      HealthState: 5,
      OperationalStatus: [2],
      StatusDescriptions: ['OK'],
      MaxVMQOffloads: 0,
      MaxChimneyOffloads: 0,
    },
  });
  return {
    *enumerate() {
      const h = c.fabric.host(c.hostName);
      if (h) for (const s of h.switches) yield inst(s);
    },
    get(_ctx, _cls, keys) {
      const name = keyText(keys, 'Name');
      const s = c.fabric.host(c.hostName)?.switches.find((x) => eqi(x.id, name));
      return s ? inst(s) : undefined;
    },
  };
}
