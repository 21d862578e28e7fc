/**
 * Prometheus metrics of one emulator, in a registry of its own (several emulators can run in one
 * process). Served at `/metrics` on the control port.
 *
 *   vmms_requests_total{host,operation,outcome,fault}      counter   every /wsman request
 *   vmms_request_duration_seconds{host,operation}          histogram time to the answer
 *   vmms_auth_failures_total{host}                         counter   requests refused for authentication
 *   vmms_injected_faults_total{host,effect}                counter   what fault injection did
 *   vmms_enumeration_contexts{host}                        gauge     live enumeration contexts
 *   vmms_jobs{host,state}                                  gauge     jobs kept by each host, by state
 *   vmms_migrations_in_flight{state}                       gauge     queued and running migration jobs
 *   vmms_vms{host,state}                                   gauge     VMs by power state
 *   vmms_host_up{host}                                     gauge     0 while a host effect has it down
 *   vmms_fault_rules                                       gauge     fault-injection rules in force
 */
import { createRequire } from 'node:module';
import type { Counter, Registry } from 'prom-client';
import type { RequestRecord } from './request-log.js';

type PromClient = typeof import('prom-client');

const DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A counter's value for one label set, in first-seen order (prom-client's export order). */
interface Count<L extends string> {
  readonly labels: Record<L, string>;
  n: number;
}

/** One label set of the duration histogram, laid out as prom-client keeps it. */
interface Durations {
  readonly labels: { host: string; operation: string };
  readonly buckets: number[];
  sum: number;
  count: number;
}

/** What the collectors read at scrape time. */
export interface MetricsSource {
  hosts(): ReadonlyArray<{ name: string; enumerations: number }>;
  jobs(): Iterable<{ host: string; state: string; migration: boolean }>;
  migrations(): Iterable<{ state: string }>;
  vms(): Iterable<{ host: string; state: string }>;
  hostDown(host: string): boolean;
  ruleCount(): number;
}

/**
 * Requests are counted in plain maps and prom-client is loaded at the first scrape (it cost ~18 ms of
 * every start-up, and its per-request label hashing sat on the hot path). The scrape output is what
 * prom-client's own counters and histogram wrote: its registry formats the same values in the same
 * order.
 */
export class EmulatorMetrics {
  private registryCache: Registry | undefined;
  private readonly requests = new Map<string, Count<'host' | 'operation' | 'outcome' | 'fault'>>();
  private readonly durations = new Map<string, Durations>();
  private readonly authFailures = new Map<string, Count<'host'>>();
  private readonly injections = new Map<string, Count<'host' | 'effect'>>();

  constructor(private readonly source: MetricsSource) {}

  /** The prom-client registry, built at the first scrape. */
  get registry(): Registry {
    return (this.registryCache ??= this.buildRegistry(createRequire(import.meta.url)('prom-client') as PromClient));
  }

  private buildRegistry(prom: PromClient): Registry {
    const { Counter, Gauge, Registry } = prom;
    const registry = new Registry();
    const registers = [registry];
    const source = this.source;
    const replay = <L extends string>(counts: Map<string, Count<L>>) =>
      function (this: Counter<L>): void {
        this.reset();
        for (const c of counts.values()) this.inc(c.labels, c.n);
      };
    new Counter({
      name: 'vmms_requests_total', help: 'WS-Management requests by host, operation and outcome (ok, fault, challenge, unauthorized, error, injected)',
      labelNames: ['host', 'operation', 'outcome', 'fault'], registers, collect: replay(this.requests),
    });
    registry.registerMetric(this.durationMetric() as unknown as Counter<string>);
    new Counter({ name: 'vmms_auth_failures_total', help: 'Requests refused for authentication (401/403 that end the exchange)', labelNames: ['host'], registers, collect: replay(this.authFailures) });
    new Counter({ name: 'vmms_injected_faults_total', help: 'Faults injected by rule, by host and effect', labelNames: ['host', 'effect'], registers, collect: replay(this.injections) });
    new Gauge({
      name: 'vmms_enumeration_contexts', help: 'Live enumeration contexts', labelNames: ['host'], registers,
      collect() {
        this.reset();
        for (const h of source.hosts()) this.set({ host: h.name }, h.enumerations);
      },
    });
    new Gauge({
      name: 'vmms_jobs', help: 'Jobs kept by each host, by JobState', labelNames: ['host', 'state'], registers,
      collect() {
        this.reset();
        const n = new Map<string, [string, string, number]>();
        for (const j of source.jobs()) {
          const k = `${j.host}\0${j.state}`;
          const cur = n.get(k);
          if (cur) cur[2]++;
          else n.set(k, [j.host, j.state, 1]);
        }
        for (const [host, state, v] of n.values()) this.set({ host, state }, v);
      },
    });
    new Gauge({
      name: 'vmms_migrations_in_flight', help: 'Migration jobs queued or running', labelNames: ['state'], registers,
      collect() {
        let queued = 0;
        let running = 0;
        for (const m of source.migrations()) {
          if (m.state === 'new') queued++;
          else running++;
        }
        this.set({ state: 'queued' }, queued);
        this.set({ state: 'running' }, running);
      },
    });
    new Gauge({
      name: 'vmms_vms', help: 'Virtual machines by host and power state', labelNames: ['host', 'state'], registers,
      collect() {
        this.reset();
        const n = new Map<string, [string, string, number]>();
        for (const v of source.vms()) {
          const k = `${v.host}\0${v.state}`;
          const cur = n.get(k);
          if (cur) cur[2]++;
          else n.set(k, [v.host, v.state, 1]);
        }
        for (const [host, state, c] of n.values()) this.set({ host, state }, c);
      },
    });
    new Gauge({
      name: 'vmms_host_up', help: '1 when the host answers, 0 while fault injection has it down', labelNames: ['host'], registers,
      collect() {
        this.reset();
        for (const h of source.hosts()) this.set({ host: h.name }, source.hostDown(h.name) ? 0 : 1);
      },
    });
    new Gauge({
      name: 'vmms_fault_rules', help: 'Fault-injection rules in force', registers,
      collect() {
        this.set(source.ruleCount());
      },
    });
    return registry;
  }

  /**
   * vmms_request_duration_seconds as prom-client's Histogram exports it (buckets cumulative, then
   * +Inf, _sum and _count per label set), for its registry to format.
   */
  private durationMetric(): object {
    const name = 'vmms_request_duration_seconds';
    const durations = this.durations;
    const get = () => {
      const values: object[] = [];
      for (const d of durations.values()) {
        let acc = 0;
        for (let b = 0; b < DURATION_BUCKETS.length; b++) {
          acc += d.buckets[b];
          values.push({ labels: { le: DURATION_BUCKETS[b] }, sharedLabels: d.labels, value: acc, metricName: `${name}_bucket`, exemplar: null });
        }
        values.push(
          { labels: { le: '+Inf' }, sharedLabels: d.labels, value: d.count, metricName: `${name}_bucket`, exemplar: null },
          { labels: {}, sharedLabels: d.labels, value: d.sum, metricName: `${name}_sum`, exemplar: undefined },
          { labels: {}, sharedLabels: d.labels, value: d.count, metricName: `${name}_count`, exemplar: undefined },
        );
      }
      return { name, help: 'Time from request to answer', type: 'histogram', values, aggregator: 'sum' };
    };
    return { name, type: 'histogram', help: 'Time from request to answer', getForPromString: async () => get() };
  }

  observeRequest(r: RequestRecord): void {
    const fault = r.fault ?? '';
    const k = `${r.host}\0${r.operation}\0${r.outcome}\0${fault}`;
    const c = this.requests.get(k);
    if (c) c.n++;
    else this.requests.set(k, { labels: { host: r.host, operation: r.operation, outcome: r.outcome, fault }, n: 1 });
    if (r.outcome === 'injected' && (r.injected === 'hang' || r.injected === 'reset')) return;
    const dk = `${r.host}\0${r.operation}`;
    let d = this.durations.get(dk);
    if (!d) this.durations.set(dk, (d = { labels: { host: r.host, operation: r.operation }, buckets: DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 }));
    const v = r.durationMs / 1000;
    if (!Number.isFinite(v)) throw new TypeError(`Value is not a valid number: ${v}`);
    d.sum += v;
    d.count++;
    for (let b = 0; b < DURATION_BUCKETS.length; b++) {
      if (v <= DURATION_BUCKETS[b]) {
        d.buckets[b]++;
        break;
      }
    }
  }

  authFailure(host: string): void {
    countIn(this.authFailures, host, { host });
  }

  injected(host: string | undefined, effect: string): void {
    countIn(this.injections, `${host ?? ''}\0${effect}`, { host: host ?? '', effect });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function countIn<L extends string>(counts: Map<string, Count<L>>, key: string, labels: Record<L, string>): void {
  const c = counts.get(key);
  if (c) c.n++;
  else counts.set(key, { labels, n: 1 });
}
