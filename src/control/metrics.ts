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
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestRecord } from './request-log.js';

/** What the collectors read at scrape time. */
export interface MetricsSource {
  hosts(): ReadonlyArray<{ name: string; enumerations: number }>;
  jobs(): Iterable<{ host: string; state: string; migration: boolean }>;
  migrations(): Iterable<{ state: string }>;
  vms(): Iterable<{ host: string; state: string }>;
  hostDown(host: string): boolean;
  ruleCount(): number;
}

export class EmulatorMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'host' | 'operation' | 'outcome' | 'fault'>;
  private readonly duration: Histogram<'host' | 'operation'>;
  private readonly authFailures: Counter<'host'>;
  private readonly injections: Counter<'host' | 'effect'>;
  /** label children by key: a request pays one Map lookup, not a label hash */
  private readonly requestChildren = new Map<string, { inc(): void }>();
  private readonly durationChildren = new Map<string, { observe(v: number): void }>();

  constructor(source: MetricsSource) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'vmms_requests_total', help: 'WS-Management requests by host, operation and outcome (ok, fault, challenge, unauthorized, error, injected)',
      labelNames: ['host', 'operation', 'outcome', 'fault'], registers,
    });
    this.duration = new Histogram({
      name: 'vmms_request_duration_seconds', help: 'Time from request to answer',
      labelNames: ['host', 'operation'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
    });
    this.authFailures = new Counter({ name: 'vmms_auth_failures_total', help: 'Requests refused for authentication (401/403 that end the exchange)', labelNames: ['host'], registers });
    this.injections = new Counter({ name: 'vmms_injected_faults_total', help: 'Faults injected by rule, by host and effect', labelNames: ['host', 'effect'], registers });
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
  }

  observeRequest(r: RequestRecord): void {
    const fault = r.fault ?? '';
    const k = `${r.host}\0${r.operation}\0${r.outcome}\0${fault}`;
    let c = this.requestChildren.get(k);
    if (!c) this.requestChildren.set(k, (c = this.requests.labels({ host: r.host, operation: r.operation, outcome: r.outcome, fault })));
    c.inc();
    if (r.outcome === 'injected' && (r.injected === 'hang' || r.injected === 'reset')) return;
    const dk = `${r.host}\0${r.operation}`;
    let d = this.durationChildren.get(dk);
    if (!d) this.durationChildren.set(dk, (d = this.duration.labels({ host: r.host, operation: r.operation })));
    d.observe(r.durationMs / 1000);
  }

  authFailure(host: string): void {
    this.authFailures.inc({ host });
  }

  injected(host: string | undefined, effect: string): void {
    this.injections.inc({ host: host ?? '', effect });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
