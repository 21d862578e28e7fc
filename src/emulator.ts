/**
 * Assembly: a world → a running emulator. Builds the fabric (state + clock), one object manager
 * and one WS-Man host per emulated host, and their HTTP/HTTPS listeners on 127.0.0.1.
 *
 * Port contract (other tools depend on it): host i (from 0) listens on HTTP `portBase + 2i` and
 * HTTPS `portBase + 2i + 1` unless its world entry sets ports; portBase 0 picks free ports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ObjectManager } from './cim/object-manager.js';
import type { ProviderTable } from './cim/provider.js';
import { loadSchemaRegistry, projectRoot } from './cim/schema-loader.js';
import type { CimClass, CimInstance } from './cim/types.js';
import { FabricClock } from './fabric/clock.js';
import type { HostSpec, WorldSpec } from './fabric/world.js';
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
  write(inst: CimInstance, cls: CimClass): string;
}

export interface EmulatorOptions {
  world: WorldSpec;
  fabric: FabricFactory;
  embedded: EmbeddedCodec;
  /** first port (default 5985); 0 = free ports */
  portBase?: number;
  /** listen address (default 127.0.0.1) */
  bind?: string;
  clock?: FabricClock;
  /** HTTPS listeners (default true) */
  https?: boolean;
  /** where generated certificates live (default `<project>/certs`) */
  certDir?: string;
  /** extra auth schemes (Negotiate, certificates) per host */
  authSchemes?: (host: HostSpec) => AuthScheme[];
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
  const schema = loadSchemaRegistry();
  const fabric = opts.fabric(world, clock);
  const users = new UserStore(
    world.users.map((u) => ({ name: u.name, password: u.password, readOnly: u.readOnly ?? false, hosts: u.hosts })),
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
        parseEmbedded: (text, expected, ns) => opts.embedded.parse(text, expected, (n) => schema.getClass(ns, n)),
        writeEmbedded: (inst, cls) => opts.embedded.write(inst, cls),
        httpsEnabled: useHttps,
      });
      const schemes = opts.authSchemes?.(spec) ?? [];
      const handlerFor = (scheme: 'http' | 'https') =>
        createWsmanHandler({
          host: wsman,
          users,
          security: { scheme, allowUnencrypted: serviceConfig.allowUnencrypted, ...serviceConfig.auth },
          maxBodyBytes: WINDOWS_LIMITS.maxEnvelopeSize,
          schemes,
          onRequest: opts.onRequest,
        });
      const port = (offset: number, fixed?: number) => fixed ?? (portBase === 0 ? 0 : portBase + 2 * i + offset);
      const httpL = await listen(handlerFor('http'), { bind, port: port(0, spec.ports?.http) });
      let httpsL: Listener | undefined;
      if (useHttps) {
        const tls = spec.listener?.tlsCert && spec.listener.tlsKey
          ? { cert: readPem(spec.listener.tlsCert), key: readPem(spec.listener.tlsKey) }
          : { cert: certs!.hosts[spec.name].certPem, key: certs!.hosts[spec.name].keyPem };
        httpsL = await listen(handlerFor('https'), {
          bind,
          port: port(1, spec.ports?.https),
          tls: { ...tls, ca: certs?.ca.certPem, requestCert: serviceConfig.auth.certificate },
        });
      }
      endpoints.set(spec.name, httpL.url);
      hosts.push({ name: spec.name, spec, wsman, http: httpL, https: httpsL });
    }
  } catch (e) {
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
      await Promise.all(hosts.flatMap((h) => [h.http.close(), h.https?.close()]));
      fabric.close?.();
      clock.close();
    },
  };
}

function readPem(path: string): string {
  return readFileSync(path, 'utf8');
}
