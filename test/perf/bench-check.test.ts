/**
 * The performance regression check (bench/check.ts) as part of the suite: a short bench of the
 * hot path against the minimal Node server, compared as ratios with bench/results/baseline.json.
 * It builds dist first (the bench runs the compiled server in child processes) and takes about a
 * minute; it fails when a scenario's ratios fall more than 30 % below the baseline's.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../src/cim/schema-loader.js';

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
}

describe('bench:check', () => {
  it('no scenario regressed beyond the tolerance against the baseline', { timeout: 300_000 }, async () => {
    const tsc = join(projectRoot(), 'node_modules', 'typescript', 'bin', 'tsc');
    const build = await run(process.execPath, [tsc, '-p', '.']);
    expect(build.code, build.out).toBe(0);
    const check = await run(process.execPath, [join(projectRoot(), 'dist', 'bench', 'check.js')]);
    // the table goes to the test's output either way
    console.log(check.out);
    expect(check.code, check.out).toBe(0);
  });
});
