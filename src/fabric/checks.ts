/**
 * The checks a migration makes once it talks to the destination (they fail the job, not the call):
 * reachability, the destination's migration settings, authentication, and the compatibility of the
 * VM with the destination (configuration version, processor, memory, identifier, virtual switches).
 * Pure functions over fabric records; the engine decides when to run them.
 */
import { errorOf, type CheckFailure } from './failures.js';
import type { HostRecord, MigrationTypeName, VmRecord } from './model.js';
import { buildOf, supportedVersions, supportsVersion, VERSION_MATRIX } from './versions.js';

export interface DestinationView {
  readonly host: HostRecord;
  /** a realized VM with this GUID on the destination */
  hasVm(guid: string): boolean;
  /** a planned VM with this GUID on the destination */
  hasPlanned(guid: string): boolean;
  /** memory free for one more resident VM, MiB (excluding what `excludeJob` reserved) */
  freeMemoryMiB(): number;
}

const CONNECT_PREFIX = (host: string) =>
  `The Virtual Machine Management Service failed to establish a connection for a Virtual Machine migration with host '${host}': `;

/** Destination does not resolve: the connection attempt fails with WSAHOST_NOT_FOUND. */
export function unknownDestination(vm: VmRecord, text: string): CheckFailure {
  return {
    reason: 'destination-unknown',
    error: errorOf('destination-unknown', CONNECT_PREFIX(text) + 'No such host is known. (0x80072AF9)', [text, '0x80072AF9'],
      { kind: 'vm', host: vm.host, vm: vm.guid }),
  };
}

export function unreachableDestination(vm: VmRecord, host: string, mode: 'refused' | 'timeout'): CheckFailure {
  const text =
    mode === 'refused'
      ? 'No connection could be made because the target machine actively refused it. (0x8007274D)'
      : 'A connection attempt failed because the connected party did not properly respond after a period of time, or established connection failed because connected host has failed to respond. (0x8007274C)';
  const code = mode === 'refused' ? '0x8007274D' : '0x8007274C';
  return {
    reason: 'destination-unreachable',
    error: { ...errorOf('destination-unreachable', CONNECT_PREFIX(host) + text, [host, code], { kind: 'vm', host: vm.host, vm: vm.guid }),
      probableCause: mode === 'timeout' ? 111 : 5 },
  };
}

/**
 * The checks of a migration (or a check) of `vm` from its host to `dest`, in the order the real
 * service meets them: connection problems stop the list; compatibility problems are all reported.
 */
export function destinationChecks(
  vm: VmRecord,
  source: HostRecord,
  dest: DestinationView,
  type: MigrationTypeName,
  opts: { plannedVm?: string; reachability?: 'reachable' | 'refused' | 'timeout' } = {},
): CheckFailure[] {
  const d = dest.host;
  const reach = opts.reachability ?? d.reachability;
  if (reach !== 'reachable') return [unreachableDestination(vm, d.name, reach)];
  if (!d.migration.enabled) {
    return [{
      reason: 'destination-migration-disabled',
      error: errorOf('destination-migration-disabled',
        CONNECT_PREFIX(d.name) + 'No connection could be made because the target machine actively refused it. (0x8007274D) ' +
        `Virtual machine migration is not enabled on host '${d.name}': the Virtual Machine Management Service disabled the listener for Virtual Machine migration connections.`,
        [d.name, '0x8007274D'], { kind: 'migration-service', host: d.name }),
    }];
  }
  if (source.migration.authentication !== d.migration.authentication) {
    return [{
      reason: 'authentication-mismatch',
      error: errorOf('authentication-mismatch',
        `Failed to establish a connection with host '${d.name}': No credentials are available in the security package (0x8009030E). ` +
        `The source uses ${authName(source.migration.authentication)} and the destination accepts ${authName(d.migration.authentication)}.`,
        [d.name, '0x8009030E', authName(source.migration.authentication), authName(d.migration.authentication)],
        { kind: 'migration-service', host: source.name }),
    }];
  }

  const out: CheckFailure[] = [];
  const planned = opts.plannedVm?.toUpperCase();
  if (dest.hasVm(vm.guid) || (dest.hasPlanned(vm.guid) && planned !== vm.guid)) {
    out.push({
      reason: 'vm-exists-on-destination',
      error: errorOf('vm-exists-on-destination',
        `The virtual machine '${vm.name}' cannot be created at the migration destination '${d.name}': a virtual machine with the identifier ${vm.guid} already exists there.`,
        [vm.name, d.name, vm.guid], { kind: 'vm', host: d.name, vm: vm.guid, planned: !dest.hasVm(vm.guid) }),
    });
  }
  if (type === 'Staged') return out;

  if (planned !== undefined && !dest.hasPlanned(planned)) {
    out.push({
      reason: 'planned-vm-not-found',
      error: errorOf('planned-vm-not-found', `The planned virtual machine '${planned}' was not found at the migration destination '${d.name}'.`,
        [planned, d.name], { kind: 'migration-service', host: d.name }),
    });
  }
  out.push(...compatibilityChecks(vm, d, dest, planned === vm.guid && dest.hasPlanned(vm.guid) ? d.name : vm.host));
  return out;
}

/**
 * Can `host` run `vm`? Configuration version, processor and (for a resident VM) memory, then the
 * virtual switches of its adapters. `sourceHostForErrors` is where the offending settings live
 * (the VM's host, or the destination when checking a planned VM there).
 */
export function compatibilityChecks(vm: VmRecord, host: HostRecord, dest: Pick<DestinationView, 'freeMemoryMiB'> | undefined, errorHost = vm.host): CheckFailure[] {
  const out: CheckFailure[] = [];
  if (!supportsVersion(host.osVersion, vm.configurationVersion)) out.push(versionFailure(vm, host, errorHost));
  out.push(...processorChecks(vm, host, errorHost));
  if (dest && (vm.state === 'running' || vm.state === 'paused')) {
    const free = dest.freeMemoryMiB();
    if (free < vm.memoryMiB) {
      out.push({
        reason: 'insufficient-memory',
        error: errorOf('insufficient-memory',
          `'${vm.name}' could not initialize memory: Ran out of memory (0x8007000E). Failed to create partition at '${host.name}': Insufficient system resources exist to complete the requested service. (0x800705AA) ` +
          `The virtual machine needs ${vm.memoryMiB} MB; ${Math.max(0, free)} MB are free.`,
          [vm.name, host.name, String(vm.memoryMiB), String(Math.max(0, free))], { kind: 'memory', host: errorHost, vm: vm.guid }),
      });
    }
  }
  const switches = new Set(host.switches.map((s) => s.name.toLowerCase()));
  for (const a of vm.adapters) {
    if (a.switch === null || switches.has(a.switch.toLowerCase())) continue;
    out.push({
      reason: 'switch-missing',
      error: errorOf('switch-missing', `Could not find Ethernet switch '${a.switch}'.`, [a.switch],
        { kind: 'ethernet-connection', host: errorHost, vm: vm.guid, adapter: a.id }),
    });
  }
  return out;
}

export function versionFailure(vm: VmRecord, host: HostRecord, errorHost = vm.host): CheckFailure {
  const release = releaseOf(host.osVersion);
  return {
    reason: 'configuration-version-unsupported',
    error: errorOf('configuration-version-unsupported',
      `The virtual machine '${vm.name}' uses configuration version ${vm.configurationVersion}, which host '${host.name}' (${release}) does not support. ` +
      `Supported versions: ${supportedVersions(host.osVersion).join(', ')}.`,
      [vm.name, vm.configurationVersion, host.name], { kind: 'vssd', host: errorHost, vm: vm.guid }),
  };
}

/** Processor compatibility: vendor always, features unless compatibility mode; only for a VM with guest state. */
export function processorChecks(vm: VmRecord, host: HostRecord, errorHost = vm.host): CheckFailure[] {
  if (!vm.cpu) return [];
  return processorMismatch(vm.name, vm.cpu, vm.processorCompatibility, host).map((message) => ({
    reason: 'processor-incompatible' as const,
    error: errorOf('processor-incompatible', message, [vm.name, host.name], { kind: 'processor', host: errorHost, vm: vm.guid }),
  }));
}

export function processorMismatch(
  name: string,
  cpu: { vendor: string; features: readonly string[] },
  compatibility: boolean,
  host: HostRecord,
): string[] {
  if (cpu.vendor.toLowerCase() !== host.processor.vendor.toLowerCase()) {
    return [
      'The virtual machine cannot be moved to the destination computer. The hardware on the destination computer is not compatible with the hardware requirements of this virtual machine. ' +
        `(processor vendor ${cpu.vendor}; host '${host.name}' has ${host.processor.vendor})`,
    ];
  }
  if (compatibility) return [];
  const have = new Set(host.processor.features.map((f) => f.toLowerCase()));
  const missing = cpu.features.filter((f) => !have.has(f.toLowerCase()));
  if (missing.length === 0) return [];
  return [`Virtual machine '${name}' is using processor-specific features not supported on host '${host.name}'. (missing: ${missing.join(', ')})`];
}

function authName(a: 'credssp' | 'kerberos'): string {
  return a === 'credssp' ? 'CredSSP' : 'Kerberos';
}

function releaseOf(osVersion: string): string {
  const b = buildOf(osVersion);
  let r = 'build ' + String(b);
  for (const row of VERSION_MATRIX) if (row.build === b) r = row.release;
  return r;
}
