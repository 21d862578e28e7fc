import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { EmulatorMetrics } from '../../../src/control/metrics.js';
import type { RequestRecord } from '../../../src/control/request-log.js';

const source = { hosts: () => [], jobs: () => [], migrations: () => [], vms: () => [], hostDown: () => false, ruleCount: () => 0 };

/** The request metrics as prom-client's own Counter and Histogram kept them before counting moved in-house. */
function promClientReference() {
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: 'vmms_requests_total', help: 'WS-Management requests by host, operation and outcome (ok, fault, challenge, unauthorized, error, injected)',
    labelNames: ['host', 'operation', 'outcome', 'fault'], registers,
  });
  const duration = new Histogram({
    name: 'vmms_request_duration_seconds', help: 'Time from request to answer',
    labelNames: ['host', 'operation'], buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers,
  });
  const auth = new Counter({ name: 'vmms_auth_failures_total', help: 'Requests refused for authentication (401/403 that end the exchange)', labelNames: ['host'], registers });
  const inj = new Counter({ name: 'vmms_injected_faults_total', help: 'Faults injected by rule, by host and effect', labelNames: ['host', 'effect'], registers });
  return {
    registry,
    observe(r: RequestRecord) {
      requests.labels({ host: r.host, operation: r.operation, outcome: r.outcome, fault: r.fault ?? '' }).inc();
      if (r.outcome === 'injected' && (r.injected === 'hang' || r.injected === 'reset')) return;
      duration.labels({ host: r.host, operation: r.operation }).observe(r.durationMs / 1000);
    },
    auth: (host: string) => auth.inc({ host }),
    injected: (host: string | undefined, effect: string) => inj.inc({ host: host ?? '', effect }),
  };
}

describe('EmulatorMetrics', () => {
  it('scrapes exactly what prom-client counters and a histogram wrote for the same requests', async () => {
    const ours = new EmulatorMetrics(source);
    const ref = promClientReference();
    const ops = ['Get', 'Enumerate', 'Invoke', 'Pull'];
    const outcomes = ['ok', 'fault', 'injected', 'challenge'] as const;
    let seed = 3;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let i = 0; i < 2000; i++) {
      const outcome = outcomes[rnd(outcomes.length)];
      const r = {
        host: rnd(3) ? 'HV1' : 'H"V\\2', operation: ops[rnd(ops.length)], outcome,
        durationMs: rnd(5) === 0 ? rnd(20000) : rnd(1000) / 97, fault: outcome === 'fault' ? 'InvalidSelectors' : undefined,
        injected: outcome === 'injected' ? (rnd(2) ? 'hang' : 'delay') : undefined,
      } as unknown as RequestRecord;
      ours.observeRequest(r);
      ref.observe(r);
      if (i % 7 === 0) {
        ours.authFailure('HV1');
        ref.auth('HV1');
      }
      if (i % 11 === 0) {
        ours.injected(i % 2 ? undefined : 'HV1', 'reset');
        ref.injected(i % 2 ? undefined : 'HV1', 'reset');
      }
      if (i === 500) expect((await ours.text()).startsWith(await ref.registry.metrics())).toBe(true);
    }
    const text = await ours.text();
    expect(text.startsWith(await ref.registry.metrics())).toBe(true);
    expect(text).toContain('vmms_request_duration_seconds_bucket{le="+Inf",host="HV1",operation="Get"}');
    expect(ours.contentType).toBe(ref.registry.contentType);
  });
});
