/**
 * Fabric time. Jobs and migrations progress on this clock, never on wall time directly, so tests
 * can drive them (manual mode: `advance(ms)`) and demos can speed them up (scale). One real
 * setTimeout at most is pending at any time, for the earliest fabric timer.
 */

export interface TimerHandle {
  readonly id: number;
}

interface Timer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

export type ClockMode = 'real' | 'manual';

export class FabricClock {
  private mode: ClockMode;
  private scale: number;
  /** fabric time at the last re-anchoring, and the wall time it corresponded to */
  private anchorFabric: number;
  private anchorWall: number;
  private heap: Timer[] = [];
  private nextId = 1;
  private seq = 0;
  private pending: NodeJS.Timeout | undefined;
  /** ids of timers in the heap that have not been cleared */
  private live = new Set<number>();
  /** ids of cleared timers still in the heap (dropped when they reach the top) */
  private cancelled = new Set<number>();
  private firing = false;
  private closed = false;

  constructor(opts: { mode?: ClockMode; scale?: number; start?: number } = {}) {
    this.mode = opts.mode ?? 'real';
    this.scale = opts.scale ?? 1;
    if (!(this.scale > 0)) throw new RangeError('time scale must be positive');
    this.anchorWall = Date.now();
    this.anchorFabric = opts.start ?? this.anchorWall;
  }

  /** Milliseconds since the epoch, in fabric time. */
  now(): number {
    if (this.mode === 'manual') return this.anchorFabric;
    return this.anchorFabric + (Date.now() - this.anchorWall) * this.scale;
  }

  get timeScale(): number {
    return this.scale;
  }

  get clockMode(): ClockMode {
    return this.mode;
  }

  setScale(scale: number): void {
    if (!(scale > 0)) throw new RangeError('time scale must be positive');
    this.reanchor();
    this.scale = scale;
    this.schedule();
  }

  setMode(mode: ClockMode): void {
    this.reanchor();
    this.mode = mode;
    this.schedule();
  }

  /** Move fabric time forward, firing due timers in order (each sees `now()` = its due time). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('can only advance by a non-negative amount');
    const target = this.now() + ms;
    this.runUntil(target);
    this.reanchor(target);
    this.schedule();
  }

  setTimer(at: number, fn: () => void): TimerHandle {
    const t: Timer = { id: this.nextId++, at, seq: this.seq++, fn };
    this.push(t);
    this.live.add(t.id);
    // the pending wake-up stays right unless this timer is now the first (a migration sets a dozen)
    if (!this.firing && (this.pending === undefined || this.heap[0] === t)) this.schedule();
    return { id: t.id };
  }

  /** Run `fn` after `delayMs` of fabric time. */
  after(delayMs: number, fn: () => void): TimerHandle {
    return this.setTimer(this.now() + delayMs, fn);
  }

  /** Cancel a timer. Clearing a timer that has fired, or was cleared before, does nothing. */
  clearTimer(h: TimerHandle | undefined): void {
    // only a timer still waiting in the heap is marked; a fired one has left it for good
    if (h && this.live.delete(h.id)) this.cancelled.add(h.id);
  }

  /** Timers still pending (for leak checks and shutdown). */
  get pendingTimers(): number {
    return this.live.size;
  }

  close(): void {
    this.closed = true;
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    this.heap = [];
    this.live.clear();
    this.cancelled.clear();
  }

  private reanchor(fabricNow = this.now()): void {
    this.anchorFabric = fabricNow;
    this.anchorWall = Date.now();
  }

  private runUntil(target: number): void {
    this.firing = true;
    try {
      while (this.heap.length && this.heap[0].at <= target) {
        const t = this.pop()!;
        if (this.cancelled.delete(t.id)) continue;
        this.live.delete(t.id);
        // in manual mode each timer runs with now() at its own due time
        if (this.mode === 'manual' && t.at > this.anchorFabric) this.anchorFabric = t.at;
        t.fn();
      }
    } finally {
      this.firing = false;
    }
  }

  private schedule(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = undefined;
    if (this.closed || this.mode === 'manual') return;
    while (this.heap.length && this.cancelled.has(this.heap[0].id)) this.cancelled.delete(this.pop()!.id);
    if (!this.heap.length) return;
    const wait = Math.max(0, (this.heap[0].at - this.now()) / this.scale);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      this.runUntil(this.now());
      this.schedule();
    }, Math.min(wait, 2 ** 31 - 1));
    this.pending.unref?.();
  }

  // ---- binary heap on (at, seq) ------------------------------------------------------------
  private less(a: Timer, b: Timer): boolean {
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    if (!h.length) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}
