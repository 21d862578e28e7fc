/**
 * Resource bounds of an emulator: a world file's `limits:` section with Windows' defaults (wire
 * notes §8, HTTP.sys timers) where Windows has a setting, and the emulator's own bounds where it
 * does not. One table, used by the world schema, the assembly (listeners, WS-Man hosts, fabric)
 * and the documentation (the README's "Limits").
 *
 * Every limit applies to every host (a fleet-wide policy, as a GPO sets WinRM's service config).
 */

export interface LimitsSpec {
  /** MaxEnvelopeSizekb: largest request body (larger → HTTP 413) and cap of the client's MaxEnvelopeSize */
  maxEnvelopeSizeKb?: number;
  /** MaxTimeoutms: default and cap of OperationTimeout */
  maxTimeoutMs?: number;
  /** MaxBatchItems: cap of MaxElements */
  maxBatchItems?: number;
  /** EnumerationTimeoutms: idle lifetime of an enumeration context */
  enumerationTimeoutMs?: number;
  /** MaxConcurrentOperationsPerUser: live enumeration contexts per user and host (beyond: w:InternalError 2150859174) */
  maxConcurrentOperationsPerUser?: number;
  /** MaxConnections: TCP connections per listener (beyond: new connections are closed at once) */
  maxConnections?: number;
  /** unauthenticated connections per listener (beyond: the oldest idle one is dropped) */
  maxUnauthenticatedConnections?: number;
  /** time from accept to authentication before a connection is dropped */
  authenticationTimeoutMs?: number;
  /** time to receive a request's headers (HTTP.sys HeaderWait) */
  headersTimeoutMs?: number;
  /** time to receive a whole request, body included (HTTP.sys EntityBody); beyond: 408 and the connection closes */
  requestTimeoutMs?: number;
  /** idle time of a kept-alive connection (HTTP.sys IdleConnection) */
  keepAliveTimeoutMs?: number;
  /** finished jobs kept per host; beyond it the oldest finished job goes before its TimeBeforeRemoval */
  maxJobsKept?: number;
}

export type Limits = Required<LimitsSpec>;

/** The defaults: Windows Server 2012+ where Windows has the setting. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxEnvelopeSizeKb: 500,
  maxTimeoutMs: 60_000,
  maxBatchItems: 32_000,
  enumerationTimeoutMs: 240_000,
  maxConcurrentOperationsPerUser: 1500,
  maxConnections: 300,
  maxUnauthenticatedConnections: 100,
  authenticationTimeoutMs: 30_000,
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 120_000,
  keepAliveTimeoutMs: 120_000,
  maxJobsKept: 10_000,
};

/** Where each default comes from (the README's "Limits" prints this). */
export const LIMIT_SOURCES: Readonly<Record<keyof Limits, string>> = {
  maxEnvelopeSizeKb: 'WinRM MaxEnvelopeSizekb (Windows Server 2012+: 500)',
  maxTimeoutMs: 'WinRM MaxTimeoutms',
  maxBatchItems: 'WinRM MaxBatchItems',
  enumerationTimeoutMs: 'WinRM EnumerationTimeoutms (240000 in a 2012 R2 config capture)',
  maxConcurrentOperationsPerUser: 'WinRM MaxConcurrentOperationsPerUser',
  maxConnections: 'WinRM MaxConnections',
  maxUnauthenticatedConnections: 'emulator bound (no WinRM setting)',
  authenticationTimeoutMs: 'emulator bound (no WinRM setting)',
  headersTimeoutMs: 'emulator bound (HTTP.sys HeaderWait is 120 s)',
  requestTimeoutMs: 'HTTP.sys EntityBody timer (120 s)',
  keepAliveTimeoutMs: 'HTTP.sys IdleConnection timer (120 s)',
  maxJobsKept: 'emulator bound (Windows keeps jobs for TimeBeforeRemoval only)',
};

/** The smallest values that make sense (the schema refuses less). */
export const LIMIT_MINIMUMS: Readonly<Limits> = {
  maxEnvelopeSizeKb: 8,
  maxTimeoutMs: 1,
  maxBatchItems: 1,
  enumerationTimeoutMs: 1,
  maxConcurrentOperationsPerUser: 1,
  maxConnections: 1,
  maxUnauthenticatedConnections: 1,
  authenticationTimeoutMs: 1,
  headersTimeoutMs: 1,
  requestTimeoutMs: 1,
  keepAliveTimeoutMs: 1,
  maxJobsKept: 0,
};

export const LIMIT_NAMES = Object.keys(DEFAULT_LIMITS) as ReadonlyArray<keyof Limits>;

export function resolveLimits(spec: LimitsSpec | undefined): Limits {
  return { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(spec ?? {}).filter(([, v]) => v !== undefined)) };
}
