/**
 * Fault injection by rule. A rule (src/fabric/world.ts `FaultRuleSpec`: from a world file's
 * `faults:` or the control API) names what it applies to — host, operation, class, method, VM,
 * destination, a probability (seeded), a count and a fabric-clock window — and one effect:
 *
 *  - request effects act on one /wsman request: `latency`, `hang`, `reset` (close without an
 *    answer), `drop` (half an answer, then close), `fault` (a catalogue fault, in the SOAP shape
 *    the host would send, sealed when the request was);
 *  - host effects act on a host: `unreachable` (its listeners stop listening — connection refused
 *    — or accept and never answer) and `flap` (down and up by turns); the fabric also treats the
 *    host as unreachable for migrations while it is down;
 *  - migration effects act on a migration job, through the fabric's fault hook: `migration-fail`
 *    at a percentage with a chosen Msvm_Error, `migration-slow`, `migration-unreachable`.
 *
 * Request effects need no change to the /wsman handler: {@link FaultInjector.wrap} wraps a
 * listener's request function. With no rule for the host (and no trace), a request goes straight
 * to the handler. Otherwise the wrapper reads the body, finds out who is asking (Basic is checked
 * here; a connection authenticated by Negotiate is recognised by its connection state; a request
 * that carries a Negotiate token is never touched, so handshakes always complete), decrypts a
 * sealed body with the connection's own session, and matches the rules. A request no rule takes is
 * handed to the handler with its body replayed — for a sealed one, the session's already-unsealed
 * parts are replayed too (see {@link SealerTap}), so the security context stays in step.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WsmanFault } from '../faults/catalogue.js';
import type { FabricClock, TimerHandle } from '../fabric/clock.js';
import type { MigrationFaultEffect, MigrationFaultHook } from '../fabric/faults.js';
import type { MigrationDetails, Reachability } from '../fabric/model.js';
import { faultEffectClass, faultRuleProblems, parseFaultTime } from '../fabric/world-file.js';
import { validateFaultRule } from '../fabric/validators/index.js';
import type { FaultEffectKind, FaultEffectSpec, FaultRuleSpec } from '../fabric/world.js';
import { BodyTooLarge, declaredLength, readBody } from '../server/body.js';
import { decryptBody, encryptBody, parseEncryptedContentType, SPNEGO_SESSION_ENCRYPTED, type MessageSealer, type SealedPayload } from '../server/encryption.js';
import type { RequestListener } from '../server/listen.js';
import { UserStore, type UserAccount } from '../server/users.js';
import { connectionState, SERVER_HEADER, type RequestEvent } from '../server/wsman-handler.js';
import { charsetParam, decodeBody, encodeBody } from '../soap/charset.js';
import { parseDurationMs } from '../xml/duration.js';
import { writeFault } from '../soap/fault-writer.js';
import type { WsmanHost } from '../wsman/host.js';
import { resolveFaultKind } from './fault-names.js';
import { methodOf, operationOf, type TraceEntry } from './request-log.js';
import { SeededRandom } from './rng.js';

/** A rule as the injector keeps it. */
export interface FaultRule extends FaultRuleSpec {
  readonly id: string;
  /** the window in fabric epoch ms (relative times resolved when the rule was added) */
  readonly fromMs?: number;
  readonly untilMs?: number;
  /** applications left (from `count`) */
  remaining?: number;
  /** how many times it has applied */
  applied: number;
  /** fabric time it was added */
  readonly addedAt: number;
}

/** A rule as the control API shows it. */
export interface FaultRuleView extends FaultRuleSpec {
  id: string;
  remaining?: number;
  applied: number;
  addedAt: string;
  /** in its window now */
  active: boolean;
}

export class FaultRuleError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid fault rule: ${problems.join('; ')}`);
    this.name = 'FaultRuleError';
  }
}

/** Something fault injection did: logged, counted and shown on the dashboard. */
export interface InjectionEvent {
  /** wall-clock ms */
  readonly time: number;
  readonly rule: string;
  readonly effect: FaultEffectKind;
  readonly host?: string;
  readonly operation?: string;
  readonly resourceUri?: string;
  readonly user?: string;
  readonly vm?: string;
  readonly detail?: string;
}

export type HostDownMode = 'refused' | 'hang';

/** What the injector needs from the emulator. */
export interface InjectorHooks {
  clock(): FabricClock;
  hostNames(): readonly string[];
  /** stop (false) or resume (true) accepting connections on the host's listeners */
  setListening(host: string, listening: boolean): void;
  /** how the fabric's migrations see the host (undefined when the fabric has no such notion) */
  reachability?(host: string): Reachability | undefined;
  setReachability?(host: string, r: Reachability): void;
  injected(e: InjectionEvent): void;
  rulesChanged(): void;
}

/** One listener as the wrapper sees it. */
export interface WrapContext {
  readonly host: string;
  /** the request function of the /wsman handler now serving this listener */
  handler(): RequestListener;
  users(): UserStore;
  wsman(): WsmanHost;
  readonly maxBodyBytes: number;
  /** a request answered by injection (the handler never saw it) */
  report(e: RequestEvent, extra: { injected: FaultEffectKind; rule: string; operation: string }): void;
  /** full-envelope tracing, when on */
  trace(): ((e: TraceEntry) => void) | undefined;
}

const validateRuleShape = validateFaultRule;

/** Structural and semantic problems of a rule (empty when it is good). */
export function faultRuleErrors(spec: unknown, hosts?: readonly string[]): string[] {
  if (!validateRuleShape(spec)) {
    return (validateRuleShape.errors ?? []).map((e) => {
      const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : 'rule';
      if (e.keyword === 'additionalProperties') return `${where}: unknown field '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
      if (e.keyword === 'enum') return `${where}: ${e.message}: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
      return `${where}: ${e.message ?? e.keyword}`;
    });
  }
  return faultRuleProblems(spec as FaultRuleSpec, hosts).map(([p, m]) => `${p.join('.') || 'rule'}: ${m}`);
}

const eqi = (a: string | undefined, b: string | undefined) => a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();

/** The last path segment of a resource URI (`Msvm_ComputerSystem`, `*`). */
export function classOfUri(uri: string | undefined): string | undefined {
  if (!uri) return undefined;
  const q = uri.indexOf('?');
  const path = q >= 0 ? uri.slice(0, q) : uri;
  return path.slice(path.lastIndexOf('/') + 1);
}

// ---- reading a request without disturbing the handler ------------------------------------------

const ACTION_RE = /<(?:[\w.-]+:)?Action\b[^>]*>\s*([^<\s]+)\s*</;
const RESOURCE_URI_RE = /<(?:[\w.-]+:)?ResourceURI\b[^>]*>\s*([^<\s]+)\s*</;
const MESSAGE_ID_RE = /<(?:[\w.-]+:)?MessageID\b[^>]*>\s*([^<\s]+)\s*</;
const IDENTIFY_RE = /<(?:[\w.-]+:)?Identify\b/;
const OPERATION_TIMEOUT_RE = /<(?:[\w.-]+:)?OperationTimeout\b[^>]*>\s*([^<\s]+)\s*</;

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" })[e]!);
}

interface RequestFacts {
  operation: string;
  action?: string;
  resourceUri?: string;
  className?: string;
  method?: string;
  messageId?: string;
  /** OperationTimeout in ms, when the request gives a valid one */
  operationTimeoutMs?: number;
}

/** Action, ResourceURI and MessageID by a cheap scan (the header comes before any EPR in the body). */
export function requestFacts(text: string): RequestFacts {
  const action = ACTION_RE.exec(text)?.[1];
  const resourceUri = RESOURCE_URI_RE.exec(text)?.[1];
  const messageId = MESSAGE_ID_RE.exec(text)?.[1];
  const a = action ? unescapeXml(action) : undefined;
  const operation = operationOf(a, !a && IDENTIFY_RE.test(text));
  const uri = resourceUri ? unescapeXml(resourceUri) : undefined;
  return {
    operation,
    action: a,
    resourceUri: uri,
    className: classOfUri(uri),
    method: operation === 'Invoke' ? methodOf(a) : undefined,
    messageId: messageId ? unescapeXml(messageId) : undefined,
    operationTimeoutMs: operationTimeoutOf(text),
  };
}

function operationTimeoutOf(text: string): number | undefined {
  const m = OPERATION_TIMEOUT_RE.exec(text);
  if (!m) return undefined;
  const ms = parseDurationMs(m[1]);
  return ms !== undefined && ms > 0 ? ms : undefined;
}

/**
 * The connection's NTLM session, with a replay queue: parts the injector unsealed to read a request
 * are handed back, in order, when the handler unseals the same request. Answers go through
 * unchanged (and are shown to the tracer).
 */
export class SealerTap implements MessageSealer {
  queue: Buffer[] = [];
  onSeal: ((plain: Buffer) => void) | undefined;
  constructor(readonly real: MessageSealer) {}
  seal(plain: Buffer): SealedPayload {
    this.onSeal?.(plain);
    return this.real.seal(plain);
  }
  unseal(sealed: Buffer, signature: Buffer): Buffer {
    return this.queue.shift() ?? this.real.unseal(sealed, signature);
  }
}

/** A request whose body has been read, given to the handler as if it were arriving. */
function replayRequest(req: IncomingMessage, body: Buffer): { req: IncomingMessage; play(): void } {
  const ee = new EventEmitter();
  const r = Object.create(req) as IncomingMessage;
  const self = r as unknown as Record<string, unknown>;
  self.on = (ev: string, fn: (...a: unknown[]) => void) => (ee.on(ev, fn), r);
  self.addListener = self.on;
  self.once = (ev: string, fn: (...a: unknown[]) => void) => (ee.once(ev, fn), r);
  self.off = (ev: string, fn: (...a: unknown[]) => void) => (ee.off(ev, fn), r);
  self.removeListener = self.off;
  self.resume = () => r;
  self.pause = () => r;
  return {
    req: r,
    play() {
      if (body.length) ee.emit('data', body);
      ee.emit('end');
    },
  };
}

function isWsmanPost(req: IncomingMessage): boolean {
  if (req.method !== 'POST' || !req.url) return false;
  const q = req.url.indexOf('?');
  const p = (q >= 0 ? req.url.slice(0, q) : req.url).toLowerCase();
  return p === '/wsman' || p === '/wsman/';
}

let connectionSeq = 0;
const connectionIds = new WeakMap<Socket, number>();
function connectionId(s: Socket): number {
  let id = connectionIds.get(s);
  if (id === undefined) connectionIds.set(s, (id = ++connectionSeq));
  return id;
}

// ---- the injector -------------------------------------------------------------------------------

interface Held {
  host: string;
  req: IncomingMessage;
  res: ServerResponse;
}

export class FaultInjector {
  private rules: FaultRule[] = [];
  private seq = 1;
  private rng: SeededRandom;
  private readonly hooks: InjectorHooks;
  /** hosts taken down by host effects, and how */
  private readonly down = new Map<string, HostDownMode>();
  /** what the fabric said about a host before a host effect changed it */
  private readonly savedReachability = new Map<string, Reachability>();
  private readonly held = new Set<Held>();
  private timer: TimerHandle | undefined;
  private closed = false;
  private installedHook: MigrationFaultHook | undefined;

  constructor(hooks: InjectorHooks, opts: { seed?: number } = {}) {
    this.hooks = hooks;
    this.rng = new SeededRandom(opts.seed);
  }

  get seed(): number {
    return this.rng.seed;
  }

  /** Restart the random sequence (with a new seed, or the same one). */
  reseed(seed = this.rng.seed): void {
    this.rng = new SeededRandom(seed);
  }

  // ---- rules ----

  add(spec: FaultRuleSpec): FaultRule {
    const problems = faultRuleErrors(spec, this.hooks.hostNames());
    if (spec.id !== undefined && this.rules.some((r) => r.id === spec.id)) problems.push(`id: a rule '${spec.id}' already exists`);
    if (spec.effect?.kind === 'fault' && !resolveFaultKind(spec.effect.fault)) problems.push(`effect.fault: no fault named '${spec.effect.fault}'`);
    if (problems.length) throw new FaultRuleError(problems);
    const now = this.hooks.clock().now();
    let id = spec.id;
    while (id === undefined || this.rules.some((r) => r.id === id)) id = spec.id ?? `rule-${this.seq++}`;
    const rule: FaultRule = {
      ...structuredClone(spec),
      id,
      fromMs: spec.from !== undefined ? parseFaultTime(spec.from, now) : undefined,
      untilMs: spec.until !== undefined ? parseFaultTime(spec.until, now) : undefined,
      remaining: spec.count,
      applied: 0,
      addedAt: now,
    };
    this.rules.push(rule);
    this.changed();
    return rule;
  }

  remove(id: string): boolean {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    if (this.rules.length === n) return false;
    this.changed();
    return true;
  }

  /** Remove every rule (the hosts they took down come back). */
  clear(): void {
    if (this.rules.length === 0) return;
    this.rules = [];
    this.changed();
  }

  get(id: string): FaultRule | undefined {
    return this.rules.find((r) => r.id === id);
  }

  list(): FaultRule[] {
    return [...this.rules];
  }

  view(r: FaultRule): FaultRuleView {
    const now = this.hooks.clock().now();
    const { fromMs, untilMs, addedAt, ...rest } = r;
    const out: FaultRuleView = { ...structuredClone(rest), addedAt: new Date(addedAt).toISOString(), active: this.inWindow(r, now) };
    if (fromMs !== undefined) out.from = new Date(fromMs).toISOString();
    if (untilMs !== undefined) out.until = new Date(untilMs).toISOString();
    delete out.count;
    return out;
  }

  /** The rules as a world file's `faults:` would declare them now (absolute times, counts left). */
  toSpecs(): FaultRuleSpec[] {
    return this.rules.map((r) => {
      const s: FaultRuleSpec = { id: r.id, effect: structuredClone(r.effect) };
      for (const k of ['description', 'host', 'operation', 'class', 'method', 'vm', 'destination', 'probability'] as const) {
        if (r[k] !== undefined) (s as unknown as Record<string, unknown>)[k] = r[k];
      }
      if (r.remaining !== undefined) s.count = r.remaining;
      if (r.fromMs !== undefined) s.from = new Date(r.fromMs).toISOString();
      if (r.untilMs !== undefined) s.until = new Date(r.untilMs).toISOString();
      return s;
    });
  }

  /** How a host effect has the host now (undefined: up). */
  hostState(host: string): HostDownMode | undefined {
    return this.down.get(host.toLowerCase());
  }

  private inWindow(r: FaultRule, now: number): boolean {
    return (r.fromMs === undefined || now >= r.fromMs) && (r.untilMs === undefined || now < r.untilMs);
  }

  private changed(): void {
    this.ensureHook();
    this.evaluateHosts();
    this.hooks.rulesChanged();
  }

  /** A rule applied once: count it down (and drop it at zero). */
  private consume(r: FaultRule): void {
    r.applied++;
    if (r.remaining !== undefined) {
      r.remaining--;
      if (r.remaining <= 0) {
        this.rules = this.rules.filter((x) => x !== r);
        this.hooks.rulesChanged();
      }
    }
  }

  private event(r: FaultRule, e: Omit<InjectionEvent, 'time' | 'rule' | 'effect'>): void {
    this.hooks.injected({ time: Date.now(), rule: r.id, effect: r.effect.kind, ...e });
  }

  // ---- host effects ----

  /** The host-level state every host should be in now; applies changes and schedules the next look. */
  evaluateHosts(): void {
    if (this.closed) return;
    const clock = this.hooks.clock();
    const now = clock.now();
    const want = new Map<string, { mode: HostDownMode; rule: FaultRule }>();
    let next = Infinity;
    const hosts = this.hooks.hostNames();
    for (const r of this.rules) {
      const e = r.effect;
      if (e.kind !== 'unreachable' && e.kind !== 'flap') continue;
      if (r.fromMs !== undefined && r.fromMs > now) next = Math.min(next, r.fromMs);
      if (r.untilMs !== undefined && r.untilMs > now) next = Math.min(next, r.untilMs);
      if (!this.inWindow(r, now)) continue;
      let isDown = true;
      if (e.kind === 'flap') {
        const start = r.fromMs ?? r.addedAt;
        const period = e.downMs + e.upMs;
        const phase = (now - start) % period;
        isDown = phase < e.downMs;
        next = Math.min(next, now - phase + (isDown ? e.downMs : period));
      }
      if (!isDown) continue;
      const mode = e.mode ?? 'refused';
      for (const h of hosts) {
        if (r.host !== undefined && !eqi(r.host, h)) continue;
        const k = h.toLowerCase();
        const cur = want.get(k);
        if (!cur || (cur.mode === 'hang' && mode === 'refused')) want.set(k, { mode, rule: r });
      }
    }
    for (const h of hosts) {
      const k = h.toLowerCase();
      const before = this.down.get(k);
      const after = want.get(k);
      if (before === after?.mode) continue;
      if (after) this.down.set(k, after.mode);
      else this.down.delete(k);
      this.applyHostState(h, before, after?.mode);
      if (after) this.event(after.rule, { host: h, detail: after.mode === 'refused' ? 'host down: connections refused' : 'host down: requests hang' });
    }
    // hosts that no longer exist
    for (const k of [...this.down.keys()]) if (!hosts.some((h) => h.toLowerCase() === k)) this.down.delete(k);
    if (this.timer) clock.clearTimer(this.timer);
    this.timer = Number.isFinite(next) ? clock.setTimer(next, () => {
      this.timer = undefined;
      this.evaluateHosts();
    }) : undefined;
  }

  private applyHostState(host: string, before: HostDownMode | undefined, after: HostDownMode | undefined): void {
    const k = host.toLowerCase();
    if ((before === 'refused') !== (after === 'refused')) this.hooks.setListening(host, after !== 'refused');
    if (before === 'hang' && after !== 'hang') this.releaseHeld(host);
    if (this.hooks.setReachability) {
      if (after) {
        if (!this.savedReachability.has(k)) this.savedReachability.set(k, this.hooks.reachability?.(host) ?? 'reachable');
        this.hooks.setReachability(host, after === 'refused' ? 'refused' : 'timeout');
      } else if (this.savedReachability.has(k)) {
        const r = this.savedReachability.get(k)!;
        this.savedReachability.delete(k);
        this.hooks.setReachability(host, r);
      }
    }
  }

  /** Did a host effect (not the world) set this host's fabric reachability? */
  setsReachability(host: string): boolean {
    return this.savedReachability.has(host.toLowerCase());
  }

  /** Forget per-host state (the fabric was replaced: its hosts start reachable as declared). */
  resetHostState(): void {
    for (const [k, mode] of this.down) if (mode === 'refused') this.hooks.setListening(k, true);
    for (const h of this.held) this.dropHeld(h);
    this.held.clear();
    this.down.clear();
    this.savedReachability.clear();
  }

  private hold(host: string, req: IncomingMessage, res: ServerResponse): void {
    const h: Held = { host, req, res };
    this.held.add(h);
    res.once('close', () => this.held.delete(h));
  }

  private dropHeld(h: Held): void {
    h.req.socket.destroy();
  }

  private releaseHeld(host: string): void {
    for (const h of [...this.held]) {
      if (!eqi(h.host, host)) continue;
      this.held.delete(h);
      this.dropHeld(h);
    }
  }

  // ---- migration effects ----

  /** Keep the fabric's migration fault hook pointing here (chaining any other hook). */
  attachMigrationHook(faults: { hook: MigrationFaultHook | undefined } | undefined): void {
    this.hookTarget = faults;
    this.installedHook = undefined;
    this.ensureHook();
  }

  private hookTarget: { hook: MigrationFaultHook | undefined } | undefined;

  private ensureHook(): void {
    const t = this.hookTarget;
    if (!t || (t.hook !== undefined && t.hook === this.installedHook)) return;
    const previous = t.hook;
    const mine: MigrationFaultHook = (m) => {
      const out = this.migrationEffects(m);
      const other = previous?.(m);
      if (other) out.push(...(Array.isArray(other) ? other : [other]));
      return out.length ? out : undefined;
    };
    this.installedHook = mine;
    t.hook = mine;
  }

  /** Effects for a migration that is starting (the fabric asks once per job). */
  migrationEffects(m: Readonly<MigrationDetails>): MigrationFaultEffect[] {
    const now = this.hooks.clock().now();
    const out: MigrationFaultEffect[] = [];
    for (const r of [...this.rules]) {
      if (faultEffectClass(r.effect.kind) !== 'migration' || !this.inWindow(r, now)) continue;
      if (r.host !== undefined && !eqi(r.host, m.source)) continue;
      if (r.destination !== undefined && !eqi(r.destination, m.destination)) continue;
      if (r.vm !== undefined && !eqi(r.vm, m.vm) && !eqi(r.vm, m.vmName)) continue;
      if (!this.rng.chance(r.probability ?? 1)) continue;
      const e = r.effect;
      if (e.kind === 'migration-fail') {
        const error: Record<string, unknown> = {};
        if (e.messageId !== undefined) error.messageId = e.messageId;
        if (e.message !== undefined) {
          error.message = e.message;
          error.messageArguments = [];
        }
        out.push({ kind: 'fail', atPercent: e.atPercent, error, errorCode: e.errorCode, side: e.side });
      } else if (e.kind === 'migration-slow') {
        out.push({ kind: 'slow', factor: e.factor });
      } else if (e.kind === 'migration-unreachable') {
        out.push({ kind: 'unreachable', mode: e.mode ?? 'timeout' });
      }
      this.consume(r);
      this.event(r, { host: m.source, vm: m.vmName, detail: `${m.type} migration of ${m.vmName} to ${m.destination ?? m.source}` });
    }
    return out;
  }

  // ---- request effects ----

  /** The request rules that could apply to a request to `host` now. */
  private requestRules(host: string, now: number): FaultRule[] {
    let out: FaultRule[] | undefined;
    for (const r of this.rules) {
      if (faultEffectClass(r.effect.kind) !== 'request') continue;
      if (r.host !== undefined && !eqi(r.host, host)) continue;
      if (!this.inWindow(r, now)) continue;
      (out ??= []).push(r);
    }
    return out ?? [];
  }

  /** A listener's request function with fault injection (and tracing) in front of the handler. */
  wrap(ctx: WrapContext): RequestListener {
    const lower = ctx.host.toLowerCase();
    return (req, res) => {
      const mode = this.down.size ? this.down.get(lower) : undefined;
      if (mode === 'hang') {
        this.hold(ctx.host, req, res);
        return;
      }
      if (mode === 'refused') {
        // a connection accepted just before the listener closed
        req.socket.destroy();
        return;
      }
      const trace = ctx.trace();
      const rules = this.rules.length ? this.requestRules(ctx.host, this.hooks.clock().now()) : [];
      if ((rules.length === 0 && !trace) || !isWsmanPost(req)) {
        ctx.handler()(req, res);
        return;
      }
      const declared = declaredLength(req);
      if (declared !== undefined && declared > ctx.maxBodyBytes) {
        ctx.handler()(req, res);
        return;
      }
      readBody(req, ctx.maxBodyBytes).then(
        (body) => this.inspect(ctx, req, res, body, rules, trace),
        (err: unknown) => {
          if (err instanceof BodyTooLarge) {
            res.writeHead(413, { Server: SERVER_HEADER, 'Content-Length': '0', Connection: 'close' });
            res.end();
          }
          req.socket.destroy();
        },
      ).catch((err: unknown) => {
        process.emitWarning(`vmms-emu: fault injection failed on a request: ${err instanceof Error ? err.message : String(err)}`);
        if (!res.headersSent) req.socket.destroy();
      });
    };
  }

  private inspect(
    ctx: WrapContext, req: IncomingMessage, res: ServerResponse, body: Buffer, rules: FaultRule[], trace: ((e: TraceEntry) => void) | undefined,
  ): void {
    const started = performance.now();
    const socket = req.socket;
    const conn = connectionState(socket);
    let account: UserAccount | undefined;
    let handshake = false;
    const authz = req.headers.authorization;
    if (authz) {
      const sp = authz.trim().search(/\s/);
      const scheme = (sp < 0 ? authz.trim() : authz.trim().slice(0, sp)).toLowerCase();
      if (scheme === 'basic') {
        const decoded = Buffer.from(sp < 0 ? '' : authz.trim().slice(sp + 1).trim(), 'base64').toString('utf8');
        const i = decoded.indexOf(':');
        if (i >= 0) account = ctx.users().verify(decoded.slice(0, i), decoded.slice(i + 1));
      } else {
        handshake = true;
      }
    } else if (conn.account) {
      account = conn.account;
    }
    if (account && !UserStore.mayUseHost(account, ctx.host)) account = undefined;

    // a sealed body: unseal it with the connection's session, and keep the parts for the handler
    let contentType = req.headers['content-type'];
    let plain: Buffer | undefined = body;
    let tap: SealerTap | undefined;
    const encrypted = contentType && /multipart/i.test(contentType) ? parseEncryptedContentType(contentType) : undefined;
    if (encrypted) {
      plain = undefined;
      if (!authz && conn.account && conn.sealer && encrypted.protocol.toLowerCase() === SPNEGO_SESSION_ENCRYPTED.toLowerCase()) {
        tap = conn.sealer instanceof SealerTap ? conn.sealer : new SealerTap(conn.sealer);
        conn.sealer = tap;
        tap.queue = [];
        const parts: Buffer[] = [];
        const real = tap.real;
        try {
          const d = decryptBody(body, encrypted, { seal: (p) => real.seal(p), unseal: (s, g) => { const p = real.unseal(s, g); parts.push(p); return p; } });
          plain = d.plaintext;
          contentType = d.contentType;
          tap.queue = parts;
        } catch {
          // the handler meets the same failure (the session is out of step) and answers for it
          plain = undefined;
        }
      }
    }
    let text: string | undefined;
    let charset: 'utf-8' | 'utf-16le' | 'utf-16be' = 'utf-8';
    if (plain && plain.length) {
      try {
        const d = decodeBody(plain, contentType);
        text = d.text;
        charset = d.charset;
      } catch {
        text = undefined;
      }
    }
    const facts = text !== undefined ? requestFacts(text) : undefined;
    const cid = trace ? connectionId(socket) : 0;
    const sealed = !!tap;
    if (trace) {
      trace({
        host: ctx.host, direction: 'request', connection: cid, user: account?.name, sealed, text,
        note: text === undefined ? (encrypted ? 'sealed, not readable here' : body.length ? 'not a SOAP envelope' : 'empty body') : undefined,
      });
    }

    // which rule applies: only to an authenticated SOAP request, never to a handshake
    let delay = 0;
    let terminal: FaultRule | undefined;
    const latency: FaultRule[] = [];
    if (account && !handshake && facts) {
      for (const r of rules) {
        if (!this.rules.includes(r)) continue;
        if (r.operation !== undefined && r.operation !== facts.operation) continue;
        if (r.class !== undefined && !eqi(r.class, facts.className)) continue;
        if (r.method !== undefined && !eqi(r.method, facts.method)) continue;
        if (r.effect.kind !== 'latency' && terminal) continue;
        if (!this.rng.chance(r.probability ?? 1)) continue;
        if (r.effect.kind === 'latency') {
          delay += r.effect.ms + (r.effect.jitterMs ? this.rng.next() * r.effect.jitterMs : 0);
          latency.push(r);
        } else {
          terminal = r;
        }
      }
    }
    for (const r of [...latency, ...(terminal ? [terminal] : [])]) {
      this.consume(r);
      this.event(r, { host: ctx.host, operation: facts?.operation, resourceUri: facts?.resourceUri, user: account?.name });
    }

    const finishTrace = () => {
      if (!trace) return;
      let captured: Buffer | undefined;
      if (tap) tap.onSeal = (p) => { captured = captured ? Buffer.concat([captured, p]) : p; };
      const end = res.end.bind(res) as (...a: unknown[]) => ServerResponse;
      (res as unknown as { end: (...a: unknown[]) => ServerResponse }).end = (...a: unknown[]) => {
        const chunk = a[0];
        const raw = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : undefined;
        let out: string | undefined;
        const src = tap ? captured : raw;
        if (src && src.length) {
          try {
            out = decodeBody(src, tap ? `application/soap+xml;charset=${charset}` : String(res.getHeader('content-type') ?? '')).text;
          } catch {
            out = undefined;
          }
        }
        if (tap) tap.onSeal = undefined;
        trace({ host: ctx.host, direction: 'response', connection: cid, status: res.statusCode, sealed, text: out, note: out === undefined ? 'empty body' : undefined });
        return end(...a);
      };
    };

    const proceed = () => {
      if (res.destroyed || socket.destroyed) return;
      const e = terminal?.effect;
      if (!e || e.kind === 'drop') {
        if (e?.kind === 'drop') this.truncate(res);
        finishTrace();
        res.once('close', () => {
          if (tap) tap.queue = [];
        });
        const replay = replayRequest(req, body);
        ctx.handler()(replay.req, res);
        replay.play();
        return;
      }
      const report = (status: number, faultKind?: string) => ctx.report(
        {
          host: ctx.host, user: account?.name, status, action: facts?.action, resourceUri: facts?.resourceUri, faultKind, sealed,
          durationMs: performance.now() - started,
        },
        { injected: e.kind, rule: terminal!.id, operation: facts?.operation ?? '-' },
      );
      if (tap) tap.queue = [];
      if (e.kind === 'hang') {
        this.hold(ctx.host, req, res);
        report(0);
        return;
      }
      if (e.kind === 'reset') {
        socket.destroy();
        report(0);
        return;
      }
      if (e.kind === 'fault') {
        answerFault(new WsmanFault(resolveFaultKind(e.fault)!, e.reason ? { reason: e.reason } : {}));
      }
    };
    /** A catalogue fault in the shape the host would send, sealed when the request was. */
    const answerFault = (fault: WsmanFault, onSent?: (status: number) => void) => {
      const kind = fault.kind;
      const wsman = ctx.wsman();
      const { status, body: xml } = writeFault(fault, {
        relatesTo: facts?.messageId,
        machine: socket.localAddress?.replace(/^::ffff:/, '') ?? '',
        hostName: wsman.fqdn,
        classOf: (ns, name) => wsman.om.schema.getClass(ns, name),
      });
      const encoded = encodeBody(xml, charset);
      let outBody = encoded.body;
      let outType = encoded.contentType;
      if (tap) {
        const s = encryptBody(encoded.body, tap.real, { charset: (charsetParam(encoded.contentType) ?? 'utf-8').toUpperCase() });
        outBody = s.body;
        outType = s.contentType;
      }
      if (trace) trace({ host: ctx.host, direction: 'response', connection: cid, status, sealed, text: xml });
      res.writeHead(status, { Server: SERVER_HEADER, 'Content-Type': outType, 'Content-Length': String(outBody.length) });
      res.end(outBody);
      if (onSent) onSent(status);
      else reportTerminal(status, kind);
    };
    const reportTerminal = (status: number, faultKind?: string) => ctx.report(
      {
        host: ctx.host, user: account?.name, status, action: facts?.action, resourceUri: facts?.resourceUri, faultKind, sealed,
        durationMs: performance.now() - started,
      },
      { injected: terminal!.effect.kind, rule: terminal!.id, operation: facts?.operation ?? '-' },
    );
    // latency beyond the request's OperationTimeout (capped by MaxTimeoutms): Windows gives up at
    // the timeout and answers w:TimedOut; the request is not carried out
    const timeoutMs = facts ? Math.min(facts.operationTimeoutMs ?? Infinity, ctx.wsman().limits.maxTimeoutMs) : Infinity;
    if (delay > 0 && delay > timeoutMs) {
      const t = setTimeout(() => {
        if (res.destroyed || socket.destroyed) return;
        if (tap) tap.queue = [];
        answerFault(new WsmanFault('TimedOut'), (status) => ctx.report(
          { host: ctx.host, user: account?.name, status, action: facts?.action, resourceUri: facts?.resourceUri, faultKind: 'TimedOut', sealed, durationMs: performance.now() - started },
          { injected: 'latency', rule: latency[0]!.id, operation: facts?.operation ?? '-' },
        ));
      }, timeoutMs);
      res.once('close', () => clearTimeout(t));
    } else if (delay > 0) {
      const t = setTimeout(proceed, delay);
      res.once('close', () => clearTimeout(t));
    } else {
      proceed();
    }
  }

  /** The answer's headers and half its body go out, then the connection closes. */
  private truncate(res: ServerResponse): void {
    const r = res as unknown as { end: (...a: unknown[]) => ServerResponse };
    r.end = (...a: unknown[]) => {
      const chunk = a[0];
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.isBuffer(chunk) ? chunk : Buffer.alloc(0);
      const half = buf.subarray(0, Math.floor(buf.length / 2));
      res.write(half, () => res.socket?.destroy());
      return res;
    };
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.hooks.clock().clearTimer(this.timer);
    this.timer = undefined;
    for (const h of this.held) this.dropHeld(h);
    this.held.clear();
  }
}

export type { FaultEffectSpec, FaultRuleSpec };
