/**
 * The bench's server process (forked by bench/lib/child.ts, never run by hand): builds the server a
 * {@link ServerSpec} describes, says `ready` with its ports and start-up time, then answers the
 * parent's calls (prepare data, report CPU time and memory, settle, exit). The load generator
 * lives in the parent process.
 */
import { startCoreWorld } from './lib/core-world.js';
import { startHypervWorld } from './lib/emulator-world.js';
import { startMinimalServer } from './lib/minimal-server.js';
import type { ChildMessage, HostPorts, Op, ParentMessage, ServerSpec, Usage } from './lib/protocol.js';

function send(m: ChildMessage): void {
  process.send?.(m);
}

interface Running {
  readonly http: number;
  readonly https?: number;
  readonly hosts: Record<string, HostPorts>;
  close(): Promise<void>;
  prepare?(): Promise<string>;
  settle?(): Promise<string>;
}

/** Certificates for the bench's HTTPS listeners, generated once and kept between runs. */
function certDir(): string {
  return process.env.VMMS_BENCH_CERTS ?? `${process.env.TMPDIR ?? '/tmp'}/vmms-bench-certs`;
}

async function start(spec: ServerSpec): Promise<Running> {
  switch (spec.kind) {
    case 'minimal': {
      const s = await startMinimalServer(spec.https ? certDir() : undefined);
      return { http: s.port, https: s.httpsPort, hosts: { MINIMAL: { http: s.port, https: s.httpsPort } }, close: s.close };
    }
    case 'core': {
      const w = await startCoreWorld({ pairs: spec.pairs, httpsCertDir: spec.https ? certDir() : undefined });
      return { http: w.http.port, https: w.https?.port, hosts: { BENCH1: { http: w.http.port, https: w.https?.port } }, close: w.close };
    }
    case 'hyperv':
      return startHypervWorld(spec, certDir());
  }
}

function usage(gc: boolean): Usage {
  if (gc && typeof globalThis.gc === 'function') globalThis.gc();
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return { cpuMicros: cpu.user + cpu.system, rss: mem.rss, heapUsed: mem.heapUsed, at: performance.timeOrigin + performance.now() };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
  const s = await start(spec);
  send({ type: 'ready', http: s.http, https: s.https, hosts: s.hosts, startupMs: performance.now(), rss: process.memoryUsage().rss });
  let closing = false;
  const finish = async () => {
    if (closing) return;
    closing = true;
    await s.close();
    process.exit(0);
  };
  const run = async (op: Op): Promise<string | undefined> => {
    if (op === 'prepare') return s.prepare?.();
    if (op === 'settle') return s.settle?.();
    return undefined;
  };
  process.on('message', (m: ParentMessage) => {
    if (m.type === 'exit') {
      void finish();
      return;
    }
    run(m.op).then(
      (note) => send({ type: 'result', id: m.id, usage: usage(m.op === 'usage-gc'), note }),
      (e: unknown) => send({ type: 'result', id: m.id, usage: usage(false), error: e instanceof Error ? e.message : String(e) }),
    );
  });
  process.on('disconnect', () => void finish());
}

main().catch((e: unknown) => {
  send({ type: 'error', message: e instanceof Error ? e.stack ?? e.message : String(e) });
  process.exit(1);
});
