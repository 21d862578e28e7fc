/**
 * A WS-Man host over the core test schema (test/fixtures/core-schema) with in-memory providers,
 * listening on a free port: exercises transport → soap → wsman → cim without the Hyper-V model.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { CimError, CimStatus } from '../../src/cim/errors.js';
import { matchesKeys } from '../../src/cim/compare.js';
import { ObjectManager } from '../../src/cim/object-manager.js';
import type { InstanceProvider, MethodResult } from '../../src/cim/provider.js';
import { loadSchemaRegistry } from '../../src/cim/schema-loader.js';
import type { CimInstance, CimValue } from '../../src/cim/types.js';
import { timestamp, interval } from '../../src/cim/values.js';
import { CIMXML_CODEC } from '../../src/emulator.js';
import { listen, type Listener } from '../../src/server/listen.js';
import { UserStore } from '../../src/server/users.js';
import { createWsmanHandler } from '../../src/server/wsman-handler.js';
import { createWsmanHost } from '../../src/server/wsman-host.js';
import { WINDOWS_LIMITS, type WsmanHost, type WsmanLimits } from '../../src/wsman/host.js';

export const CORE_SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'core-schema');
export const NS_TEST = 'root/test';
export const WMI_THING = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/test/T_Thing';

export interface CoreHost {
  url: string;
  listener: Listener;
  things: CimInstance[];
  host: WsmanHost;
  close(): Promise<void>;
}

export function makeThings(): CimInstance[] {
  const base = { Caption: null, Delta: -3, Flag: true, Ratio: 0.5, Octets: [1, 2, 3] };
  return [
    { className: 'T_Thing', props: { ...base, Id: 'one', Label: 'First', Count: 1, When: timestamp(Date.UTC(2024, 0, 2, 3, 4, 5), 500), Elapsed: interval(100_000_000), Tags: ['a', 'b'] } },
    { className: 'T_Thing', props: { ...base, Id: 'two', Label: 'Second', Count: 2, When: null, Elapsed: null, Tags: [] } },
    { className: 'T_Child', props: { ...base, Id: 'kid', Label: 'Child <&>', Count: 3, When: null, Elapsed: null, Tags: null, Extra: 'x' } },
  ];
}

export interface CoreHostOptions {
  limits?: Partial<WsmanLimits>;
  now?: () => number;
  /** extra T_Pair instances (for paging and scale tests) */
  pairs?: number;
}

export async function startCoreHost(opts: CoreHostOptions = {}): Promise<CoreHost> {
  const schema = loadSchemaRegistry(CORE_SCHEMA_DIR);
  const things = makeThings();
  const pairs: CimInstance[] = [
    { className: 'T_Pair', props: { Group: 'g', Slot: 1, Value: 'a' } },
    { className: 'T_Pair', props: { Group: 'g', Slot: 2, Value: 'b' } },
    { className: 'T_Pair', props: { Group: 'h', Slot: 1, Value: 'c' } },
  ];
  for (let i = 0; i < (opts.pairs ?? 0); i++) pairs.push({ className: 'T_Pair', props: { Group: 'bulk', Slot: i, Value: 'v' + i } });
  const byClass = (name: string) => things.filter((t) => t.className === name);
  const thingProvider = (className: string): InstanceProvider => ({
    enumerate: () => byClass(className),
    modify(_ctx, _cls, current, changes) {
      Object.assign(current.props, changes as Record<string, CimValue>);
      return current;
    },
    delete(_ctx, _cls, current) {
      things.splice(things.indexOf(current), 1);
    },
    invoke(_ctx, _cls, method, target, args): MethodResult {
      if (method.name === 'Add') {
        const a = Number(args.A ?? 0);
        const b = Number(args.B ?? 0);
        if (a > 1000) throw new CimError(CimStatus.INVALID_PARAMETER, 'A is too large.');
        if (target) (target.props as Record<string, CimValue>).Count = a + b;
        return { returnValue: 0, out: { Sum: a + b } };
      }
      if (method.name === 'Echo') {
        const emb = args.Emb as CimInstance | null | undefined;
        return {
          returnValue: 0,
          out: {
            Said: String(args.S ?? '') + (emb ? ':' + String(emb.props.Id) : ''),
            Found: { className: 'T_Thing', namespace: NS_TEST, keys: { Id: 'one' } },
          },
        };
      }
      return { returnValue: 1 };
    },
  });
  const providers = new Map<string, InstanceProvider>([
    ['t_thing', thingProvider('T_Thing')],
    ['t_child', thingProvider('T_Child')],
    ['t_pair', { enumerate: () => pairs, get: (_c, _cls, keys) => pairs.find((p) => matchesKeys(p, keys)) }],
    ['t_config', { enumerate: () => [{ className: 'T_Config', props: { Mode: 'on' } }] }],
    ['t_link', {
      enumerate: () => [{
        className: 'T_Link',
        props: {
          Left: { className: 'T_Thing', namespace: NS_TEST, keys: { Id: 'one' } },
          Right: { className: 'T_Child', namespace: NS_TEST, keys: { Id: 'kid' } },
        },
      }],
    }],
  ]);
  const om = new ObjectManager(schema, providers);
  const serviceConfig = { allowUnencrypted: true, maxConnections: 300, auth: { basic: true, negotiate: false, certificate: false } };
  const limits = { ...WINDOWS_LIMITS, ...opts.limits };
  const host = createWsmanHost({
    name: 'TEST1', fqdn: 'test1.lab.local', om, limits, serviceConfig, osVersion: '10.0.20348',
    endpoints: () => new Map(), now: opts.now ?? (() => Date.now()),
    parseEmbedded: (text, expected, ns) => CIMXML_CODEC.parse(text, expected, (n) => schema.getClass(ns, n)),
    writeEmbedded: (inst, cls) => CIMXML_CODEC.write(inst, cls, (n) => schema.getClass(NS_TEST, n)),
    httpsEnabled: false,
  });
  const users = new UserStore([
    { name: 'Administrator', password: 'Passw0rd!', readOnly: false },
    { name: 'reader', password: 'Read0nly!', readOnly: true },
  ]);
  const listener = await listen(
    createWsmanHandler({ host, users, security: { scheme: 'http', allowUnencrypted: true, basic: true, negotiate: false, certificate: false }, maxBodyBytes: WINDOWS_LIMITS.maxEnvelopeSize }),
    { bind: '127.0.0.1', port: 0 },
  );
  return { url: listener.url, listener, things, host, close: () => listener.close() };
}
