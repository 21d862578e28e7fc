/**
 * Msvm_ComputerSystem (the host and its VMs) and Msvm_PlannedComputerSystem, with
 * RequestStateChange (hyperv-model §3.1, §3.2).
 */
import type { MethodResult, PartialInstance } from '../../cim/provider.js';
import type { CimInstance, CimScalar } from '../../cim/types.js';
import type { StateRequest } from '../../fabric/fabric.js';
import type { HostRecord, VmPowerState, VmRecord } from '../../fabric/model.js';
import { argNumber, eqi, keyText, type HostContext, type Provider } from './context.js';
import { jobRef, NS } from './paths.js';

/** Msvm_ComputerSystem.EnabledState as v2 hosts report it (hyperv-model §3.1). */
export const ENABLED_STATE: Readonly<Record<VmPowerState, number>> = {
  running: 2,
  off: 3,
  stopping: 4,
  saved: 6,
  paused: 9,
  starting: 10,
  resetting: 11,
  saving: 32773,
  pausing: 32776,
  resuming: 32777,
};

/** RequestedState during a transition (12 Not Applicable when none is in progress). */
const REQUESTED_STATE: Partial<Record<VmPowerState, number>> = {
  starting: 2, stopping: 3, saving: 6, pausing: 9, resuming: 2, resetting: 11,
};

const STATUS_OK = 'Operating normally';

export function hostInstance(c: HostContext, h: HostRecord): CimInstance {
  return {
    className: 'Msvm_ComputerSystem',
    namespace: NS,
    props: {
      Caption: 'Hosting Computer System',
      Description: 'Microsoft Hosting Computer System',
      ElementName: h.name,
      InstallDate: null,
      Name: h.name,
      CreationClassName: 'Msvm_ComputerSystem',
      NameFormat: null,
      PrimaryOwnerName: null,
      PrimaryOwnerContact: null,
      Roles: null,
      OtherIdentifyingInfo: null,
      IdentifyingDescriptions: null,
      Dedicated: [0],
      OtherDedicatedDescriptions: null,
      ResetCapability: 1,
      PowerManagementCapabilities: null,
      OperationalStatus: [2],
      StatusDescriptions: ['OK'],
      Status: null,
      HealthState: 5,
      EnabledState: 2,
      OtherEnabledState: null,
      RequestedState: 12,
      EnabledDefault: 2,
      TimeOfLastStateChange: c.ts(h.installedAt),
      AvailableRequestedStates: null,
      TransitioningToState: null,
      NumberOfNumaNodes: 1,
      EnhancedSessionModeState: null,
    },
  };
}

export function vmInstance(c: HostContext, v: VmRecord): CimInstance {
  if (v.planned) return plannedInstance(c, v);
  const now = c.now();
  const ops = v.migrating ? [2, 32774] : [2];
  return {
    className: 'Msvm_ComputerSystem',
    namespace: NS,
    props: {
      Caption: 'Virtual Machine',
      // CONFLICT (hyperv-model §0.7): the doc says "Microsoft Virtual Computer System"; libvirt
      // filters on "Microsoft Virtual Machine", which real hosts report.
      Description: 'Microsoft Virtual Machine',
      ElementName: v.name,
      InstallDate: c.ts(v.createdAt),
      Name: v.guid,
      CreationClassName: 'Msvm_ComputerSystem',
      NameFormat: null,
      PrimaryOwnerName: null,
      PrimaryOwnerContact: null,
      Roles: null,
      OtherIdentifyingInfo: null,
      IdentifyingDescriptions: null,
      Dedicated: [0],
      OtherDedicatedDescriptions: null,
      ResetCapability: 1,
      PowerManagementCapabilities: null,
      OperationalStatus: ops,
      StatusDescriptions: v.migrating ? [STATUS_OK, 'Migrating Virtual Machine'] : [STATUS_OK],
      Status: null,
      HealthState: 5,
      EnabledState: ENABLED_STATE[v.state],
      OtherEnabledState: null,
      RequestedState: REQUESTED_STATE[v.state] ?? 12,
      EnabledDefault: 2,
      TimeOfLastStateChange: c.ts(v.stateChangedAt),
      AvailableRequestedStates: null,
      TransitioningToState: null,
      OnTimeInMilliseconds: v.pausedOnMs !== undefined ? Math.floor(v.pausedOnMs) : v.onSince !== undefined ? Math.max(0, Math.floor(now - v.onSince)) : 0,
      ProcessID: v.processId ?? null,
      TimeOfLastConfigurationChange: c.ts(v.configChangedAt),
      NumberOfNumaNodes: 1,
      ReplicationState: 0,
      ReplicationHealth: 0,
      ReplicationMode: 0,
      FailedOverReplicationType: 0,
      LastReplicationType: 0,
      LastApplicationConsistentReplicationTime: null,
      LastReplicationTime: null,
      LastSuccessfulBackupTime: null,
      EnhancedSessionModeState: 3,
      HwThreadsPerCoreRealized: v.state === 'off' ? 0 : 1,
    },
  };
}

export function plannedInstance(c: HostContext, v: VmRecord): CimInstance {
  return {
    className: 'Msvm_PlannedComputerSystem',
    namespace: NS,
    props: {
      Caption: 'Planned Virtual Machine',
      Description: 'Microsoft Planned Virtual Machine',
      ElementName: v.name,
      InstallDate: c.ts(v.createdAt),
      Name: v.guid,
      CreationClassName: 'Msvm_PlannedComputerSystem',
      Dedicated: [0],
      ResetCapability: 1,
      OperationalStatus: [2],
      StatusDescriptions: [STATUS_OK],
      HealthState: 5,
      EnabledState: 3,
      RequestedState: 12,
      EnabledDefault: 2,
      TimeOfLastStateChange: c.ts(v.stateChangedAt),
      OnTimeInMilliseconds: 0,
      ProcessID: null,
      TimeOfLastConfigurationChange: c.ts(v.configChangedAt),
      AssignedNumaNodeList: null,
    },
  };
}

/** RequestedState → what the fabric does; undefined: not a value Hyper-V accepts. */
function stateRequest(n: number, current: VmPowerState): StateRequest | 'invalid' | undefined {
  switch (n) {
    case 2: return 'running';
    case 3: return 'off';
    case 4: return 'shutdown';
    case 6: case 32773: return 'saved';
    case 9: case 32776: return 'paused';
    case 10: return 'reboot';
    case 11: return 'reset';
    case 32777: return current === 'paused' ? 'running' : 'invalid';
    default: return undefined;
  }
}

/**
 * Properties of a VM's Msvm_ComputerSystem that need no instance built (a WQL WHERE on them is
 * decided on a partial instance): exactly the values `vmInstance` writes, which a test holds.
 */
const CHEAP_VM_PROPS: Readonly<Record<string, (v: VmRecord) => CimScalar | null>> = {
  Name: (v) => v.guid,
  ElementName: (v) => v.name,
  CreationClassName: () => 'Msvm_ComputerSystem',
  Caption: () => 'Virtual Machine',
  Description: () => 'Microsoft Virtual Machine',
  EnabledState: (v) => ENABLED_STATE[v.state],
  RequestedState: (v) => REQUESTED_STATE[v.state] ?? 12,
  HealthState: () => 5,
  ProcessID: (v) => v.processId ?? null,
};

function* partialSystems(c: HostContext, h: HostRecord, get: Array<[string, (v: VmRecord) => CimScalar | null]>): Iterable<PartialInstance> {
  const host = hostInstance(c, h);
  yield { partial: host, full: () => host };
  for (const v of c.fabric.vms(c.hostName)) {
    if (v.planned) {
      const whole = vmInstance(c, v);
      yield { partial: whole, full: () => whole };
      continue;
    }
    const props: Record<string, CimScalar | null> = {};
    for (const [name, f] of get) props[name] = f(v);
    yield { partial: { className: 'Msvm_ComputerSystem', namespace: NS, props }, full: () => vmInstance(c, v) };
  }
}

export function computerSystemProvider(c: HostContext): Provider {
  return {
    *enumerate() {
      const h = c.fabric.host(c.hostName);
      if (!h) return;
      yield hostInstance(c, h);
      for (const v of c.fabric.vms(c.hostName)) yield vmInstance(c, v);
    },
    enumeratePartial(_ctx, _cls, names) {
      const get: Array<[string, (v: VmRecord) => CimScalar | null]> = [];
      for (const n of names) {
        const f = Object.hasOwn(CHEAP_VM_PROPS, n) ? CHEAP_VM_PROPS[n] : undefined;
        if (!f) return undefined;
        get.push([n, f]);
      }
      const h = c.fabric.host(c.hostName);
      return h ? partialSystems(c, h, get) : [];
    },
    get(_ctx, _cls, keys) {
      const name = keyText(keys, 'Name');
      if (name === undefined || !eqi(keyText(keys, 'CreationClassName'), 'Msvm_ComputerSystem')) return undefined;
      if (c.isHost(name)) return hostInstance(c, c.host());
      const v = c.vm(name);
      return v ? vmInstance(c, v) : undefined;
    },
    count: () => c.fabric.vmCount(c.hostName) + 1,
    invoke(ctx, _cls, method, target, args): MethodResult {
      if (method.name.toLowerCase() !== 'requeststatechange' || !target) {
        return c.fail('state-change', 'not-supported');
      }
      const name = String(target.props.Name);
      const v = c.vm(name);
      if (!v) return c.fail('state-change', c.isHost(name) ? 'not-a-vm' : 'vm-not-found');
      const requested = argNumber(args, 'RequestedState');
      const what = requested === undefined ? undefined : stateRequest(requested, v.state);
      if (what === undefined) return c.fail('state-change', 'not-supported');
      if (what === 'invalid') return c.fail('state-change', 'invalid-state-transition');
      const r = c.fabric.requestState(c.hostName, v.guid, what, ctx.user);
      if (!r.ok) return c.fail('state-change', r.reason);
      return { returnValue: 4096, out: { Job: jobRef(r.job!.id, false) } };
    },
  };
}

export function plannedSystemProvider(c: HostContext): Provider {
  return {
    *enumerate() {
      for (const v of c.fabric.plannedVms(c.hostName)) yield plannedInstance(c, v);
    },
    get(_ctx, _cls, keys: Readonly<Record<string, CimScalar>>) {
      const name = keyText(keys, 'Name');
      if (name === undefined || !eqi(keyText(keys, 'CreationClassName'), 'Msvm_PlannedComputerSystem')) return undefined;
      const v = c.planned(name);
      return v ? plannedInstance(c, v) : undefined;
    },
    count: () => c.fabric.plannedCount(c.hostName),
    invoke(): MethodResult {
      // a planned VM cannot be started: it must be realized first
      return c.fail('state-change', 'not-a-vm');
    },
  };
}
