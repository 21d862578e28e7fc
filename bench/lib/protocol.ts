/**
 * What the bench parent (load generator) and its server child say to each other over the fork IPC
 * channel. The server never shares a process with the load generator: the parent forks
 * `dist/bench/server.js` with a {@link ServerSpec}; the child answers `ready` as soon as it listens
 * (start-up is timed to there), then does what the parent asks: prepare its data (jobs), report
 * its own CPU time and memory, wait for background work to settle, exit.
 */

export type WorldKind = 'scenarios' | 'large';

export type ServerSpec =
  /** a plain Node `http` server answering every POST with a fixed small SOAP envelope */
  | { readonly kind: 'minimal'; readonly https?: boolean }
  /** the core-schema WS-Man host (bench/lib/core-world.ts) */
  | { readonly kind: 'core'; readonly pairs?: number; readonly https?: boolean }
  /** the emulator (createEmulator + the Hyper-V fabric) over a generated or file world */
  | {
      readonly kind: 'hyperv';
      /** a generated world (bench/lib/hyperv-world.ts) or a world file under worlds/ */
      readonly world: { readonly kind: WorldKind; readonly hosts?: number; readonly vmsPerHost?: number } | { readonly kind: 'file'; readonly file: string };
      readonly https?: boolean;
      /** fabric clock scale (jobs finish quickly at a large scale) */
      readonly clockScale?: number;
    };

export interface HostPorts {
  readonly http: number;
  readonly https?: number;
}

export interface ReadyMessage {
  readonly type: 'ready';
  /** the first (or only) host's ports */
  readonly http: number;
  readonly https?: number;
  /** every host's ports, by name */
  readonly hosts: Readonly<Record<string, HostPorts>>;
  /** ms from process start (performance.timeOrigin) to listening */
  readonly startupMs: number;
  readonly rss: number;
}

export interface Usage {
  /** process.cpuUsage(): user + system microseconds since the process started */
  readonly cpuMicros: number;
  readonly rss: number;
  readonly heapUsed: number;
  /** wall clock in ms (performance.timeOrigin + performance.now()), for CPU / wall */
  readonly at: number;
}

export type Op = 'usage' | 'usage-gc' | 'prepare' | 'settle';

export interface ResultMessage {
  readonly type: 'result';
  readonly id: number;
  readonly usage: Usage;
  /** what `prepare` did, or `settle` waited for */
  readonly note?: string;
  readonly error?: string;
}

export interface ErrorMessage {
  readonly type: 'error';
  readonly message: string;
}

export type ChildMessage = ReadyMessage | ResultMessage | ErrorMessage;
export type ParentMessage = { readonly type: 'call'; readonly id: number; readonly op: Op } | { readonly type: 'exit' };
