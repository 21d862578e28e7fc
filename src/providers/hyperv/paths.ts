/**
 * Instance identity of the Hyper-V model: InstanceID formats, key sets, references (CimRef) and
 * the WMI object paths used in Msvm_Error.ErrorSource. Keys follow the MOF (CreationClassName +
 * Name for systems, the four CIM_Service keys for services, InstanceID for setting data and jobs).
 *
 * InstanceID formats (hyperv-model §3.3, §3.4 where known; the rest chosen here):
 *   VSSD                     Microsoft:<VM>
 *   memory                   Microsoft:<VM>\4764334D-E001-4176-82EE-5594EC9B530E
 *   processor                Microsoft:<VM>\B637F346-6A0E-4DEC-AF52-BD70CB80A21D\0
 *   disk drive (RASD)        Microsoft:<VM>\<controller>\0\<n>\D
 *   virtual hard disk (SASD) Microsoft:<VM>\<controller>\0\<n>\L
 *   synthetic adapter        Microsoft:<VM>\<adapter GUID>
 *   switch connection        Microsoft:<VM>\<adapter GUID>\C
 *   VSMS settings            Microsoft:<HOST>
 *   migration settings       Microsoft:<HOST>\MigrationServiceSettings
 *   migration capabilities   Microsoft:Definition\VirtualSystemMigrationCapabilities
 *   migration templates      Microsoft:Definition\VirtualSystemMigrationSettingData\<MigrationType name>
 *   migration networks       Microsoft:<network GUID>
 *   jobs                     <upper-case GUID> (the v1 form; hyperv-model §8.4)
 */
import { formatObjectPath } from '../../cim/objectpath.js';
import type { CimRef } from '../../cim/types.js';
import type { ElementKey, MigrationTypeName, VmRecord } from '../../fabric/model.js';

export const NS = 'root/virtualization/v2';

export const MEMORY_GUID = '4764334D-E001-4176-82EE-5594EC9B530E';
export const PROCESSOR_GUID = 'B637F346-6A0E-4DEC-AF52-BD70CB80A21D';
/** the emulated IDE (generation 1) and SCSI (generation 2) controllers */
export const IDE_CONTROLLER = '83F8638B-8DCA-4152-9EDA-2CA8B33039B4';
export const SCSI_CONTROLLER = 'D422512D-2BF2-4752-809D-7B82B5FCB1B4';

export const VSMS_NAME = 'vmms';
export const MIGRATION_SERVICE_NAME = 'migrationwmi';
export const CAPABILITIES_ID = 'Microsoft:Definition\\VirtualSystemMigrationCapabilities';
export const TEMPLATE_PREFIX = 'Microsoft:Definition\\VirtualSystemMigrationSettingData\\';

export const MIGRATION_TYPES: ReadonlyArray<{ name: MigrationTypeName; value: number }> = [
  { name: 'VirtualSystem', value: 32768 },
  { name: 'Storage', value: 32769 },
  { name: 'Staged', value: 32770 },
  { name: 'VirtualSystemAndStorage', value: 32771 },
  { name: 'StorageDeepCheck', value: 32772 },
];

export function migrationTypeValue(name: MigrationTypeName): number {
  return MIGRATION_TYPES.find((t) => t.name === name)!.value;
}

export function migrationTypeName(value: number): MigrationTypeName | undefined {
  return MIGRATION_TYPES.find((t) => t.value === value)?.name;
}

// ---- InstanceIDs ----------------------------------------------------------------------------

export const vssdId = (vm: string): string => `Microsoft:${vm}`;
export const memoryId = (vm: string): string => `Microsoft:${vm}\\${MEMORY_GUID}`;
export const processorId = (vm: string): string => `Microsoft:${vm}\\${PROCESSOR_GUID}\\0`;
export const controllerOf = (v: VmRecord): string => (v.generation === 1 ? IDE_CONTROLLER : SCSI_CONTROLLER);
export const driveId = (v: VmRecord, vhd: string): string => `Microsoft:${v.guid}\\${controllerOf(v)}\\0\\${vhd}\\D`;
export const sasdId = (v: VmRecord, vhd: string): string => `Microsoft:${v.guid}\\${controllerOf(v)}\\0\\${vhd}\\L`;
export const portId = (vm: string, adapter: string): string => `Microsoft:${vm}\\${adapter}`;
export const connectionId = (vm: string, adapter: string): string => `Microsoft:${vm}\\${adapter}\\C`;
export const vsmsSettingsId = (host: string): string => `Microsoft:${host}`;
export const migrationSettingsId = (host: string): string => `Microsoft:${host}\\MigrationServiceSettings`;
export const networkId = (id: string): string => `Microsoft:${id}`;
export const templateId = (t: MigrationTypeName): string => TEMPLATE_PREFIX + t;

/** What a VM-scoped InstanceID names. */
export type SettingPart =
  | { kind: 'vssd'; vm: string }
  | { kind: 'memory'; vm: string }
  | { kind: 'processor'; vm: string }
  | { kind: 'drive'; vm: string; vhd: string }
  | { kind: 'sasd'; vm: string; vhd: string }
  | { kind: 'port'; vm: string; adapter: string }
  | { kind: 'connection'; vm: string; adapter: string };

const VM_ID_RE = /^Microsoft:([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})(?:\\(.*))?$/;
const GUID_PART = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

export function parseSettingId(id: string): SettingPart | undefined {
  const m = VM_ID_RE.exec(id);
  if (!m) return undefined;
  const vm = m[1].toUpperCase();
  const rest = m[2];
  if (rest === undefined) return { kind: 'vssd', vm };
  const parts = rest.split('\\');
  const first = parts[0].toUpperCase();
  if (parts.length === 1 && first === MEMORY_GUID) return { kind: 'memory', vm };
  if (parts.length === 2 && first === PROCESSOR_GUID && parts[1] === '0') return { kind: 'processor', vm };
  if (parts.length === 4 && (first === IDE_CONTROLLER || first === SCSI_CONTROLLER) && parts[1] === '0') {
    if (parts[3].toUpperCase() === 'D') return { kind: 'drive', vm, vhd: parts[2] };
    if (parts[3].toUpperCase() === 'L') return { kind: 'sasd', vm, vhd: parts[2] };
  }
  if (GUID_PART.test(parts[0])) {
    if (parts.length === 1) return { kind: 'port', vm, adapter: first };
    if (parts.length === 2 && parts[1].toUpperCase() === 'C') return { kind: 'connection', vm, adapter: first };
  }
  return undefined;
}

// ---- references -----------------------------------------------------------------------------

/** `host` set only when the element lives on another host than the one answering. */
function r(className: string, keys: Record<string, string>, host?: string): CimRef {
  return host === undefined ? { className, namespace: NS, keys } : { className, namespace: NS, keys, host };
}

export const systemRef = (name: string, host?: string): CimRef => r('Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: name }, host);
export const plannedRef = (guid: string, host?: string): CimRef =>
  r('Msvm_PlannedComputerSystem', { CreationClassName: 'Msvm_PlannedComputerSystem', Name: guid }, host);
export const vmRef = (v: VmRecord, host?: string): CimRef => (v.planned ? plannedRef(v.guid, host) : systemRef(v.guid, host));
export const vssdRef = (vm: string): CimRef => r('Msvm_VirtualSystemSettingData', { InstanceID: vssdId(vm) });
export const memoryRef = (vm: string): CimRef => r('Msvm_MemorySettingData', { InstanceID: memoryId(vm) });
export const processorRef = (vm: string): CimRef => r('Msvm_ProcessorSettingData', { InstanceID: processorId(vm) });
export const driveRef = (v: VmRecord, vhd: string): CimRef => r('Msvm_ResourceAllocationSettingData', { InstanceID: driveId(v, vhd) });
export const sasdRef = (v: VmRecord, vhd: string): CimRef => r('Msvm_StorageAllocationSettingData', { InstanceID: sasdId(v, vhd) });
export const portRef = (vm: string, adapter: string): CimRef => r('Msvm_SyntheticEthernetPortSettingData', { InstanceID: portId(vm, adapter) });
export const connectionRef = (vm: string, adapter: string): CimRef => r('Msvm_EthernetPortAllocationSettingData', { InstanceID: connectionId(vm, adapter) });
export const keyboardRef = (vm: string): CimRef =>
  r('Msvm_Keyboard', { CreationClassName: 'Msvm_Keyboard', DeviceID: `Microsoft:${vm}\\Keyboard`, SystemCreationClassName: 'Msvm_ComputerSystem', SystemName: vm });
export const switchRef = (id: string): CimRef => r('Msvm_VirtualEthernetSwitch', { CreationClassName: 'Msvm_VirtualEthernetSwitch', Name: id });
export const vsmsRef = (host: string): CimRef =>
  r('Msvm_VirtualSystemManagementService', { CreationClassName: 'Msvm_VirtualSystemManagementService', Name: VSMS_NAME, SystemCreationClassName: 'Msvm_ComputerSystem', SystemName: host });
export const migrationServiceRef = (host: string): CimRef =>
  r('Msvm_VirtualSystemMigrationService', { CreationClassName: 'Msvm_VirtualSystemMigrationService', Name: MIGRATION_SERVICE_NAME, SystemCreationClassName: 'Msvm_ComputerSystem', SystemName: host });
export const vsmsSettingsRef = (host: string): CimRef => r('Msvm_VirtualSystemManagementServiceSettingData', { InstanceID: vsmsSettingsId(host) });
export const migrationSettingsRef = (host: string): CimRef => r('Msvm_VirtualSystemMigrationServiceSettingData', { InstanceID: migrationSettingsId(host) });
export const capabilitiesRef = (): CimRef => r('Msvm_VirtualSystemMigrationCapabilities', { InstanceID: CAPABILITIES_ID });
export const templateRef = (t: MigrationTypeName): CimRef => r('Msvm_VirtualSystemMigrationSettingData', { InstanceID: templateId(t) });
export const networkRef = (id: string): CimRef => r('Msvm_VirtualSystemMigrationNetworkSettingData', { InstanceID: networkId(id) });
export const jobRef = (id: string, migration: boolean, host?: string): CimRef => r(migration ? 'Msvm_MigrationJob' : 'Msvm_ConcreteJob', { InstanceID: id }, host);

/** The WMI object path of an element (`\\HOST\root\virtualization\v2:Class.Key="…"`), for ErrorSource. */
export function elementPath(e: ElementKey, vmOf: (host: string, guid: string) => VmRecord | undefined): string {
  const path = (ref: CimRef, host: string) => formatObjectPath({ ...ref, host: undefined }, { host, namespace: NS });
  switch (e.kind) {
    case 'vm':
      return path(e.planned ? plannedRef(e.vm) : systemRef(e.vm), e.host);
    case 'vssd':
      return path(vssdRef(e.vm), e.host);
    case 'memory':
      return path(memoryRef(e.vm), e.host);
    case 'processor':
      return path(processorRef(e.vm), e.host);
    case 'ethernet-connection':
      return path(connectionRef(e.vm, e.adapter), e.host);
    case 'disk': {
      const v = vmOf(e.host, e.vm);
      return v ? path(sasdRef(v, e.vhd), e.host) : path(vssdRef(e.vm), e.host);
    }
    case 'host':
      return path(systemRef(e.host), e.host);
    case 'migration-service':
      return path(migrationServiceRef(e.host), e.host);
    case 'management-service':
      return path(vsmsRef(e.host), e.host);
  }
}
