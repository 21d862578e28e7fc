/**
 * Summarise a V8 CPU profile (`node --cpu-prof`, or `npm run bench -- --profile <dir>`): the
 * functions with the most self time, and the inclusive time of the heaviest call-tree entries.
 *
 *   node dist/scripts/bench-profile.js <file.cpuprofile> [--top 40] [--filter text]
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function label(f: CallFrame): string {
  const file = f.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '');
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
}

function main(): void {
  const argv = process.argv.slice(2);
  const file = argv[0];
  if (!file) {
    console.error('usage: bench-profile <file.cpuprofile> [--top N] [--filter text]');
    process.exit(2);
  }
  const top = Number(argv[argv.indexOf('--top') + 1] || 40) || 40;
  const fi = argv.indexOf('--filter');
  const filter = fi >= 0 ? argv[fi + 1] : undefined;
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) selfUs.set(p.samples[i], (selfUs.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const idle = [...selfUs.entries()].filter(([id]) => byId.get(id)!.callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0);

  const self = new Map<string, number>();
  const incl = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id)!;
    self.set(label(n.callFrame), (self.get(label(n.callFrame)) ?? 0) + us);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!.callFrame);
      if (seen.has(l)) continue;
      seen.add(l);
      incl.set(l, (incl.get(l) ?? 0) + us);
    }
  }
  const pctOf = (us: number) => ((us / (total - idle)) * 100).toFixed(1).padStart(5);
  console.log(`total ${(total / 1000).toFixed(0)} ms, idle ${(idle / 1000).toFixed(0)} ms; percentages of busy time\n`);
  console.log('self:');
  for (const [l, us] of [...self.entries()].filter(([l]) => !filter || l.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pctOf(us)}%  ${l}`);
  console.log('\ninclusive:');
  for (const [l, us] of [...incl.entries()].filter(([l]) => !filter || l.includes(filter)).sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pctOf(us)}%  ${l}`);
}

main();
