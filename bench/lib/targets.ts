/**
 * The issue's targets (2-core machine, 16 keep-alive connections, load generator on the same
 * machine), checked against a run's results. Each scenario target names the scenario ids that
 * stand for it, best first: the Hyper-V scenario when it exists, else its core-world stand-in.
 */
import type { ScenarioResult } from './runner.js';
import type { ScaleResult } from './scale.js';

export interface TargetResult {
  readonly name: string;
  readonly target: string;
  readonly measured: string;
  /** undefined: not measured in this run */
  readonly met: boolean | undefined;
  /** the scenario measured (or why nothing was) */
  readonly source: string;
}

const P99_MAX_MS = 10;

function pick(results: readonly ScenarioResult[], ids: readonly string[], conns = 16): ScenarioResult | undefined {
  for (const id of ids) {
    const r = results.find((x) => x.id === id && x.conns === conns);
    if (r) return r;
  }
  return undefined;
}

export function evaluateTargets(results: readonly ScenarioResult[], scale?: ScaleResult): TargetResult[] {
  const out: TargetResult[] = [];
  const rate = (name: string, ids: string[], minRps: number, minRatio?: number, items = false) => {
    const r = pick(results, ids);
    if (!r) {
      out.push({ name, target: describe(minRps, minRatio, items), measured: '—', met: undefined, source: `not run (${ids.join(' / ')})` });
      return;
    }
    const v = items ? r.server.itemsPerSec ?? 0 : r.server.rps;
    const met = v >= minRps && (minRatio === undefined || r.ratio >= minRatio) && r.server.p99Ms <= P99_MAX_MS;
    out.push({
      name,
      target: describe(minRps, minRatio, items),
      measured: `${Math.round(v)} ${items ? 'items/s' : '/s'}${minRatio !== undefined ? `, ratio ${r.ratio.toFixed(2)}` : ''}, p99 ${r.server.p99Ms.toFixed(2)} ms`,
      met,
      source: r.id,
    });
  };
  rate('Identify', ['identify'], 15_000, 0.5);
  rate('Get', ['get-vm', 'get'], 10_000, 0.35);
  rate('Invoke', ['invoke-migrate', 'invoke'], 5_000);
  rate('Enumerate optimized, 5 instances', ['enum5-vm', 'enum5'], 8_000);
  rate('Pull', ['pull-jobs', 'pull'], 100_000, undefined, true);

  const hv = pick(results, ['ntlm-get-vm']) && pick(results, ['get-vm']);
  const plain = pick(results, hv ? ['get-vm'] : ['get']);
  const sealed = pick(results, hv ? ['ntlm-get-vm'] : ['ntlm-get']);
  if (plain && sealed) {
    const ratio = sealed.server.rps / plain.server.rps;
    out.push({
      name: 'NTLM-sealed Get vs plain Get',
      target: `≥ 0.6 of plain Get, p99 ≤ ${P99_MAX_MS} ms`,
      measured: `${ratio.toFixed(2)} (${Math.round(sealed.server.rps)} vs ${Math.round(plain.server.rps)} /s), p99 ${sealed.server.p99Ms.toFixed(2)} ms`,
      met: ratio >= 0.6 && sealed.server.p99Ms <= P99_MAX_MS,
      source: hv ? 'ntlm-get-vm / get-vm' : 'ntlm-get / get',
    });
  } else {
    out.push({ name: 'NTLM-sealed Get vs plain Get', target: '≥ 0.6 of plain Get', measured: '—', met: undefined, source: 'not run' });
  }

  const st = (name: string, limitMs: number, v: number | undefined, source: string) =>
    out.push({ name, target: `≤ ${limitMs} ms`, measured: v === undefined ? '—' : `${Math.round(v)} ms`, met: v === undefined ? undefined : v <= limitMs, source });
  st('Start-up to first Identify, default world', 300, scale?.startup.find((s) => s.world === 'default')?.firstIdentifyMs, scale?.startup.find((s) => s.world === 'default')?.source ?? 'not run');
  st('Start-up to first Identify, 20 000-VM world', 3_000, scale?.startup.find((s) => s.world === 'large')?.firstIdentifyMs, scale?.startup.find((s) => s.world === 'large')?.source ?? 'not run');
  const large = scale?.startup.find((s) => s.world === 'large');
  out.push({
    name: 'RSS, 20 000 VMs + 100 000 jobs',
    target: '≤ 400 MB',
    measured: large ? `${Math.round(large.rssMB)} MB` : '—',
    met: large ? large.rssMB <= 400 : undefined,
    source: large?.source ?? 'not run',
  });
  return out;
}

function describe(minRps: number, minRatio: number | undefined, items: boolean): string {
  return `≥ ${minRps.toLocaleString('en-US')} ${items ? 'items/s' : '/s'}${minRatio !== undefined ? `, ≥ ${minRatio} of minimal` : ''}, p99 ≤ ${P99_MAX_MS} ms`;
}

export function formatTargets(t: readonly TargetResult[]): string {
  const lines = ['| target | wanted | measured | met | scenario |', '|---|---|---|---|---|'];
  for (const x of t) lines.push(`| ${x.name} | ${x.target} | ${x.measured} | ${x.met === undefined ? 'not measured' : x.met ? 'yes' : '**no**'} | ${x.source} |`);
  return lines.join('\n');
}
