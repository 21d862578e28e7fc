/**
 * The fuzzer (scripts/fuzz.ts) with the CI budget: 20 000 seeded cases mutated from every request
 * in ../shared/captures and the project's own envelopes, sent over HTTP on keep-alive connections,
 * a quarter of them NTLM-sealed. Every answer must be a SOAP envelope with a success or a catalogue
 * fault, or a bodiless HTTP 4xx; the process must still answer at the end; memory must stay
 * bounded. A failure names its seed and case (`npm run fuzz -- --seed S --cases N --case K`
 * replays and prints it) and the failing requests are in test-artifacts/fuzz-failures.json.
 * `VMMS_FUZZ_CASES` / `VMMS_FUZZ_SEED` change the budget and the seed.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { loadCorpus, runFuzz } from '../../scripts/fuzz.js';
import { ROOT } from '../helpers/robustness.js';

const CASES = Number(process.env.VMMS_FUZZ_CASES ?? 20_000);

const SEED = Number(process.env.VMMS_FUZZ_SEED ?? 20_241_123);

describe('fuzzing', () => {
  test('the corpus holds every captured request and the project\'s own envelopes', () => {
    const corpus = loadCorpus(ROOT);
    const names = corpus.map((c) => c.name);
    expect(names.filter((n) => n.startsWith('own/')).length).toBeGreaterThan(20);
    expect(corpus.some((c) => c.charset === 'utf-16')).toBe(true);
    if (existsSync(resolve(ROOT, '../shared/captures'))) {
      for (const dir of ['clients/', 'omi/', 'windows/']) expect(names.some((n) => n.startsWith(dir)), dir).toBe(true);
      // sealed requests come in as their decrypted text
      expect(names.some((n) => n.startsWith('clients/pywinrm-ntlm-raw-invoke'))).toBe(true);
      expect(corpus.length).toBeGreaterThan(80);
    }
  });
  test(`${CASES} mutated requests (seed ${SEED}), plain and NTLM-sealed: every answer is a SOAP envelope or a 4xx, the process lives, memory is bounded`, { timeout: 300_000 }, async () => {
    const report = await runFuzz({ cases: CASES, seed: SEED });
    const summary = `${report.cases} cases (${report.sealed} sealed) in ${(report.durationMs / 1000).toFixed(1)} s, ${report.casesPerSecond}/s; heap ${report.heapMB.warm} → ${report.heapMB.end} MB`;
    console.log(`fuzz: ${summary}`);
    expect(report.failures.slice(0, 5).map((f) => `case ${f.index} (${f.corpus}, ${JSON.stringify(f.case.mutations)}): ${f.why.slice(0, 300)}`)).toEqual([]);
    expect(report.alive).toBe(true);
    expect(report.sealed).toBeGreaterThan(CASES / 8);
    // every kind of answer shows up: successes, faults of several kinds, HTTP errors
    expect(report.outcomes.ok).toBeGreaterThan(CASES / 100);
    expect(Object.keys(report.outcomes).filter((k) => k.startsWith('fault:')).length).toBeGreaterThan(10);
    // the live heap after the warm-up: contexts (capped per user), jobs (kept per host) and nothing else grow
    expect(report.heapMB.end - report.heapMB.warm).toBeLessThan(32);
  });
});
