/**
 * The parent's handle on a server child (bench/server.ts): fork it, wait for `ready`, call it
 * (usage, prepare, settle), stop it. CPU is the child's own process.cpuUsage(), so the load
 * generator's work in this process never counts as server work.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, Op, ParentMessage, ReadyMessage, ResultMessage, ServerSpec, Usage } from './protocol.js';

const SERVER_JS = join(dirname(fileURLToPath(import.meta.url)), '..', 'server.js');

export interface ServerChildOptions {
  /** write a V8 CPU profile of the server into this directory (node --cpu-prof) */
  cpuProfDir?: string;
  /** extra node flags for the child */
  execArgv?: string[];
  /** max time to wait for `ready` */
  timeoutMs?: number;
}

export class ServerChild {
  private nextId = 1;
  /** what `prepare` and the last `settle` reported (JSON notes), for the scenarios */
  readonly info: { prepare?: Record<string, unknown>; settle?: Record<string, unknown> } = {};
  private readonly waiting = new Map<number, (m: ResultMessage) => void>();
  private exited = false;

  private constructor(
    readonly spec: ServerSpec,
    readonly proc: ChildProcess,
    readonly ready: ReadyMessage,
    /** wall ms from fork() to `ready` as the parent saw it */
    readonly spawnToReadyMs: number,
    /** performance.now() of this process when fork() was called */
    readonly forkedAt: number,
  ) {
    proc.on('message', (m: ChildMessage) => {
      if (m.type === 'result') {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        w?.(m);
      }
    });
    proc.on('exit', () => {
      this.exited = true;
      for (const w of this.waiting.values()) w({ type: 'result', id: 0, usage: { cpuMicros: 0, rss: 0, heapUsed: 0, at: 0 }, error: 'server exited' });
      this.waiting.clear();
    });
  }

  static start(spec: ServerSpec, o: ServerChildOptions = {}): Promise<ServerChild> {
    const execArgv = ['--expose-gc', ...(o.execArgv ?? [])];
    if (o.cpuProfDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`);
    const t0 = performance.now();
    const proc = fork(SERVER_JS, [JSON.stringify(spec)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const limit = o.timeoutMs ?? 300_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill();
        reject(new Error(`server ${spec.kind} did not start within ${limit} ms`));
      }, limit);
      const onMessage = (m: ChildMessage) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          proc.off('message', onMessage);
          resolve(new ServerChild(spec, proc, m, performance.now() - t0, t0));
        } else if (m.type === 'error') {
          clearTimeout(timer);
          proc.kill();
          reject(new Error(`server ${spec.kind} failed: ${m.message}`));
        }
      };
      proc.on('message', onMessage);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server ${spec.kind} exited with ${code}`));
      });
    });
  }

  call(op: Op): Promise<ResultMessage> {
    if (this.exited) return Promise.reject(new Error('server exited'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (m) => (m.error ? reject(new Error(`${op}: ${m.error}`)) : resolve(m)));
      this.proc.send({ type: 'call', id, op } satisfies ParentMessage);
    });
  }

  /** Call `prepare` or `settle` and keep what it reports in {@link info}. */
  async note(op: 'prepare' | 'settle'): Promise<string> {
    const r = await this.call(op);
    let parsed: Record<string, unknown> = {};
    try {
      parsed = r.note ? (JSON.parse(r.note) as Record<string, unknown>) : {};
    } catch {
      parsed = { note: r.note };
    }
    this.info[op] = parsed;
    return String(parsed.note ?? '');
  }

  async usage(gc = false): Promise<Usage> {
    return (await this.call(gc ? 'usage-gc' : 'usage')).usage;
  }

  /** The URL of a host's listener (default: the first host). */
  url(scheme: 'http' | 'https', host?: string): string {
    const ports = host ? this.ready.hosts[host] : { http: this.ready.http, https: this.ready.https };
    if (!ports) throw new Error(`the server has no host ${host}`);
    const port = scheme === 'https' ? ports.https : ports.http;
    if (port === undefined) throw new Error(`the server has no ${scheme} listener${host ? ` for ${host}` : ''}`);
    return `${scheme}://127.0.0.1:${port}/wsman`;
  }

  /** Ask the child to close its listeners and exit (so a CPU profile gets written). */
  stop(): Promise<void> {
    if (this.exited) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 15_000);
      this.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.proc.send({ type: 'exit' } satisfies ParentMessage);
    });
  }
}
