/**
 * root\cimv2 as libvirt's Hyper-V driver reads it from a host (hyperv_driver.c): the connection
 * check and capabilities read Win32_OperatingSystem.Version and Win32_ComputerSystemProduct.UUID,
 * `virsh hostname` reads Win32_ComputerSystem.DNSHostName, and nodeGetInfo reads
 * Win32_ComputerSystem (Name, TotalPhysicalMemory) and its processors through
 * Win32_ComputerSystemProcessor (Name, MaxClockSpeed, NumberOfCores, NumberOfLogicalProcessors;
 * one Win32_Processor per socket).
 *
 * Values come from the host record of the world file; where Windows reports hardware facts the
 * world does not hold, the choice is fixed and documented here:
 * - sockets: 2 when the host has 16 or more logical processors (evenly split), else 1; each
 *   socket's cores = its logical processors / 2 (SMT), or all of them when odd;
 * - TotalPhysicalMemory = the world's memoryMiB (RAM for VMs) + 4 GiB kept by the root partition;
 * - clock speed from the `@ x.xxGHz` suffix of the processor model (2000 MHz when absent);
 * - the product UUID is a stable GUID derived from the host name.
 */
import type { CimInstance, CimRef } from '../../cim/types.js';
import { timestamp } from '../../cim/values.js';
import { stableGuid } from '../../fabric/ids.js';
import type { HostRecord } from '../../fabric/model.js';
import { ROOT_PARTITION_RESERVE_MIB } from '../../fabric/world.js';
import { buildOf, VERSION_MATRIX } from '../../fabric/versions.js';
import { keyText, type HostContext, type Provider } from './context.js';

export const CIMV2 = 'root/cimv2';
/** memory the root partition keeps for itself (not available to VMs) */

interface Socket {
  readonly deviceId: string;
  readonly logical: number;
  readonly cores: number;
}

function sockets(h: HostRecord): Socket[] {
  const lp = Math.max(1, h.processor.logicalProcessors);
  const n = lp >= 16 && lp % 2 === 0 ? 2 : 1;
  const per = lp / n;
  const cores = per % 2 === 0 ? per / 2 : per;
  return Array.from({ length: n }, (_, i) => ({ deviceId: `CPU${i}`, logical: per, cores }));
}

function clockMHz(model: string): number {
  const m = /@\s*([\d.]+)\s*GHz/i.exec(model);
  return m ? Math.round(Number(m[1]) * 1000) : 2000;
}

function release(osVersion: string): string {
  const build = buildOf(osVersion);
  let name = VERSION_MATRIX[0].release;
  for (const r of VERSION_MATRIX) if (r.build <= build) name = r.release;
  return `Microsoft ${name}${name.startsWith('Windows Server') ? ' Datacenter' : ' Pro'}`;
}

function domainOf(h: HostRecord): { host: string; domain: string | undefined } {
  const dot = h.fqdn.indexOf('.');
  return dot > 0 ? { host: h.fqdn.slice(0, dot), domain: h.fqdn.slice(dot + 1) } : { host: h.fqdn || h.name, domain: undefined };
}

const systemRef = (h: HostRecord): CimRef => ({ className: 'Win32_ComputerSystem', namespace: CIMV2, keys: { Name: h.name } });
const processorRef = (s: Socket): CimRef => ({ className: 'Win32_Processor', namespace: CIMV2, keys: { DeviceID: s.deviceId } });

export function computerSystem(h: HostRecord): CimInstance {
  const { host, domain } = domainOf(h);
  return {
    className: 'Win32_ComputerSystem',
    namespace: CIMV2,
    props: {
      AdminPasswordStatus: 3,
      AutomaticManagedPagefile: true,
      AutomaticResetBootOption: true,
      AutomaticResetCapability: true,
      BootOptionOnLimit: null,
      BootOptionOnWatchDog: null,
      BootROMSupported: true,
      BootupState: 'Normal boot',
      Caption: h.name,
      ChassisBootupState: 3,
      CreationClassName: 'Win32_ComputerSystem',
      CurrentTimeZone: 0,
      DaylightInEffect: false,
      Description: 'AT/AT COMPATIBLE',
      DNSHostName: host,
      Domain: domain ?? 'WORKGROUP',
      DomainRole: domain ? 3 : 2,
      EnableDaylightSavingsTime: true,
      FrontPanelResetStatus: 3,
      HypervisorPresent: true,
      InfraredSupported: false,
      KeyboardPasswordStatus: 3,
      Manufacturer: 'vmms-emu',
      Model: 'Emulated Hyper-V host',
      Name: h.name,
      NetworkServerModeEnabled: true,
      NumberOfLogicalProcessors: h.processor.logicalProcessors,
      NumberOfProcessors: sockets(h).length,
      PartOfDomain: domain !== undefined,
      PauseAfterReset: -1,
      PCSystemType: 4,
      PCSystemTypeEx: 4,
      PowerOnPasswordStatus: 3,
      PowerState: 0,
      PowerSupplyState: 3,
      PrimaryOwnerName: 'Windows User',
      ResetCapability: 1,
      ResetCount: -1,
      ResetLimit: -1,
      Roles: ['LM_Workstation', 'LM_Server', 'NT', 'Server_NT'],
      Status: 'OK',
      SystemType: 'x64-based PC',
      ThermalState: 3,
      TotalPhysicalMemory: (h.memoryMiB + ROOT_PARTITION_RESERVE_MIB) * 1024 * 1024,
      WakeUpType: 6,
      Workgroup: domain ? null : 'WORKGROUP',
    },
  };
}

function processor(h: HostRecord, s: Socket, index: number): CimInstance {
  const intel = /intel/i.test(h.processor.vendor);
  const mhz = clockMHz(h.processor.model);
  return {
    className: 'Win32_Processor',
    namespace: CIMV2,
    props: {
      AddressWidth: 64,
      Architecture: 9,
      Availability: 3,
      Caption: intel ? 'Intel64 Family 6 Model 85 Stepping 7' : 'AMD64 Family 23 Model 49 Stepping 0',
      CpuStatus: 1,
      CreationClassName: 'Win32_Processor',
      CurrentClockSpeed: mhz,
      DataWidth: 64,
      Description: intel ? 'Intel64 Family 6 Model 85 Stepping 7' : 'AMD64 Family 23 Model 49 Stepping 0',
      DeviceID: s.deviceId,
      Family: intel ? 179 : 107,
      L2CacheSize: s.cores * 1024,
      L3CacheSize: s.cores * 1408,
      Level: 6,
      LoadPercentage: 1,
      Manufacturer: h.processor.vendor,
      MaxClockSpeed: mhz,
      Name: h.processor.model,
      NumberOfCores: s.cores,
      NumberOfEnabledCore: s.cores,
      NumberOfLogicalProcessors: s.logical,
      PowerManagementSupported: false,
      ProcessorId: intel ? 'BFEBFBFF00050657' : '178BFBFF00830F10',
      ProcessorType: 3,
      Revision: intel ? 21767 : 12544,
      Role: 'CPU',
      SocketDesignation: `CPU${index + 1}`,
      Status: 'OK',
      StatusInfo: 3,
      Stepping: null,
      SystemCreationClassName: 'Win32_ComputerSystem',
      SystemName: h.name,
      ThreadCount: s.logical,
      UpgradeMethod: 1,
      Version: null,
      VirtualizationFirmwareEnabled: false,
      VMMonitorModeExtensions: false,
      SecondLevelAddressTranslationExtensions: false,
    },
  };
}

export function operatingSystem(c: HostContext, h: HostRecord): CimInstance {
  const caption = release(h.osVersion);
  const totalKiB = (h.memoryMiB + ROOT_PARTITION_RESERVE_MIB) * 1024;
  const freeKiB = Math.max(0, c.fabric.freeMemoryMiB(h.name)) * 1024;
  return {
    className: 'Win32_OperatingSystem',
    namespace: CIMV2,
    props: {
      BootDevice: '\\Device\\HarddiskVolume1',
      BuildNumber: String(buildOf(h.osVersion)),
      BuildType: 'Multiprocessor Free',
      Caption: caption,
      CodeSet: '1252',
      CountryCode: '1',
      CreationClassName: 'Win32_OperatingSystem',
      CSCreationClassName: 'Win32_ComputerSystem',
      CSDVersion: null,
      CSName: h.name,
      CurrentTimeZone: 0,
      DataExecutionPrevention_32BitApplications: true,
      DataExecutionPrevention_Available: true,
      DataExecutionPrevention_Drivers: true,
      DataExecutionPrevention_SupportPolicy: 3,
      Debug: false,
      Description: '',
      Distributed: false,
      EncryptionLevel: 256,
      ForegroundApplicationBoost: 2,
      FreePhysicalMemory: freeKiB,
      FreeSpaceInPagingFiles: 4 * 1024 * 1024,
      FreeVirtualMemory: freeKiB + 4 * 1024 * 1024,
      InstallDate: c.ts(h.installedAt),
      LastBootUpTime: c.ts(h.installedAt),
      LocalDateTime: timestamp(c.now()),
      Locale: '0409',
      Manufacturer: 'Microsoft Corporation',
      MaxNumberOfProcesses: 4294967295,
      MaxProcessMemorySize: 137438953344,
      MUILanguages: ['en-US'],
      Name: `${caption}|C:\\Windows|\\Device\\Harddisk0\\Partition2`,
      NumberOfLicensedUsers: 0,
      NumberOfProcesses: 120,
      NumberOfUsers: 1,
      OperatingSystemSKU: 8,
      Organization: '',
      OSArchitecture: '64-bit',
      OSLanguage: 1033,
      OSProductSuite: 400,
      OSType: 18,
      PortableOperatingSystem: false,
      Primary: true,
      ProductType: 3,
      RegisteredUser: 'Windows User',
      SerialNumber: '00454-40000-00001-AA000',
      ServicePackMajorVersion: 0,
      ServicePackMinorVersion: 0,
      SizeStoredInPagingFiles: 4 * 1024 * 1024,
      Status: 'OK',
      SuiteMask: 400,
      SystemDevice: '\\Device\\HarddiskVolume2',
      SystemDirectory: 'C:\\Windows\\system32',
      SystemDrive: 'C:',
      TotalSwapSpaceSize: null,
      TotalVirtualMemorySize: totalKiB + 4 * 1024 * 1024,
      TotalVisibleMemorySize: totalKiB,
      Version: h.osVersion,
      WindowsDirectory: 'C:\\Windows',
    },
  };
}

export function computerSystemProduct(h: HostRecord): CimInstance {
  return {
    className: 'Win32_ComputerSystemProduct',
    namespace: CIMV2,
    props: {
      Caption: 'Computer System Product',
      Description: 'Computer System Product',
      IdentifyingNumber: `VMMS-EMU-${h.name.toUpperCase()}`,
      Name: 'Emulated Hyper-V host',
      SKUNumber: null,
      UUID: stableGuid('win32-product', h.name),
      Vendor: 'vmms-emu',
      Version: '1.0',
    },
  };
}

function association(h: HostRecord, s: Socket): CimInstance {
  return {
    className: 'Win32_ComputerSystemProcessor',
    namespace: CIMV2,
    props: { GroupComponent: systemRef(h), PartComponent: processorRef(s) },
  };
}

/** The root\cimv2 providers of one host, keyed by lower-case class name. */
export function win32Providers(c: HostContext): Array<[string, Provider]> {
  const one = (make: (h: HostRecord) => CimInstance): Provider => ({
    *enumerate() {
      yield make(c.host());
    },
  });
  return [
    ['win32_computersystem', one(computerSystem)],
    ['win32_operatingsystem', one((h) => operatingSystem(c, h))],
    ['win32_computersystemproduct', one(computerSystemProduct)],
    ['win32_processor', {
      *enumerate() {
        const h = c.host();
        let i = 0;
        for (const s of sockets(h)) yield processor(h, s, i++);
      },
    }],
    ['win32_computersystemprocessor', {
      *enumerate() {
        const h = c.host();
        for (const s of sockets(h)) yield association(h, s);
      },
      *referencesTo(_ctx, _cls, ref) {
        const h = c.host();
        const cls = ref.className.toLowerCase();
        for (const s of sockets(h)) {
          if (cls === 'win32_computersystem' && keyText(ref.keys, 'Name')?.toLowerCase() === h.name.toLowerCase()) yield association(h, s);
          else if (cls === 'win32_processor' && keyText(ref.keys, 'DeviceID')?.toLowerCase() === s.deviceId.toLowerCase()) yield association(h, s);
        }
      },
    }],
  ];
}
