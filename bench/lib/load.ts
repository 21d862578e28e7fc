/**
 * Keep-alive load with autocannon: N connections, one request in flight on each (closed loop, as
 * wrk and WinRM clients do), for a fixed duration. Latencies are taken from autocannon's
 * per-response event in microseconds (its own histogram keeps whole milliseconds only).
 */
import { createRequire } from 'node:module';
import autocannon from 'autocannon';

/**
 * autocannon appends every answer's bytes to a string for `onResponse` (`body += chunk`, UTF-8).
 * For a sealed (multipart/encrypted) answer that is decoding ~3 KB of random bytes as UTF-8, the
 * slow path: a fifth of the load generator's CPU in the NTLM scenarios, on the cores the server
 * shares. Latin-1 costs a copy; the bench only reads ASCII from answers (enumeration contexts, tag
 * counts), which both decodings give alike.
 */
interface BodyQueue {
  peek(): { body: string } | undefined;
}
const queue = createRequire(import.meta.url)('autocannon/lib/pipelinedRequestsQueue.js') as { prototype: BodyQueue & { addBody(data: Buffer): void } };
queue.prototype.addBody = function (this: BodyQueue, data: Buffer): void {
  const req = this.peek();
  if (req) req.body += data.toString('latin1');
};

export interface LoadSpec {
  readonly url: string;
  readonly connections: number;
  readonly durationSec: number;
  /** a fixed request (most scenarios) */
  readonly body?: Buffer;
  readonly headers?: Record<string, string>;
  /** or a dynamic sequence per connection (Enumerate + Pull, NTLM handshake + sealed messages) */
  readonly requests?: autocannon.Request[];
  /** per-connection state for `requests` (cloned for each connection and at each sequence restart) */
  readonly initialContext?: object;
  /** stop after this many requests, if that comes before the duration */
  readonly amount?: number;
}

export interface LoadResult {
  /** 2xx answers */
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** mean bytes per answer (headers included) */
  readonly bytesPerAnswer: number;
}

class Samples {
  private a = new Float64Array(1 << 16);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  sorted(): Float64Array {
    return this.a.subarray(0, this.n).sort();
  }
}

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const lat = new Samples();
  let ok = 0;
  let non2xx = 0;
  let bytes = 0;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        pipelining: 1,
        duration: spec.durationSec,
        maxOverallRequests: spec.amount,
        method: 'POST',
        headers: spec.headers,
        body: spec.body,
        requests: spec.requests,
        initialContext: spec.initialContext,
        timeout: 30,
        // the emulator's HTTPS listener uses a self-signed bench CA
        tlsOptions: { rejectUnauthorized: false },
        skipAggregateResult: false,
      } as autocannon.Options,
      (err: unknown, result: autocannon.Result) => {
        if (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        const seconds = (performance.now() - t0) / 1000;
        const s = lat.sorted();
        resolve({
          ok,
          non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          seconds,
          rps: ok / seconds,
          p50Ms: pct(s, 50),
          p90Ms: pct(s, 90),
          p99Ms: pct(s, 99),
          maxMs: s.length ? s[s.length - 1] : 0,
          bytesPerAnswer: ok + non2xx ? bytes / (ok + non2xx) : 0,
        });
      },
    );
    instance.on('response', (_client, status, resBytes, responseTime) => {
      bytes += resBytes;
      if (status >= 200 && status < 300) {
        ok++;
        lat.push(responseTime);
      } else {
        non2xx++;
      }
    });
  });
}
