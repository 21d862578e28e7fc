/**
 * The soak (scripts/soak.ts) in its short form for CI: 20 s of mixed load (Basic and NTLM-sealed
 * clients in two worker processes: Gets, enumerations left to expire, WQL, migrations, state
 * changes, Identify, malformed and oversized requests, connection churn) against an emulator with
 * durable state, in a process of its own built from the sources. The RSS must stay bounded after
 * the warm-up, and the emulator's close() must leave no file descriptor and no timer behind.
 * `npm run soak` is the ten-minute run (RSS curve in test-artifacts/soak-rss.csv).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import type { SoakSummary } from '../../scripts/soak.js';
import { privateBuild, ROOT } from '../helpers/robustness.js';

describe('soak (short)', () => {
  test('20 s of mixed load: memory bounded, nothing left behind after close()', { timeout: 180_000 }, async () => {
    const build = privateBuild('soak');
    const out = mkdtempSync(join(tmpdir(), 'vmms-soak-out-'));
    try {
      const child = spawn(process.execPath, ['--expose-gc', join(build, 'scripts', 'soak.js'), '--duration', '20', '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString()));
      child.stderr.on('data', (d: Buffer) => (text += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
      const summary = JSON.parse(readFileSync(join(out, 'soak-summary.json'), 'utf8')) as SoakSummary;
      const csv = readFileSync(join(out, 'soak-rss.csv'), 'utf8').trim().split('\n');
      console.log(`soak: ${summary.requests} requests (${summary.requestsPerSecond}/s), RSS ${summary.rssMB.firstQuarter} → ${summary.rssMB.lastQuarter} MB (max ${summary.rssMB.max}), fds ${summary.fds.before}/${summary.fds.peak}/${summary.fds.after}, timers ${summary.timers.before}/${summary.timers.after}`);
      expect(summary.problems, text.slice(-2000)).toEqual([]);
      expect(code).toBe(0);
      expect(csv.length).toBeGreaterThan(15);
      expect(summary.requests).toBeGreaterThan(5000);
      expect(summary.fds.after).toBeLessThanOrEqual(summary.fds.before);
      expect(summary.timers.after).toBeLessThanOrEqual(summary.timers.before);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
