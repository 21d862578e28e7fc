/**
 * Assembly: a world → a running emulator. Builds the fabric (state + clock), one object manager
 * and one WS-Man host per emulated host, and their HTTP/HTTPS listeners on 127.0.0.1.
 *
 * Port contract (other tools depend on it): host i (from 0) listens on HTTP `portBase + 2i` and
 * HTTPS `portBase + 2i + 1` unless its world entry sets ports; portBase 0 picks free ports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEmbeddedInstance, writeEmbeddedInstance } from './cim/cimxml/index.js';
import { ObjectManager } from './cim/object-manager.js';
import type { ProviderTable } from './cim/provider.js';
import { loadSchemaRegistry, projectRoot } from './cim/schema-loader.js';
import type { CimClass, CimInstance } from './cim/types.js';
import { FabricClock } from './fabric/clock.js';
import type { HostSpec, WorldSpec } from './fabric/world.js';
import { createAuthSchemes } from './server/auth/schemes.js';
import { ConnectionGuard, type ConnectionLimitOptions } from './server/connection-limits.js';
import { listen, type Listener } from './server/listen.js';
import { ensureCertificates } from './server/tls/certs.js';
import { UserStore } from './server/users.js';
import { createWsmanHandler, type AuthScheme, type RequestEvent } from './server/wsman-handler.js';
import { createWsmanHost } from './server/wsman-host.js';
import { WINDOWS_LIMITS, type ServiceConfig, type WsmanHost } from './wsman/host.js';

/** What a fabric implementation gives the assembly. */
export interface FabricBackend {
  providers(hostName: string): ProviderTable;
  close?(): void;
}

export type FabricFactory = (world: WorldSpec, clock: FabricClock) => FabricBackend;

export interface EmbeddedCodec {
  parse(text: string, expectedClass: string | undefined, classOf: (name: string) => CimClass | undefined): CimInstance;
  write(inst: CimInstance, cls: CimClass, classOf: (name: string) => CimClass | undefined): string;
}

/** WMI's GetText_(1) CIM-XML for EmbeddedInstance strings (wire notes §3.4). */
export const CIMXML_CODEC: EmbeddedCodec = {
  parse: (text, expected, classOf) => parseEmbeddedInstance(text, expected, classOf),
  write: (inst, cls, classOf) => writeEmbeddedInstance(inst, cls, { classOf }),
};

export interface EmulatorOptions {
  world: WorldSpec;
  fabric: FabricFactory;
  /** CIM-XML codec for EmbeddedInstance strings (default: src/cim/cimxml) */
  embedded?: EmbeddedCodec;
  /** first port (default 5985); 0 = free ports */
  portBase?: number;
  /** listen address (default 127.0.0.1) */
  bind?: string;
  clock?: FabricClock;
  /** HTTPS listeners (default true) */
  https?: boolean;
  /** where generated certificates live (default `<project>/certs`) */
  certDir?: string;
  /** extra auth schemes per host, beside Basic, Negotiate and client certificates (which come from the world) */
  authSchemes?: (host: HostSpec) => AuthScheme[];
  /** limits on unauthenticated connections, per listener */
  connectionLimits?: ConnectionLimitOptions;
  onRequest?: (e: RequestEvent) => void;
}

export interface EmulatorHost {
  readonly name: string;
  readonly spec: HostSpec;
  readonly wsman: WsmanHost;
  readonly http: Listener;
  readonly https?: Listener;
}

export interface Emulator {
  readonly hosts: readonly EmulatorHost[];
  readonly clock: FabricClock;
  readonly fabric: FabricBackend;
  readonly users: UserStore;
  close(): Promise<void>;
}

export function serviceConfigOf(spec: HostSpec): ServiceConfig {
  const l = spec.listener ?? {};
  return {
    // Windows defaults: AllowUnencrypted false, Basic on, Negotiate on, Certificate off
    allowUnencrypted: l.allowUnencrypted ?? false,
    maxConnections: 300,
    auth: { basic: l.basic ?? true, negotiate: l.negotiate ?? true, certificate: l.certificate ?? false },
  };
}

export async function createEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const world = opts.world;
  const bind = opts.bind ?? '127.0.0.1';
  const portBase = opts.portBase ?? 5985;
  const clock = opts.clock ?? new FabricClock();
  const embedded = opts.embedded ?? CIMXML_CODEC;
  const schema = loadSchemaRegistry();
  const fabric = opts.fabric(world, clock);
  const users = new UserStore(
    world.users.map((u) => ({ name: u.name, password: u.password, readOnly: u.readOnly ?? false, hosts: u.hosts, certificates: u.certificates })),
  );
  const useHttps = opts.https ?? true;
  const certs = useHttps
    ? ensureCertificates(
        opts.certDir ?? join(projectRoot(), 'certs'),
        world.hosts.filter((h) => !h.listener?.tlsCert).map((h) => ({ name: h.name, fqdn: h.fqdn, ips: h.addresses })),
      )
    : undefined;

  const endpoints = new Map<string, string>();
  const hosts: EmulatorHost[] = [];
  const guards: ConnectionGuard[] = [];
  try {
    for (let i = 0; i < world.hosts.length; i++) {
      const spec = world.hosts[i];
      const om = new ObjectManager(schema, fabric.providers(spec.name));
      const serviceConfig = serviceConfigOf(spec);
      const wsman = createWsmanHost({
        name: spec.name,
        fqdn: spec.fqdn ?? spec.name,
        om,
        limits: WINDOWS_LIMITS,
        serviceConfig,
        osVersion: spec.osVersion ?? '10.0.20348',
        endpoints: () => endpoints,
        now: () => clock.now(),
        parseEmbedded: (text, expected, ns) => embedded.parse(text, expected, (n) => schema.getClass(ns, n)),
        writeEmbedded: (inst, cls) => embedded.write(inst, cls, (n) => schema.getClass(inst.namespace ?? 'root/virtualization/v2', n)),
        httpsEnabled: useHttps,
      });
      const extraSchemes = opts.authSchemes?.(spec) ?? [];
      const handlerFor = (scheme: 'http' | 'https', guard: ConnectionGuard) => {
        const security = { scheme, allowUnencrypted: serviceConfig.allowUnencrypted, ...serviceConfig.auth };
        return createWsmanHandler({
          host: wsman,
          users,
          security,
          maxBodyBytes: WINDOWS_LIMITS.maxEnvelopeSize,
          schemes: [...createAuthSchemes({ security, targetName: spec.name, dnsComputer: spec.fqdn }), ...extraSchemes],
          guard,
          onRequest: opts.onRequest,
        });
      };
      const port = (offset: number, fixed?: number) => fixed ?? (portBase === 0 ? 0 : portBase + 2 * i + offset);
      const httpGuard = new ConnectionGuard(opts.connectionLimits);
      guards.push(httpGuard);
      const httpL = await listen(handlerFor('http', httpGuard), { bind, port: port(0, spec.ports?.http) });
      httpGuard.attach(httpL.server);
      let httpsL: Listener | undefined;
      if (useHttps) {
        const tls = spec.listener?.tlsCert && spec.listener.tlsKey
          ? { cert: readPem(spec.listener.tlsCert), key: readPem(spec.listener.tlsKey) }
          : { cert: certs!.hosts[spec.name].certPem, key: certs!.hosts[spec.name].keyPem };
        const httpsGuard = new ConnectionGuard(opts.connectionLimits);
        guards.push(httpsGuard);
        httpsL = await listen(handlerFor('https', httpsGuard), {
          bind,
          port: port(1, spec.ports?.https),
          tls: { ...tls, ca: certs?.ca.certPem, requestCert: serviceConfig.auth.certificate },
        });
        httpsGuard.attach(httpsL.server);
      }
      endpoints.set(spec.name, httpL.url);
      hosts.push({ name: spec.name, spec, wsman, http: httpL, https: httpsL });
    }
  } catch (e) {
    for (const g of guards) g.close();
    await Promise.all(hosts.flatMap((h) => [h.http.close(), h.https?.close()]));
    fabric.close?.();
    throw e;
  }
  return {
    hosts,
    clock,
    fabric,
    users,
    async close() {
      for (const g of guards) g.close();
      await Promise.all(hosts.flatMap((h) => [h.http.close(), h.https?.close()]));
      fabric.close?.();
      clock.close();
    },
  };
}

function readPem(path: string): string {
  return readFileSync(path, 'utf8');
}
