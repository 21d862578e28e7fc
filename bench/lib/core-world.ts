/**
 * The bench's "core" world: one WS-Man host over the core test schema (test/fixtures/core-schema)
 * with in-memory providers, wired exactly as the emulator wires a host (auth schemes, connection
 * guard, HTTP + optional HTTPS listener). It measures transport → SOAP → WS-Man → CIM without the
 * Hyper-V model, so the hot path can be tuned before (and independently of) the Hyper-V providers.
 *
 * Data: 5 `T_Thing` instances (4 T_Thing + 1 T_Child, for the optimized Enumerate of 5) and `pairs`
 * `T_Pair` instances (for Enumerate + Pull and WQL over a large class).
 */
import { join } from 'node:path';
import { matchesKeys } from '../../src/cim/compare.js';
import { ObjectManager } from '../../src/cim/object-manager.js';
import type { InstanceProvider } from '../../src/cim/provider.js';
import { loadSchemaRegistry, projectRoot } from '../../src/cim/schema-loader.js';
import type { CimInstance } from '../../src/cim/types.js';
import { interval, timestamp } from '../../src/cim/values.js';
import { parseEmbeddedInstance, writeEmbeddedInstance } from '../../src/cim/cimxml/index.js';
import { createAuthSchemes } from '../../src/server/auth/schemes.js';
import { ConnectionGuard } from '../../src/server/connection-limits.js';
import { listen, type Listener } from '../../src/server/listen.js';
import { ensureCertificates } from '../../src/server/tls/certs.js';
import { UserStore } from '../../src/server/users.js';
import { createWsmanHandler, type ListenerSecurity } from '../../src/server/wsman-handler.js';
import { createWsmanHost } from '../../src/server/wsman-host.js';
import { WINDOWS_LIMITS } from '../../src/wsman/host.js';
import { thingProvider } from '../../test/fixtures/thing-provider.js';

export const CORE_NS = 'root/test';
export const CORE_HOST_NAME = 'BENCH1';

export interface CoreWorldOptions {
  /** number of T_Pair instances (default 10 000) */
  pairs?: number;
  /** also listen on HTTPS, with certificates kept in this directory */
  httpsCertDir?: string;
}

export interface RunningWorld {
  readonly http: Listener;
  readonly https?: Listener;
  close(): Promise<void>;
}

function things(): CimInstance[] {
  const base = { Caption: null, Delta: -3, Flag: true, Ratio: 0.5, Octets: [1, 2, 3] };
  const out: CimInstance[] = [];
  for (let i = 1; i <= 4; i++) {
    out.push({
      className: 'T_Thing',
      props: {
        ...base,
        Id: ['one', 'two', 'three', 'four'][i - 1],
        Label: `Thing ${i}`,
        Count: i,
        When: timestamp(Date.UTC(2024, 0, 2, 3, 4, 5), 500),
        Elapsed: interval(100_000_000),
        Tags: ['a', 'b'],
      },
    });
  }
  out.push({ className: 'T_Child', props: { ...base, Id: 'kid', Label: 'Child <&>', Count: 5, When: null, Elapsed: null, Tags: null, Extra: 'x' } });
  return out;
}

export async function startCoreWorld(o: CoreWorldOptions = {}): Promise<RunningWorld> {
  const schema = loadSchemaRegistry(join(projectRoot(), 'test', 'fixtures', 'core-schema'));
  const all = things();
  const byClass = new Map<string, CimInstance[]>();
  for (const t of all) {
    let list = byClass.get(t.className);
    if (!list) byClass.set(t.className, (list = []));
    list.push(t);
  }
  const pairs: CimInstance[] = [];
  const n = o.pairs ?? 10_000;
  for (let i = 0; i < n; i++) pairs.push({ className: 'T_Pair', props: { Group: 'bulk', Slot: i, Value: 'v' + i } });

  // the lists are kept per class, not filtered per request: the bench measures the stack, not a filter
  const providers = new Map<string, InstanceProvider>([
    ['t_thing', thingProvider(() => byClass.get('T_Thing') ?? [])],
    ['t_child', thingProvider(() => byClass.get('T_Child') ?? [])],
    [
      't_pair',
      {
        enumerate: () => pairs,
        count: () => pairs.length,
        get: (_c, _cls, keys) => {
          const slot = keys.Slot;
          const p = typeof slot === 'number' ? pairs[slot] : undefined;
          return p && matchesKeys(p, keys) ? p : undefined;
        },
      },
    ],
  ]);
  const om = new ObjectManager(schema, providers);
  const auth = { basic: true, negotiate: true, certificate: false };
  const serviceConfig = { allowUnencrypted: true, maxConnections: 300, auth };
  const https = o.httpsCertDir !== undefined;
  const host = createWsmanHost({
    name: CORE_HOST_NAME,
    fqdn: 'bench1.lab.local',
    om,
    limits: WINDOWS_LIMITS,
    serviceConfig,
    osVersion: '10.0.20348',
    endpoints: () => new Map(),
    now: () => Date.now(),
    parseEmbedded: (text, expected, ns) => parseEmbeddedInstance(text, expected, (name) => schema.getClass(ns, name)),
    writeEmbedded: (inst, cls) => writeEmbeddedInstance(inst, cls, { classOf: (name) => schema.getClass(CORE_NS, name) }),
    httpsEnabled: https,
  });
  const users = new UserStore([
    { name: 'Administrator', password: 'Passw0rd!', readOnly: false },
    { name: 'operator', password: 'Operat0r!', readOnly: true },
  ]);
  const handler = (security: ListenerSecurity, guard: ConnectionGuard) =>
    createWsmanHandler({
      host,
      users,
      security,
      guard,
      maxBodyBytes: WINDOWS_LIMITS.maxEnvelopeSize,
      schemes: createAuthSchemes({ security, targetName: CORE_HOST_NAME, dnsComputer: host.fqdn }),
    });
  const httpGuard = new ConnectionGuard();
  const http = await listen(handler({ scheme: 'http', allowUnencrypted: true, ...auth }, httpGuard), { bind: '127.0.0.1', port: 0 });
  httpGuard.attach(http.server);
  let httpsL: Listener | undefined;
  let httpsGuard: ConnectionGuard | undefined;
  if (o.httpsCertDir !== undefined) {
    const certs = ensureCertificates(o.httpsCertDir, [{ name: CORE_HOST_NAME, fqdn: host.fqdn }]);
    httpsGuard = new ConnectionGuard();
    httpsL = await listen(handler({ scheme: 'https', allowUnencrypted: true, ...auth }, httpsGuard), {
      bind: '127.0.0.1',
      port: 0,
      tls: { cert: certs.hosts[CORE_HOST_NAME].certPem, key: certs.hosts[CORE_HOST_NAME].keyPem, ca: certs.ca.certPem },
    });
    httpsGuard.attach(httpsL.server);
  }
  return {
    http,
    https: httpsL,
    async close() {
      httpGuard.close();
      httpsGuard?.close();
      await Promise.all([http.close(), httpsL?.close()]);
    },
  };
}
