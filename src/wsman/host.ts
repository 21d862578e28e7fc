/**
 * What the WS-Man layer needs from the host it answers for. The server layer builds one per
 * emulated host; nothing here knows how hosts, users or VMs are stored.
 */
import type { ObjectManager } from '../cim/object-manager.js';
import type { CimClass, CimInstance } from '../cim/types.js';
import type { EnumerationContexts } from './enum-contexts.js';

export interface WsmanLimits {
  /** MaxEnvelopeSizekb × 1024 (Windows 2012+: 500 KB) */
  readonly maxEnvelopeSize: number;
  /** MaxTimeoutms: default and cap of OperationTimeout */
  readonly maxTimeoutMs: number;
  /** MaxBatchItems: cap of MaxElements */
  readonly maxBatchItems: number;
  /** EnumerationTimeoutms: idle lifetime of an enumeration context */
  readonly enumerationTimeoutMs: number;
  /** live enumeration contexts one user may hold on one host */
  readonly maxContextsPerUser: number;
}

export const WINDOWS_LIMITS: WsmanLimits = {
  maxEnvelopeSize: 500 * 1024,
  maxTimeoutMs: 60_000,
  maxBatchItems: 32_000,
  enumerationTimeoutMs: 240_000,
  maxContextsPerUser: 1500,
};

/** The authenticated caller. */
export interface Caller {
  readonly user: string;
  /** false only for an unauthenticated Identify */
  readonly authenticated: boolean;
  /** the user may not Put, Create, Delete or Invoke on this host */
  readonly readOnly: boolean;
  /** the local address the client connected to (WSManFault Machine) */
  readonly localAddress: string;
  /** the charset the answer will be written in (sizes count in it; UTF-8 when absent) */
  readonly encoding?: 'utf-8' | 'utf-16';
}

/** What the WinRM service configuration reports (and the transport enforces). */
export interface ServiceConfig {
  readonly allowUnencrypted: boolean;
  readonly maxConnections: number;
  readonly auth: { readonly basic: boolean; readonly negotiate: boolean; readonly certificate: boolean };
}

export interface WsmanHost {
  /** computer name (HV1) */
  readonly name: string;
  readonly fqdn: string;
  readonly om: ObjectManager;
  readonly enumerations: EnumerationContexts;
  readonly limits: WsmanLimits;
  readonly serviceConfig: ServiceConfig;
  /** `OS: 10.0.20348 SP: 0.0 Stack: 3.0` */
  readonly productVersion: string;
  /** security profile URIs for an authenticated IdentifyResponse */
  readonly securityProfiles: readonly string[];
  /** the EPR Address for a reference to an instance on `host` (anonymous for this host) */
  endpointAddress(host?: string): string;
  /** milliseconds on the fabric clock */
  now(): number;
  /** CIM-XML text ↔ instances for EmbeddedInstance strings */
  parseEmbedded(text: string, expectedClass: string | undefined, namespace: string): CimInstance;
  writeEmbedded(inst: CimInstance, cls: CimClass): string;
}
