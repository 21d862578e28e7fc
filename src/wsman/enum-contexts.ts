/**
 * Live enumeration contexts of one host. A context holds a lazy cursor over the result (never
 * the result itself), so an enumeration of 100 000 instances keeps at most one pending item in
 * memory between Pulls. Ids are `uuid:` + a random UUID (122 random bits: unguessable).
 * Contexts expire after EnumerationTimeoutms of idleness on the fabric clock (or the requested
 * n:Expires), and each user may hold a bounded number of them.
 */
import { randomUUID } from 'node:crypto';

/** One item of an enumeration, rendered lazily when it is pulled. */
export type RenderItem = () => string;

export interface EnumerationCursor {
  /** the next item, or undefined at the end; called only as the client pulls */
  next(): RenderItem | undefined;
}

export interface EnumerationContext {
  readonly id: string;
  readonly user: string;
  readonly cursor: EnumerationCursor;
  /** an item rendered for the last page that did not fit in it */
  pending?: string;
  /** an item taken from the cursor (not rendered) to see whether the last page ended the sequence */
  ahead?: RenderItem;
  /** idle lifetime granted to this context */
  readonly lifetimeMs: number;
  expiresAt: number;
}

export interface ContextStoreOptions {
  now: () => number;
  maxPerUser: number;
}

export class EnumerationContexts {
  private readonly byId = new Map<string, EnumerationContext>();
  private readonly perUser = new Map<string, number>();
  private nextSweep = -Infinity;

  constructor(private readonly opts: ContextStoreOptions) {}

  get size(): number {
    return this.byId.size;
  }

  countFor(user: string): number {
    return this.perUser.get(user.toLowerCase()) ?? 0;
  }

  /** Room for one more context for this user? Expired contexts are swept first. */
  hasRoomFor(user: string): boolean {
    if (this.countFor(user) < this.opts.maxPerUser) return true;
    this.sweep();
    return this.countFor(user) < this.opts.maxPerUser;
  }

  open(user: string, cursor: EnumerationCursor, lifetimeMs: number): EnumerationContext {
    // abandoned contexts go when they expire, not only when their user hits the quota: memory
    // stays proportional to the contexts in use (a sweep at most once a fabric second)
    const now = this.opts.now();
    if (now >= this.nextSweep) {
      this.nextSweep = now + 1000;
      this.sweep();
    }
    const ctx: EnumerationContext = {
      id: 'uuid:' + randomUUID().toUpperCase(),
      user,
      cursor,
      lifetimeMs,
      expiresAt: this.opts.now() + lifetimeMs,
    };
    this.byId.set(ctx.id, ctx);
    const k = user.toLowerCase();
    this.perUser.set(k, (this.perUser.get(k) ?? 0) + 1);
    return ctx;
  }

  /** The caller's live context, or undefined (unknown, expired, released or someone else's). */
  find(id: string, user: string): EnumerationContext | undefined {
    const ctx = this.byId.get(id.trim());
    if (!ctx) return undefined;
    if (ctx.expiresAt <= this.opts.now()) {
      this.close(ctx);
      return undefined;
    }
    return ctx.user.toLowerCase() === user.toLowerCase() ? ctx : undefined;
  }

  touch(ctx: EnumerationContext): void {
    ctx.expiresAt = this.opts.now() + ctx.lifetimeMs;
  }

  close(ctx: EnumerationContext): void {
    if (!this.byId.delete(ctx.id)) return;
    const k = ctx.user.toLowerCase();
    const n = (this.perUser.get(k) ?? 1) - 1;
    if (n <= 0) this.perUser.delete(k);
    else this.perUser.set(k, n);
  }

  /** Drop every expired context. */
  sweep(): void {
    const now = this.opts.now();
    for (const ctx of this.byId.values()) if (ctx.expiresAt <= now) this.close(ctx);
  }

  clear(): void {
    this.byId.clear();
    this.perUser.clear();
  }
}
