/**
 * The Hyper-V fabric: the fabric engine (src/fabric/fabric.ts — hosts, VMs, jobs, migrations on
 * the fabric clock) seen through the root/virtualization/v2 providers of each host.
 *
 * `createHypervFabric` is the FabricFactory the emulator assembly takes
 * (`createEmulator({ world, fabric: createHypervFabric, … })`). The object it returns is both the
 * emulator's FabricBackend (`providers(host)`) and the typed API of the control plane: queries
 * (`hosts()`, `vms(host)`, `jobs(host)`, `activeMigrations()`, `snapshot()`, `toWorld()`),
 * changes (`addHost`, `removeHost`, `addVm`, `removeVm`, `setVmState`, `requestState`, `migrate`,
 * `cancelJob`, `setReachability`…), events (`events.on('vm-moved', …)`) and fault injection
 * (`faults.add({ match, effect })`, `faults.hook`).
 */
import type { InstanceProvider, ProviderTable } from '../../cim/provider.js';
import type { FabricBackend } from '../../cim/provider.js';
import type { FabricClock } from '../../fabric/clock.js';
import { Fabric } from '../../fabric/fabric.js';
import type { WorldSpec } from '../../fabric/world.js';
import { associationProviders } from './associations.js';
import { computerSystemProvider, plannedSystemProvider } from './computer-system.js';
import { HostContext } from './context.js';
import { jobProvider } from './jobs.js';
import { vsmsProvider, vsmsSettingsProvider } from './management-service.js';
import { capabilitiesProvider, migrationServiceProvider, networkProvider, serviceSettingsProvider, templateProvider } from './migration-service.js';
import { keyboardProvider, settingProvider, SETTING_CLASSES, switchProvider } from './settings.js';
import { win32Providers } from './win32.js';

export class HypervFabric extends Fabric implements FabricBackend {
  private readonly tables = new Map<string, ProviderTable>();

  /** The providers of one host's root/virtualization/v2 namespace, keyed by lower-case class name. */
  providers(hostName: string): ProviderTable {
    const h = this.requireHost(hostName);
    const k = h.name.toLowerCase();
    let t = this.tables.get(k);
    if (!t) {
      t = buildTable(new HostContext(this, h.name));
      this.tables.set(k, t);
    }
    return t;
  }

  override removeHost(name: string): void {
    super.removeHost(name);
    this.tables.delete(name.toLowerCase());
  }
}

function buildTable(c: HostContext): ProviderTable {
  const m = new Map<string, InstanceProvider>();
  m.set('msvm_computersystem', computerSystemProvider(c));
  m.set('msvm_plannedcomputersystem', plannedSystemProvider(c));
  for (const [kind, cls] of Object.entries(SETTING_CLASSES)) m.set(cls, settingProvider(c, kind as keyof typeof SETTING_CLASSES));
  m.set('msvm_keyboard', keyboardProvider(c));
  m.set('msvm_virtualethernetswitch', switchProvider(c));
  m.set('msvm_virtualsystemmanagementservice', vsmsProvider(c));
  m.set('msvm_virtualsystemmanagementservicesettingdata', vsmsSettingsProvider(c));
  m.set('msvm_virtualsystemmigrationservice', migrationServiceProvider(c));
  m.set('msvm_virtualsystemmigrationcapabilities', capabilitiesProvider(c));
  m.set('msvm_virtualsystemmigrationservicesettingdata', serviceSettingsProvider(c));
  m.set('msvm_virtualsystemmigrationsettingdata', templateProvider());
  m.set('msvm_virtualsystemmigrationnetworksettingdata', networkProvider(c));
  m.set('msvm_concretejob', jobProvider(c, false));
  m.set('msvm_migrationjob', jobProvider(c, true));
  for (const [cls, p] of associationProviders(c)) m.set(cls, p);
  // root\cimv2: what libvirt's Hyper-V driver reads about the host itself
  for (const [cls, p] of win32Providers(c)) m.set(cls, p);
  return m;
}

/** The FabricFactory for createEmulator. */
export function createHypervFabric(world: WorldSpec, clock: FabricClock): HypervFabric {
  return new HypervFabric(world, clock);
}

export { Fabric } from '../../fabric/fabric.js';
export type { FabricEvents, FabricEventName } from '../../fabric/events.js';
export type { MigrationFaultRule, MigrationFaultEffect, MigrationFaultMatch, MigrationFaultHook } from '../../fabric/faults.js';
export type * from '../../fabric/model.js';
