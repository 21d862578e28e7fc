/**
 * The bench scenarios: what each sends, to which server, and how its answers are counted. Every
 * scenario is run against its WS-Man server and, with the same request bytes and the same load,
 * against the minimal Node server (the limit), so each result carries its ratio to the limit.
 */
import type autocannon from 'autocannon';
import * as env from './envelopes.js';
import { ntlmSealedRequests } from './ntlm.js';
import type { ServerChild } from './child.js';
import type { ServerSpec } from './protocol.js';

export const ADMIN = { user: 'Administrator', password: 'Passw0rd!' };
export const BASIC = 'Basic ' + Buffer.from(`${ADMIN.user}:${ADMIN.password}`).toString('base64');
export const SOAP_UTF8 = 'application/soap+xml;charset=UTF-8';

export interface ScenarioLoad {
  /** a fixed request… */
  readonly body?: Buffer;
  readonly headers?: Record<string, string>;
  /** …or a per-connection sequence */
  readonly requests?: autocannon.Request[];
  /** counts items in answers (Enumerate + Pull), reset before each run */
  readonly items?: { value: number };
  /** the host to load (default: the server's first host) */
  readonly host?: string;
  /** at most this many requests in one run */
  readonly amount?: number;
}

/** What a scenario's load may depend on: the server (its hosts) and which run this is. */
export interface RunContext {
  readonly server: ServerChild;
  /** 0, 1, 2… over the scenario's runs (warm-up included) */
  readonly run: number;
}

export interface Scenario {
  readonly id: string;
  readonly title: string;
  /** which server answers (scenarios with equal specs share one server process) */
  readonly server: ServerSpec;
  readonly scheme: 'http' | 'https';
  /** the load of one run */
  load(ctx: RunContext): ScenarioLoad;
  /** the request the minimal server gets (default: the load's fixed body) */
  readonly minimalBody?: Buffer;
  /** a fixed-body answer must contain this (checked once before the load) */
  readonly expect: string;
  /** the result is reported in items/s (Pull) */
  readonly itemsPerSecond?: boolean;
  /** wait for the server's background work (migrations) after each run */
  readonly settle?: boolean;
}

const fixed = (xml: string, headers: Record<string, string> = {}): ScenarioLoad => ({
  body: Buffer.from(xml, 'utf8'),
  headers: { 'Content-Type': SOAP_UTF8, Authorization: BASIC, ...headers },
});

/** Enumerate (optimized, first page in the answer) then Pull pages until EndOfSequence, per connection. */
export function enumeratePullLoad(resourceUri: string, page: number, itemMarker = 'xsi:type="p:'): ScenarioLoad {
  const items = { value: 0 };
  interface Ctx { id?: string }
  const headers = { 'Content-Type': SOAP_UTF8, Authorization: BASIC };
  const first: autocannon.Request = {
    method: 'POST',
    headers,
    body: env.enumerate(resourceUri, { optimize: true, maxElements: page }),
    onResponse: (status, body, c) => {
      const ctx = c as Ctx;
      if (status !== 200) return;
      items.value += env.count(body, itemMarker);
      ctx.id = env.contextOf(body) || undefined;
    },
  };
  const next: autocannon.Request = {
    method: 'POST',
    setupRequest: (req, c) => {
      const ctx = c as Ctx;
      if (!ctx.id) return null as unknown as autocannon.Request; // done (or failed): start again
      return { ...req, headers, body: env.pull(resourceUri, ctx.id, page) };
    },
    onResponse: (status, body, c) => {
      const ctx = c as Ctx;
      if (status !== 200) {
        ctx.id = undefined;
        return;
      }
      items.value += env.count(body, itemMarker);
      ctx.id = env.contextOf(body) || undefined;
    },
  };
  // enough Pulls for the largest enumeration; the sequence restarts when the context ends
  const requests: autocannon.Request[] = [first];
  for (let i = 0; i < 100_000 / page + 2; i++) requests.push(next);
  return { requests, items };
}

// ------------------------------------------------------------------------------ core world --

const T_THING = env.WMI + 'root/test/T_Thing';
const T_PAIR = env.WMI + 'root/test/T_Pair';
const TEST_ALL = env.WMI + 'root/test/*';
const GET_THING = env.get(T_THING, { Id: 'one' });
const EMB = '&lt;INSTANCE CLASSNAME="T_Thing"&gt;&lt;PROPERTY NAME="Id" TYPE="string"&gt;&lt;VALUE&gt;one&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;PROPERTY NAME="Label" TYPE="string"&gt;&lt;VALUE&gt;First&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;';
export const PULL_PAGE = 512;

export function coreScenarios(pairs = 10_000): Scenario[] {
  const server: ServerSpec = { kind: 'core', pairs, https: true };
  return [
    {
      id: 'identify',
      title: 'Identify',
      server,
      scheme: 'http',
      load: () => fixed(env.IDENTIFY),
      expect: 'IdentifyResponse',
    },
    {
      id: 'get',
      title: 'Get (core T_Thing)',
      server,
      scheme: 'http',
      load: () => fixed(GET_THING),
      expect: 'GetResponse',
    },
    {
      id: 'invoke',
      title: 'Invoke (core T_Thing.Echo: REF out, embedded instance in)',
      server,
      scheme: 'http',
      load: () => fixed(env.invoke(T_THING, 'Echo', undefined, `<p:S>hello</p:S><p:Emb>${EMB}</p:Emb>`)),
      expect: 'Echo_OUTPUT',
    },
    {
      id: 'enum5',
      title: 'Enumerate optimized, 5 instances (core T_Thing)',
      server,
      scheme: 'http',
      load: () => fixed(env.enumerate(T_THING, { optimize: true, maxElements: 32000 })),
      expect: 'EndOfSequence',
    },
    {
      id: 'pull',
      title: `Enumerate + Pull ${PULL_PAGE}/page through ${pairs.toLocaleString('en-US')} (core T_Pair)`,
      server,
      scheme: 'http',
      load: () => enumeratePullLoad(T_PAIR, PULL_PAGE),
      minimalBody: Buffer.from(env.pull(T_PAIR, 'uuid:00000000-0000-0000-0000-000000000000', PULL_PAGE)),
      expect: 'EnumerateResponse',
      itemsPerSecond: true,
    },
    {
      id: 'wql',
      title: `WQL WHERE over ${pairs.toLocaleString('en-US')} (core T_Pair)`,
      server,
      scheme: 'http',
      load: () => fixed(env.enumerate(TEST_ALL, { optimize: true, wql: `SELECT * FROM T_Pair WHERE Value = 'v${Math.floor(pairs / 2)}'` })),
      expect: `>v${Math.floor(pairs / 2)}<`,
    },
    {
      id: 'ntlm-get',
      title: 'Get over NTLM, sealed (core T_Thing)',
      server,
      scheme: 'http',
      load: () => ({ requests: ntlmSealedRequests(Buffer.from(GET_THING, 'utf8'), ADMIN) }),
      minimalBody: Buffer.from(GET_THING, 'utf8'),
      expect: '',
    },
    {
      id: 'https-get',
      title: 'Get, Basic over HTTPS (core T_Thing)',
      server,
      scheme: 'https',
      load: () => fixed(GET_THING),
      expect: 'GetResponse',
    },
  ];
}
