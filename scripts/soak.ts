/**
 * The soak: mixed load against one emulator for a long time, memory sampled all along, and a
 * check that a shutdown leaves nothing behind.
 *
 * The emulator runs in this process (the default world, durable state in a temporary SQLite file,
 * the fabric clock at 20× so jobs and migrations keep finishing); the load comes from worker
 * processes (this script with `--worker`), so this process's memory is the emulator's. Each worker
 * loops over: Gets, paged enumerations left half-done (the context expires) or finished, WQL,
 * migrations between the hosts and state changes with job polling, Identify, malformed and
 * oversized requests, the same over NTLM-sealed connections, and fresh connections now and then.
 *
 * Every second: RSS, the live heap (after a full GC: run with --expose-gc), open file descriptors,
 * live timers and the emulator's live contexts and jobs go to test-artifacts/soak-rss.csv. At the end the emulator is closed and the process must
 * be back to its file descriptors and timers from before it started. The summary
 * (test-artifacts/soak-summary.json, printed too) gives the RSS curve in numbers: after a warm-up
 * (the first fifth), the median of the first and the last quarter and the least-squares slope.
 * Bounds: the live heap may grow by max(16 MB, 25 %) from the first to the last quarter, RSS by
 * max(64 MB, 50 %).
 *
 * `npm run soak` runs ten minutes (`-- --duration 60` for one); test/robustness/soak.test.ts runs
 * twenty seconds in CI. Exit code 1 when a bound is broken.
 */
import { createHook } from 'node:async_hooks';
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../src/cim/schema-loader.js';
import { createEmulator } from '../src/emulator.js';
import { FabricClock } from '../src/fabric/clock.js';
import { loadWorldFile } from '../src/fabric/world-file.js';
import { ownEnvelopes, WireChannel } from './fuzz.js';

export interface SoakOptions {
  durationMs: number;
  /** load worker processes (default 2) */
  workers?: number;
  /** concurrent clients per worker (default 12) */
  clients?: number;
  sampleMs?: number;
  /** where soak-rss.csv and soak-summary.json go (default test-artifacts/) */
  out?: string;
  log?: (line: string) => void;
}

export interface SoakSample {
  t: number;
  rssMB: number;
  heapMB: number;
  fds: number;
  timers: number;
  contexts: number;
  jobs: number;
  requests: number;
}

export interface SoakSummary {
  durationS: number;
  requests: number;
  requestsPerSecond: number;
  errors: number;
  rssMB: { start: number; end: number; max: number; firstQuarter: number; lastQuarter: number; growth: number; slopePerMin: number };
  heapMB: { firstQuarter: number; lastQuarter: number };
  fds: { before: number; peak: number; after: number };
  timers: { before: number; after: number; live: number };
  ok: boolean;
  problems: string[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
};

function slope(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den ? num / den : 0;
}

const fdCount = () => readdirSync('/proc/self/fd').length;
const fdList = () => readdirSync('/proc/self/fd').map((fd) => {
  try {
    return `${fd}→${readlinkSync(`/proc/self/fd/${fd}`)}`;
  } catch {
    return fd;
  }
});
const round = (x: number) => Math.round(x * 10) / 10;

/** Live timers (ref'd and unref'd), from async_hooks: created and not yet fired or cleared. */
function timerTracker() {
  const live = new Set<number>();
  const hook = createHook({
    init(id, type) {
      if (type === 'Timeout') live.add(id);
    },
    destroy(id) {
      live.delete(id);
    },
  });
  hook.enable();
  return { count: () => live.size, stop: () => hook.disable() };
}

export async function runSoak(o: SoakOptions): Promise<SoakSummary> {
  const log = o.log ?? (() => undefined);
  const root = projectRoot();
  const out = o.out ?? join(root, 'test-artifacts');
  mkdirSync(out, { recursive: true });
  const stateDir = mkdtempSync(join(tmpdir(), 'vmms-soak-'));
  const timers = timerTracker();
  // libuv keeps one /dev/null descriptor for good after the first child process: spawn one first,
  // so the baseline has it; and let anything from loading settle
  await new Promise((r) => fork(fileURLToPath(import.meta.url), ['--noop'], { stdio: ['pipe', 'inherit', 'inherit', 'ipc'] }).once('exit', r));
  await new Promise((r) => setTimeout(r, 50));
  const before = { fds: fdCount(), timers: timers.count() };
  const world = loadWorldFile(join(root, 'worlds', 'default.yaml'));
  world.limits = { ...world.limits, enumerationTimeoutMs: 30_000 };
  const emu = await createEmulator({
    world, portBase: 0, https: false, state: join(stateDir, 'state.db'),
    clock: new FabricClock({ mode: 'real', scale: 20 }),
  });
  const urls = emu.hosts.map((h) => h.http.url);
  let requests = 0;
  emu.control.events.on('request', () => requests++);

  const samples: SoakSample[] = [];
  const t0 = performance.now();
  const jobs = () => {
    let n = 0;
    const f = emu.fabric as unknown as { hostNames?: () => string[]; jobCount?: (h: string) => number };
    for (const h of f.hostNames?.() ?? []) n += f.jobCount?.(h) ?? 0;
    return n;
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  const sample = () => {
    // the live heap after a full collection is the leak signal; RSS is what the OS sees
    gc?.();
    const m = process.memoryUsage();
    samples.push({
      t: round((performance.now() - t0) / 1000),
      rssMB: round(m.rss / 1048576),
      heapMB: round(m.heapUsed / 1048576),
      fds: fdCount(),
      timers: timers.count(),
      contexts: emu.hosts.reduce((s, h) => s + h.wsman.enumerations.size, 0),
      jobs: jobs(),
      requests,
    });
  };
  sample();
  const sampler = setInterval(sample, o.sampleMs ?? 1000);

  const script = fileURLToPath(import.meta.url);
  const workers: ChildProcess[] = [];
  const results: Array<{ requests: number; errors: number; samples: string[] }> = [];
  const done: Array<Promise<void>> = [];
  for (let i = 0; i < (o.workers ?? 2); i++) {
    const w = fork(script, ['--worker', JSON.stringify({ urls, clients: o.clients ?? 12, seed: i + 1 })], { stdio: ['pipe', 'inherit', 'inherit', 'ipc'] });
    w.stdin?.end();
    workers.push(w);
    done.push(new Promise((res) => {
      w.on('message', (m: { requests: number; errors: number; samples: string[] }) => results.push(m));
      w.once('exit', () => res());
    }));
  }
  const progress = setInterval(() => log(`soak: ${Math.round((performance.now() - t0) / 1000)} s, ${requests} requests, RSS ${samples.at(-1)?.rssMB} MB`), 30_000);
  await new Promise((r) => setTimeout(r, o.durationMs));
  for (const w of workers) w.send('stop');
  await Promise.all(done);
  clearInterval(progress);
  clearInterval(sampler);
  sample();
  const peakFds = Math.max(...samples.map((s) => s.fds));
  await emu.close();
  // closed sockets and files are released on the next turns of the loop
  for (let i = 0; i < 20 && (fdCount() > before.fds || timers.count() > before.timers); i++) await new Promise((r) => setTimeout(r, 50));
  const after = { fds: fdCount(), timers: timers.count() };
  if (after.fds > before.fds) log(`soak: descriptors after close: ${fdList().join(', ')}`);
  timers.stop();
  rmSync(stateDir, { recursive: true, force: true });

  // the curve, after the warm-up
  const warm = samples.slice(Math.floor(samples.length / 5));
  const q = Math.max(1, Math.floor(warm.length / 4));
  const first = median(warm.slice(0, q).map((s) => s.rssMB));
  const last = median(warm.slice(-q).map((s) => s.rssMB));
  const slopePerMin = slope(warm.map((s) => [s.t / 60, s.rssMB]));
  const total = results.reduce((s, r) => s + r.requests, 0);
  const errors = results.reduce((s, r) => s + r.errors, 0);
  const problems: string[] = [];
  const growth = round(last - first);
  const heapFirst = median(warm.slice(0, q).map((s) => s.heapMB));
  const heapLast = median(warm.slice(-q).map((s) => s.heapMB));
  // bounded: what the last quarter holds over the first, after the warm-up. The live heap (after
  // a full GC, with --expose-gc) is held tight; RSS, which V8 grows in steps and returns lazily,
  // loosely
  const heapAllowed = Math.max(16, heapFirst * 0.25);
  if (gc && heapLast - heapFirst > heapAllowed) problems.push(`the live heap grew by ${round(heapLast - heapFirst)} MB between the first and the last quarter (allowed ${round(heapAllowed)} MB)`);
  if (!gc) problems.push('run with node --expose-gc: the live heap cannot be measured without it');
  const allowed = Math.max(64, first * 0.5);
  if (growth > allowed) problems.push(`RSS grew by ${growth} MB between the first and the last quarter (allowed ${round(allowed)} MB)`);
  if (after.fds > before.fds) problems.push(`${after.fds - before.fds} file descriptor(s) left open after close()`);
  if (after.timers > before.timers) problems.push(`${after.timers - before.timers} timer(s) left after close()`);
  if (total === 0) problems.push('no load was applied');
  for (const r of results) for (const s of r.samples) problems.push(`worker: ${s}`);
  const durationS = round((performance.now() - t0) / 1000);
  const summary: SoakSummary = {
    durationS,
    requests: total,
    requestsPerSecond: Math.round(total / durationS),
    errors,
    rssMB: { start: samples[0].rssMB, end: samples.at(-1)!.rssMB, max: Math.max(...samples.map((s) => s.rssMB)), firstQuarter: first, lastQuarter: last, growth, slopePerMin: round(slopePerMin) },
    heapMB: { firstQuarter: heapFirst, lastQuarter: heapLast },
    fds: { before: before.fds, peak: peakFds, after: after.fds },
    timers: { before: before.timers, after: after.timers, live: after.timers },
    ok: problems.length === 0,
    problems,
  };
  const csv = ['t_s,rss_mb,heap_mb,fds,timers,contexts,jobs,requests', ...samples.map((s) => `${s.t},${s.rssMB},${s.heapMB},${s.fds},${s.timers},${s.contexts},${s.jobs},${s.requests}`)].join('\n') + '\n';
  writeFileSync(join(out, 'soak-rss.csv'), csv);
  writeFileSync(join(out, 'soak-summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}

// ------------------------------------------------------------------------- the load --

const V2 = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/';
const VMS = ['8A4E1A2C-5D1B-4E0B-9F3B-1234567890AB', '3471A56F-6BFB-4D79-BF75-7BE31004C834', '0F6C0E63-8C0B-4A4C-9D4E-2B7C8E1F0A11', '5B2D9E7A-1C3F-4D6B-8A9E-0C1D2E3F4A5B', 'C7E1B2A3-4D5E-4F60-8172-93A4B5C6D7E8', '9D8C7B6A-5F4E-4D3C-8B2A-190817263544'];

function envelope(action: string | undefined, uri: string | undefined, selectors: Record<string, string> | undefined, body: string): string {
  const sel = selectors ? `<w:SelectorSet>${Object.entries(selectors).map(([k, v]) => `<w:Selector Name="${k}">${v}</w:Selector>`).join('')}</w:SelectorSet>` : '';
  return '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration"><s:Header>' +
    '<a:To>http://windows-host:5985/wsman</a:To>' + (uri ? `<w:ResourceURI s:mustUnderstand="true">${uri}</w:ResourceURI>` : '') +
    '<a:ReplyTo><a:Address s:mustUnderstand="true">http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>' +
    (action ? `<a:Action s:mustUnderstand="true">${action}</a:Action>` : '') +
    `<w:MaxEnvelopeSize s:mustUnderstand="true">512000</w:MaxEnvelopeSize><a:MessageID>uuid:${crypto.randomUUID().toUpperCase()}</a:MessageID>${sel}<w:OperationTimeout>PT60S</w:OperationTimeout></s:Header><s:Body>${body}</s:Body></s:Envelope>`;
}

const ENUM = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/';
const GET = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get';

async function worker(cfg: { urls: string[]; clients: number; seed: number }): Promise<void> {
  let stop = false;
  process.on('message', (m) => {
    if (m === 'stop') stop = true;
  });
  let requests = 0;
  let errors = 0;
  const problems: string[] = [];
  let a = cfg.seed * 7919;
  const rnd = () => ((a = (a * 1103515245 + 12345) >>> 0) / 4294967296);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const ct = 'application/soap+xml;charset=UTF-8';

  const client = async (n: number) => {
    let channels = cfg.urls.map((u) => new WireChannel(u, n % 4 === 0 ? 'ntlm' : 'basic'));
    const send = async (host: number, xml: string | Buffer) => {
      requests++;
      try {
        const r = await channels[host].send(typeof xml === 'string' ? Buffer.from(xml) : xml, ct);
        if (r.status >= 500 && r.status !== 500) errors++;
        return r;
      } catch (e) {
        errors++;
        if (problems.length < 5 && !stop) problems.push(`${(e as Error).message}`);
        return undefined;
      }
    };
    while (!stop) {
      const h = Math.floor(rnd() * cfg.urls.length);
      const op = rnd();
      const vm = pick(VMS);
      if (op < 0.3) {
        await send(h, envelope(GET, V2 + 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: vm }, ''));
      } else if (op < 0.45) {
        // a paged enumeration, finished or left for the context to expire
        const r = await send(h, envelope(ENUM + 'Enumerate', V2 + 'Msvm_ComputerSystem', undefined, '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>2</w:MaxElements></n:Enumerate>'));
        let ctx = r ? /<n:EnumerationContext>([^<]+)</.exec(r.body.toString())?.[1] : undefined;
        while (ctx && rnd() < 0.8 && !stop) {
          const p = await send(h, envelope(ENUM + 'Pull', V2 + 'Msvm_ComputerSystem', undefined, `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext><n:MaxElements>2</n:MaxElements></n:Pull>`));
          ctx = p ? /<n:EnumerationContext>([^<]+)</.exec(p.body.toString())?.[1] : undefined;
        }
      } else if (op < 0.55) {
        await send(h, envelope(ENUM + 'Enumerate', V2 + '*', undefined, `<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements><w:Filter Dialect="http://schemas.microsoft.com/wbem/wsman/1/WQL">SELECT * FROM Msvm_ConcreteJob</w:Filter></n:Enumerate>`));
      } else if (op < 0.7) {
        const ms = V2 + 'Msvm_VirtualSystemMigrationService';
        const host = h === 0 ? 'HV1' : 'HV2';
        const params = `<p:ComputerSystem><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address><a:ReferenceParameters><w:ResourceURI>${V2}Msvm_ComputerSystem</w:ResourceURI><w:SelectorSet><w:Selector Name="CreationClassName">Msvm_ComputerSystem</w:Selector><w:Selector Name="Name">${vm}</w:Selector></w:SelectorSet></a:ReferenceParameters></p:ComputerSystem><p:DestinationHost>${host === 'HV1' ? 'HV2' : 'HV1'}</p:DestinationHost>`;
        await send(h, envelope(`${ms}/MigrateVirtualSystemToHost`, ms, { CreationClassName: 'Msvm_VirtualSystemMigrationService', Name: 'migrationwmi', SystemCreationClassName: 'Msvm_ComputerSystem', SystemName: host }, `<p:MigrateVirtualSystemToHost_INPUT xmlns:p="${ms}">${params}</p:MigrateVirtualSystemToHost_INPUT>`));
      } else if (op < 0.82) {
        const cs = V2 + 'Msvm_ComputerSystem';
        await send(h, envelope(`${cs}/RequestStateChange`, cs, { CreationClassName: 'Msvm_ComputerSystem', Name: vm }, `<p:RequestStateChange_INPUT xmlns:p="${cs}"><p:RequestedState>${pick(['2', '3', '6', '9'])}</p:RequestedState></p:RequestStateChange_INPUT>`));
      } else if (op < 0.88) {
        await send(h, ownEnvelopes()[0].text);
      } else if (op < 0.94) {
        // malformed and hostile
        await send(h, pick(['not xml', '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>', `<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`, Buffer.alloc(600 * 1024, 0x20)]));
      } else {
        // a fresh connection (and a fresh NTLM handshake)
        for (const c of channels) c.close();
        channels = cfg.urls.map((u) => new WireChannel(u, n % 4 === 0 ? 'ntlm' : 'basic'));
      }
    }
    for (const c of channels) c.close();
  };
  await Promise.all(Array.from({ length: cfg.clients }, (_, n) => client(n)));
  process.send!({ requests, errors, samples: problems });
  process.disconnect?.();
}

// ------------------------------------------------------------------------- command --

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  if (process.argv.includes('--noop')) process.exit(0);
  const w = arg('worker');
  if (w !== undefined) {
    await worker(JSON.parse(w) as { urls: string[]; clients: number; seed: number });
    return;
  }
  const durationS = Number(arg('duration') ?? 600);
  const summary = await runSoak({
    durationMs: durationS * 1000,
    workers: arg('workers') ? Number(arg('workers')) : undefined,
    clients: arg('clients') ? Number(arg('clients')) : undefined,
    out: arg('out'),
    log: (l) => process.stderr.write(l + '\n'),
  });
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  process.exit(summary.ok ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`soak: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exit(1);
  });
}

