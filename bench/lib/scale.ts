/**
 * Start-up, memory and Pull cost at scale:
 *  - start-up: from fork() of a fresh server process to the first answered Identify, for the
 *    default world as `npm start` serves it (HTTPS on, certificates already generated: the
 *    normal case after the first start) and for the large world (1 000 hosts × 20 VMs, HTTP only);
 *  - memory: RSS of the large world once it also holds 111 000 finished jobs (100 000 on HV1,
 *    10 000 on HV2, 1 000 on HV3), after a full GC;
 *  - Pull: items/s of Enumerate + Pull through 1 000, 10 000 and 100 000 jobs (HV3, HV2, HV1):
 *    constant if a Pull costs in proportion to its page, not to the enumeration.
 */
import { ServerChild } from './child.js';
import { BASIC, SOAP_UTF8, enumeratePullLoad } from './scenarios.js';
import * as env from './envelopes.js';
import { JOB_PAGE, V2, hypervAvailable } from './hyperv-scenarios.js';
import { hostName } from './hyperv-world.js';
import { runLoad } from './load.js';
import { probe } from './runner.js';
import type { ServerSpec } from './protocol.js';

export interface StartupResult {
  readonly world: 'default' | 'large';
  /** fork() to the first answered Identify, best of the starts */
  readonly firstIdentifyMs: number;
  /** every start */
  readonly startsMs: number[];
  /** fork() to listening, as the parent saw it */
  readonly readyMs: number;
  /** RSS right after start-up (large world: after the jobs were made too, after GC) */
  readonly rssMB: number;
  readonly heapUsedMB: number;
  readonly hosts: number;
  readonly vms: number;
  readonly jobs: number;
  readonly source: string;
  /** how long making the jobs took (large world) */
  readonly prepare?: string;
}

export interface PullScaleResult {
  readonly jobs: number;
  readonly itemsPerSec: number;
  readonly pullsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export interface ScaleResult {
  readonly startup: StartupResult[];
  readonly pull: PullScaleResult[];
  readonly pullPage: number;
  readonly notes: string[];
}

async function firstIdentify(spec: ServerSpec): Promise<{ child: ServerChild; ms: number }> {
  const child = await ServerChild.start(spec, { timeoutMs: 600_000 });
  const body = Buffer.from(env.IDENTIFY);
  const r = await probe(child.url('http'), body, { 'Content-Type': SOAP_UTF8, Authorization: BASIC });
  const ms = performance.now() - child.forkedAt;
  if (r.status !== 200) throw new Error(`Identify answered ${r.status}`);
  return { child, ms };
}

export async function runScale(o: { log: (s: string) => void; durationSec: number; starts?: number }): Promise<ScaleResult> {
  const log = o.log;
  const notes: string[] = [];
  const startup: StartupResult[] = [];
  const pull: PullScaleResult[] = [];
  if (!(await hypervAvailable())) {
    notes.push('src/providers/hyperv is not built: start-up, memory and Pull at scale need it');
    log(notes[0]);
    return { startup, pull, pullPage: JOB_PAGE, notes };
  }

  // default world, as npm start serves it (first start generates certificates: not timed)
  const defaultSpec: ServerSpec = { kind: 'hyperv', world: { kind: 'file', file: 'default.yaml' }, https: true };
  await (await firstIdentify(defaultSpec)).child.stop();
  const times: number[] = [];
  let last: { child: ServerChild; ms: number } | undefined;
  for (let i = 0; i < (o.starts ?? 3); i++) {
    last = await firstIdentify(defaultSpec);
    times.push(Math.round(last.ms));
    if (i < (o.starts ?? 3) - 1) await last.child.stop();
  }
  const u = await last!.child.usage(true);
  startup.push({
    world: 'default', firstIdentifyMs: Math.min(...times), startsMs: times, readyMs: Math.round(last!.child.spawnToReadyMs),
    rssMB: u.rss / 1048576, heapUsedMB: u.heapUsed / 1048576, hosts: 2, vms: 6, jobs: 0, source: 'worlds/default.yaml, HTTP + HTTPS',
  });
  await last!.child.stop();
  log(`default world: first Identify ${times.join(' / ')} ms after fork (best ${Math.min(...times)} ms), RSS ${Math.round(u.rss / 1048576)} MB`);

  // the large world
  const largeSpec: ServerSpec = { kind: 'hyperv', world: { kind: 'large', hosts: 1000, vmsPerHost: 20 }, https: false, clockScale: 1 };
  const big = await firstIdentify(largeSpec);
  const before = await big.child.usage(true);
  log(`large world (1 000 hosts × 20 VMs): first Identify ${Math.round(big.ms)} ms after fork, RSS ${Math.round(before.rss / 1048576)} MB`);
  const prepared = await big.child.note('prepare');
  const after = await big.child.usage(true);
  startup.push({
    world: 'large', firstIdentifyMs: big.ms, startsMs: [Math.round(big.ms)], readyMs: Math.round(big.child.spawnToReadyMs),
    rssMB: after.rss / 1048576, heapUsedMB: after.heapUsed / 1048576, hosts: 1000, vms: 20_000, jobs: 111_000,
    source: 'generated 1 000 hosts × 20 VMs, HTTP only; RSS after 111 000 finished jobs', prepare: prepared,
  });
  log(`  ${prepared}; RSS ${Math.round(after.rss / 1048576)} MB (heap ${Math.round(after.heapUsed / 1048576)} MB) with 20 000 VMs and 111 000 jobs`);

  // Pull cost against the enumeration's size
  for (const [hostIndex, jobs] of [[2, 1_000], [1, 10_000], [0, 100_000]] as const) {
    const load = enumeratePullLoad(V2 + 'Msvm_ConcreteJob', JOB_PAGE);
    const url = big.child.url('http', hostName(hostIndex));
    await runLoad({ url, connections: 16, durationSec: 1, requests: load.requests }); // warm-up
    load.items!.value = 0;
    const r = await runLoad({ url, connections: 16, durationSec: o.durationSec, requests: load.requests });
    const itemsPerSec = load.items!.value / r.seconds;
    pull.push({ jobs, itemsPerSec, pullsPerSec: r.rps, p50Ms: r.p50Ms, p99Ms: r.p99Ms });
    log(`  Pull ${JOB_PAGE}/page through ${jobs.toLocaleString('en-US')} jobs: ${Math.round(itemsPerSec)} items/s (${Math.round(r.rps)} requests/s, p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms)`);
  }
  await big.child.stop();
  return { startup, pull, pullPage: JOB_PAGE, notes };
}
