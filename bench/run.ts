/**
 * `npm run bench`: the WS-Man server against the physical limit (a minimal Node `http` server on
 * the same machine), scenario by scenario, at 1 and 16 keep-alive connections; then start-up,
 * memory and Pull cost at scale. Prints a Markdown table and writes bench/results/<name>.json.
 *
 *   npm run bench -- [--duration 3] [--reps 2] [--warmup 1] [--conns 1,16] [--only id,id]
 *                    [--name <file name>] [--no-save] [--no-scale] [--scale-only]
 *                    [--profile <dir>] [--server-flags="--node-flag …"]
 *
 * --profile writes a V8 CPU profile of each server process into <dir> (summarise one with
 * `node dist/scripts/bench-profile.js <file>`); --server-flags passes node flags to them.
 *
 * The server runs in a child process (bench/server.ts); autocannon runs here. Numbers are only
 * comparable on one machine: compare ratios, not req/s, across machines.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { RESULTS_DIR, parseArgs } from './lib/args.js';
import { machineInfo } from './lib/machine.js';
import { TABLE_HEADER, ServerPool, formatRow, runScenario, type ScenarioResult } from './lib/runner.js';
import { allScenarios } from './lib/catalogue.js';
import { evaluateTargets, formatTargets } from './lib/targets.js';
import { runScale, type ScaleResult } from './lib/scale.js';

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const durationSec = Number(a.get('duration') ?? 3);
  const reps = Number(a.get('reps') ?? 2);
  const warmupSec = Number(a.get('warmup') ?? 1);
  const connections = (a.get('conns') ?? '1,16').split(',').map(Number);
  const only = a.get('only')?.split(',');
  const profileDir = a.get('profile');
  const log = (s: string) => process.stdout.write(s + '\n');

  const machine = machineInfo();
  log(`# vmms-emu bench — ${new Date().toISOString()}`);
  log(`${machine.cpuModel}, ${machine.cpus} CPUs, ${machine.memoryGB} GB, ${machine.os}, Node ${machine.node}; load average ${machine.loadAverageAtStart}`);
  log(`keep-alive, 1 request in flight per connection, ${durationSec} s per run, best of ${reps} interleaved runs per side, autocannon in this process, servers in child processes\n`);

  const nodeFlags = a.get('server-flags')?.split(' ').filter(Boolean);
  const pool = new ServerPool({ cpuProfDir: profileDir, execArgv: nodeFlags }, log);
  const results: ScenarioResult[] = [];
  const scaleOnly = a.get('scale-only') === 'true';
  const scenarios = scaleOnly ? [] : (await allScenarios()).filter((s) => !only || only.includes(s.id));
  log(TABLE_HEADER);
  try {
    for (const s of scenarios) {
      results.push(...(await runScenario(pool, s, { durationSec, reps, warmupSec, connections })));
      log(results.slice(-connections.length).map(formatRow).join('\n'));
    }
  } finally {
    await pool.stopAll();
  }
  for (const s of scenarios) log(`  ${s.id}: ${s.title}`);

  let scale: ScaleResult | undefined;
  if (scaleOnly || (a.get('no-scale') !== 'true' && !only)) {
    log('\n## Start-up, memory and Pull cost at scale');
    scale = await runScale({ log, durationSec: Math.max(2, Math.min(durationSec, 4)) });
  }
  const targets = evaluateTargets(results, scale);
  log('\n## Targets (16 connections)');
  log(formatTargets(targets));

  if (a.get('no-save') !== 'true') {
    const name = a.get('name') ?? `${new Date().toISOString().slice(0, 10)}-${machine.commit ?? 'nocommit'}`;
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        { date: new Date().toISOString(), machine, loadAverageAtEnd: Math.round(loadavg()[0] * 100) / 100, options: { durationSec, reps, warmupSec, connections }, scenarios: results, scale, targets },
        null,
        2,
      ) + '\n',
    );
    log(`\nsaved ${file}`);
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e);
  process.exit(1);
});
