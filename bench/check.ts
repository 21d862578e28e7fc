/**
 * `npm run bench:check`: the CI regression check. A short run of a few scenarios at 16
 * connections, each the best of a few interleaved runs against the minimal server, compared as
 * ratios to the minimal server (machines differ and are noisy; ratios travel) with
 * bench/results/baseline.json. Two ratios are kept per scenario:
 *  - throughput: server req/s ÷ minimal req/s;
 *  - work: minimal CPU µs per answer ÷ server CPU µs per answer. Other processes on the machine
 *    take CPU time from both servers but barely change how much each answer costs, so this one
 *    stays steady where throughput jumps about.
 * A scenario regresses when its throughput ratio falls more than 30 % below the baseline's and
 * either its work ratio does too (each answer costs more), or the throughput ratio halved while
 * the server sat mostly idle (a stall: Nagle, a lock, a timer). A scenario that fails is measured
 * once more before it counts. Exits 1 on a regression.
 *
 *   npm run bench:check                     compare with the baseline
 *   npm run bench:check -- --update         measure and write the baseline (same short method)
 *   npm run bench:check -- --tolerance 0.3 --duration 1 --reps 3
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machineInfo } from './lib/machine.js';
import { RESULTS_DIR, parseArgs } from './lib/args.js';
import { ServerPool, runScenario, type ScenarioResult } from './lib/runner.js';
import { checkScenarios } from './lib/check-scenarios.js';

interface BaselineEntry {
  readonly id: string;
  readonly conns: number;
  readonly ratio: number;
  readonly costRatio: number;
  readonly rps: number;
  readonly minimalRps: number;
}

interface Baseline {
  readonly date: string;
  readonly machine: ReturnType<typeof machineInfo>;
  readonly method: { readonly durationSec: number; readonly reps: number; readonly warmupSec: number; readonly connections: number };
  readonly scenarios: readonly BaselineEntry[];
}

export const BASELINE = join(RESULTS_DIR, 'baseline.json');

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const durationSec = Number(a.get('duration') ?? 1);
  const reps = Number(a.get('reps') ?? 3);
  const warmupSec = Number(a.get('warmup') ?? 0.5);
  const tolerance = Number(a.get('tolerance') ?? 0.3);
  const update = a.get('update') === 'true';
  const conns = 16;
  const log = (s: string) => process.stdout.write(s + '\n');

  const baseline = existsSync(BASELINE) ? (JSON.parse(readFileSync(BASELINE, 'utf8')) as Baseline) : undefined;
  if (!baseline && !update) {
    log(`no baseline at ${BASELINE}: run npm run bench:check -- --update`);
    process.exit(1);
  }
  const scenarios = await checkScenarios();
  const pool = new ServerPool({}, log);
  const results: ScenarioResult[] = [];
  const failures: string[] = [];
  const opts = { durationSec, reps, warmupSec, connections: [conns] };
  log(`bench:check — ${scenarios.length} scenarios, ${conns} connections, best of ${reps} × ${durationSec} s, tolerance ${Math.round(tolerance * 100)} %`);
  log('| scenario | req/s | minimal req/s | ratio | baseline | work ratio | baseline | verdict |');
  log('|---|---|---|---|---|---|---|---|');
  try {
    for (const s of scenarios) {
      let [r] = await runScenario(pool, s, opts);
      const found = baseline?.scenarios.find((b) => b.id === s.id && b.conns === conns);
      const base = found && typeof found.costRatio === 'number' && !update ? found : undefined;
      let verdict = 'new';
      if (base) {
        const regressed = (x: ScenarioResult) => {
          const slower = x.ratio < base.ratio * (1 - tolerance);
          const costlier = x.costRatio < base.costRatio * (1 - tolerance);
          const stalled = x.ratio < base.ratio * 0.5 && x.server.cpuPct < 50;
          return slower && (costlier || stalled);
        };
        if (regressed(r)) {
          // once more before it counts: a noisy neighbour can take one series of runs
          const [again] = await runScenario(pool, s, opts);
          if (!regressed(again) || again.ratio > r.ratio) r = again;
        }
        verdict = regressed(r) ? 'REGRESSION' : 'ok';
        if (verdict === 'REGRESSION') {
          failures.push(
            `${s.id}: throughput ratio ${r.ratio.toFixed(3)} (baseline ${base.ratio.toFixed(3)}), work ratio ${r.costRatio.toFixed(3)} (baseline ${base.costRatio.toFixed(3)}), server CPU ${Math.round(r.server.cpuPct)} %`,
          );
        }
      }
      results.push(r);
      const pct = (now: number, then: number) => `${now >= then ? '+' : ''}${(((now - then) / then) * 100).toFixed(0)} %`;
      log(
        `| ${s.id} | ${Math.round(r.server.rps)} | ${Math.round(r.minimal.rps)} | ${r.ratio.toFixed(3)} | ${base ? `${base.ratio.toFixed(3)} (${pct(r.ratio, base.ratio)})` : '—'} ` +
          `| ${r.costRatio.toFixed(3)} | ${base ? `${base.costRatio.toFixed(3)} (${pct(r.costRatio, base.costRatio)})` : '—'} | ${verdict} |`,
      );
    }
  } finally {
    await pool.stopAll();
  }
  if (update) {
    const out: Baseline = {
      date: new Date().toISOString(),
      machine: machineInfo(),
      method: { durationSec, reps, warmupSec, connections: conns },
      scenarios: results.map((r) => ({
        id: r.id, conns: r.conns, ratio: round3(r.ratio), costRatio: round3(r.costRatio), rps: Math.round(r.server.rps), minimalRps: Math.round(r.minimal.rps),
      })),
    };
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(BASELINE, JSON.stringify(out, null, 2) + '\n');
    log(`baseline written: ${BASELINE}`);
    return;
  }
  if (failures.length) {
    log(`\nFAILED: ${failures.length} regression(s) beyond ${Math.round(tolerance * 100)} %:\n  ${failures.join('\n  ')}`);
    process.exit(1);
  }
  log('\nno regression');
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(2);
});
