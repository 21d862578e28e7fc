/**
 * Work done per request on the hot path, counted rather than timed (CI machines vary): a Pull
 * costs in proportion to its page whatever the enumeration's size, resolved resource URIs and
 * class families are remembered, a verified Basic token is checked once, and answers are the same
 * bytes whichever way they were built.
 */
import { describe, expect, it, vi } from 'vitest';
import { join } from 'node:path';
import { ObjectManager } from '../../../src/cim/object-manager.js';
import type { InstanceProvider } from '../../../src/cim/provider.js';
import { loadSchemaRegistry, projectRoot } from '../../../src/cim/schema-loader.js';
import type { CimInstance } from '../../../src/cim/types.js';
import { BASIC_CACHE_SIZE, BASIC_CACHE_TTL_MS, UserStore } from '../../../src/server/users.js';
import { createWsmanHost } from '../../../src/server/wsman-host.js';
import { handleSoap } from '../../../src/soap/endpoint.js';
import { newMessageId, upperUuid } from '../../../src/soap/writer.js';
import { WINDOWS_LIMITS, type Caller } from '../../../src/wsman/host.js';
import { ACTION, envelope } from '../../helpers/wsman-client.js';

const SCHEMA = loadSchemaRegistry(join(projectRoot(), 'test', 'fixtures', 'core-schema'));
const T_PAIR = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/test/T_Pair';
const CALLER: Caller = { user: 'Administrator', authenticated: true, readOnly: false, localAddress: '127.0.0.1' };

/** A host whose T_Pair provider counts the instances it hands out. */
function pairsHost(total: number) {
  const counter = { yielded: 0 };
  const provider: InstanceProvider = {
    *enumerate() {
      for (let i = 0; i < total; i++) {
        counter.yielded++;
        yield { className: 'T_Pair', props: { Group: 'g', Slot: i, Value: 'v' + i } } as CimInstance;
      }
    },
  };
  const schema = Object.create(SCHEMA) as typeof SCHEMA;
  const om = new ObjectManager(schema, new Map([['t_pair', provider]]));
  const host = createWsmanHost({
    name: 'PERF', fqdn: 'perf.lab.local', om, limits: WINDOWS_LIMITS,
    serviceConfig: { allowUnencrypted: true, maxConnections: 300, auth: { basic: true, negotiate: false, certificate: false } },
    osVersion: '10.0.20348', endpoints: () => new Map(), now: () => Date.now(),
    parseEmbedded: () => { throw new Error('unused'); }, writeEmbedded: () => '', httpsEnabled: false,
  });
  return { host, counter, schema };
}

function call(host: ReturnType<typeof pairsHost>['host'], xml: string) {
  const r = handleSoap(xml, host, CALLER);
  expect(r.status).toBe(200);
  return r.xml;
}

const contextOf = (xml: string) => /<n:EnumerationContext>([^<]*)<\/n:EnumerationContext>/.exec(xml)?.[1] ?? '';
const pull = (ctx: string, max: number) =>
  envelope({
    action: ACTION.pull,
    resourceUri: T_PAIR,
    body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext><n:MaxElements>${max}</n:MaxElements></n:Pull>`,
  }).xml;

describe('Pull costs O(page)', () => {
  it.each([1_000, 100_000])('a Pull of 10 from %i instances takes 10 (+1 held back) from the provider', (total) => {
    const { host, counter } = pairsHost(total);
    const en = call(host, envelope({ action: ACTION.enumerate, resourceUri: T_PAIR, body: '<n:Enumerate/>' }).xml);
    expect(counter.yielded).toBe(0); // Enumerate without OptimizeEnumeration reads nothing yet
    let ctx = contextOf(en);
    for (let page = 1; page <= 3; page++) {
      const before = counter.yielded;
      const xml = call(host, pull(ctx, 10));
      expect((xml.match(/<p:T_Pair /g) ?? []).length).toBe(10);
      expect(counter.yielded - before).toBeLessThanOrEqual(11);
      ctx = contextOf(xml);
    }
    expect(counter.yielded).toBeLessThanOrEqual(31);
  });

  it('walking all of 100 000 instances in pages: each Pull takes one page (+1 held back) and answers one page of XML', () => {
    const total = 100_000;
    const page = 500;
    const { host, counter } = pairsHost(total);
    let ctx = contextOf(call(host, envelope({ action: ACTION.enumerate, resourceUri: T_PAIR, body: '<n:Enumerate/>' }).xml));
    const seen = new Set<number>();
    let pulls = 0;
    let largest = 0;
    for (;;) {
      const before = counter.yielded;
      const xml = call(host, pull(ctx, page));
      pulls++;
      // the provider was asked for this page only: nothing ahead of it is read or rendered
      expect(counter.yielded - before).toBeLessThanOrEqual(page + 1);
      largest = Math.max(largest, xml.length);
      for (const m of xml.matchAll(/<p:Slot>(\d+)<\/p:Slot>/g)) seen.add(Number(m[1]));
      if (xml.includes('EndOfSequence')) break;
      ctx = contextOf(xml);
      expect(ctx).not.toBe('');
    }
    expect(pulls).toBe(total / page);
    expect(seen.size).toBe(total);
    expect(counter.yielded).toBe(total);
    // one page of 500 small items is tens of kilobytes, not the megabytes of the whole result
    expect(largest).toBeLessThan(page * 400);
  });
});

describe('resolved once', () => {
  it('a resource URI is resolved against the schema once, then remembered', () => {
    const { host, schema } = pairsHost(3);
    const spy = vi.spyOn(schema, 'canonicalNamespace');
    const get = envelope({ action: ACTION.get, resourceUri: T_PAIR, selectors: { Group: 'g', Slot: '1' } }).xml;
    for (let i = 0; i < 20; i++) call(host, get);
    expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
  });

  it('the class family of a Get is asked of the schema once', () => {
    const { host, schema } = pairsHost(3);
    const spy = vi.spyOn(schema, 'subclasses');
    const get = envelope({ action: ACTION.get, resourceUri: T_PAIR, selectors: { Group: 'g', Slot: '2' } }).xml;
    for (let i = 0; i < 20; i++) expect(call(host, get)).toContain('<p:Value>v2</p:Value>');
    expect(spy.mock.calls.length).toBeLessThanOrEqual(1);
  });
});

describe('Basic credentials', () => {
  const token = (u: string, p: string) => Buffer.from(`${u}:${p}`).toString('base64');

  it('a token that verified is not checked again; wrong ones always are', () => {
    const store = new UserStore([{ name: 'Administrator', password: 'Passw0rd!', readOnly: false }]);
    const verify = vi.spyOn(store, 'verify');
    for (let i = 0; i < 10; i++) expect(store.verifyBasic(token('Administrator', 'Passw0rd!'))?.name).toBe('Administrator');
    expect(verify).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 10; i++) expect(store.verifyBasic(token('Administrator', 'wrong'))).toBeUndefined();
    expect(verify).toHaveBeenCalledTimes(11);
    expect(store.verifyBasic('bm9jb2xvbg==')).toBeUndefined(); // no colon
    expect(store.verifyBasic(token('ghost', 'Passw0rd!'))).toBeUndefined();
  });

  it('remembers a token for a bounded time and a bounded number of tokens', () => {
    const store = new UserStore([{ name: 'Administrator', password: 'Passw0rd!', readOnly: false }]);
    const verify = vi.spyOn(store, 'verify');
    const t = token('Administrator', 'Passw0rd!');
    store.verifyBasic(t, 1_000);
    store.verifyBasic(t, 1_000 + BASIC_CACHE_TTL_MS - 1);
    expect(verify).toHaveBeenCalledTimes(1);
    store.verifyBasic(t, 1_000 + BASIC_CACHE_TTL_MS);
    expect(verify).toHaveBeenCalledTimes(2);
    // distinct valid spellings (DOMAIN\user) fill the cache; the oldest goes first
    for (let i = 0; i <= BASIC_CACHE_SIZE; i++) store.verifyBasic(token(`D${i}\\Administrator`, 'Passw0rd!'), 5_000);
    verify.mockClear();
    store.verifyBasic(token('D0\\Administrator', 'Passw0rd!'), 5_000);
    expect(verify).toHaveBeenCalledTimes(1);
  });
});

describe('message ids', () => {
  it('are random upper-case version 4 UUIDs', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const u = upperUuid();
      expect(u).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/);
      seen.add(u);
    }
    expect(seen.size).toBe(2000);
    expect(newMessageId()).toMatch(/^uuid:[0-9A-F-]{36}$/);
  });
});
