/**
 * vmms-emu as a library (README "Embedding"): start an emulator in-process, point your client at
 * `hosts[i].http.url`, stage faults and time from the test, close it.
 *
 *   const emu = await createEmulator({ world: loadWorldFile('worlds/default.yaml'), portBase: 0 });
 *   … emu.hosts[0].http.url, emu.faults.add({...}), emu.clock.advance(5000) …
 *   await emu.close();
 */
export const VERSION = '0.1.0';

export {
  createEmulator,
  ControlError,
  CIMXML_CODEC,
  serviceConfigOf,
  validateWorld,
  type Emulator,
  type EmulatorControl,
  type EmulatorHost,
  type EmulatorOptions,
  type EmbeddedCodec,
  type FabricBackend,
  type FabricFactory,
} from './emulator.js';
export { FabricClock, type ClockMode, type TimerHandle } from './fabric/clock.js';
export { DEFAULT_LIMITS, resolveLimits, type Limits, type LimitsSpec } from './fabric/limits.js';
export { FabricStore, StateFileError, type SavedState } from './fabric/store/sqlite-store.js';
export { loadWorldFile, parseWorld, WorldFileError, parseFaultTime } from './fabric/world-file.js';
export type * from './fabric/world.js';
export { createHypervFabric, HypervFabric, Fabric } from './providers/hyperv/index.js';
export type {
  FabricEvents, FabricEventName, MigrationFaultRule, MigrationFaultEffect, MigrationFaultMatch, MigrationFaultHook,
} from './providers/hyperv/index.js';
export type {
  HostRecord, VmRecord, JobRecord, VmPowerState, JobStateName, JobType, MigrationTypeName, FailureReason, ErrorRecord, Reachability,
} from './fabric/model.js';
export { FaultInjector, FaultRuleError, type FaultRule, type FaultRuleView, type InjectionEvent } from './control/injection.js';
export { EmulatorMetrics } from './control/metrics.js';
export type { RequestRecord, RequestLogger, RequestOutcome } from './control/request-log.js';
export type { ControlBus, ControlEvents } from './control/bus.js';
export { createControlApp, startControlServer, type ControlServer } from './control/server.js';
export { captureHost, captureWorld, worldYaml, type CaptureResult } from './capture/capture.js';
export { WsmanClient, WsmanClientFault, WsmanTransportError, type WsmanClientOptions } from './capture/client.js';
export type { RequestEvent, WsmanMiddleware } from './server/wsman-handler.js';
