/**
 * Assembly: a world → a running emulator. Builds the fabric (state + clock), one object manager
 * and one WS-Man host per emulated host, and their HTTP/HTTPS listeners; puts fault injection,
 * the request log and metrics in front of every /wsman handler; and, when asked, serves the
 * control API, metrics and dashboard on a port of their own (src/control/server.ts).
 *
 * Port contract (other tools depend on it): host i (from 0) listens on HTTP `portBase + 2i` and
 * HTTPS `portBase + 2i + 1` unless its world entry sets ports; portBase 0 picks free ports. A host
 * added at run time takes the first free slot i; a host kept across a reset keeps its ports.
 *
 * Embedding (README "Embedding"): `createEmulator({ world, portBase: 0 })` → `{ hosts, control,
 * close() }`; `hosts[i].http.url` is the host's /wsman URL, `control` adds and removes hosts,
 * resets, snapshots and restores the world, `faults` injects faults, `clock` drives time.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { parseEmbeddedInstance, writeEmbeddedInstance } from './cim/cimxml/index.js';
import { ObjectManager } from './cim/object-manager.js';
import type { FabricBackend } from './cim/provider.js';
import { loadSchemaRegistry, projectRoot } from './cim/schema-loader.js';
import type { CimClass, CimInstance } from './cim/types.js';
import { ControlBus } from './control/bus.js';
import { FaultInjector, type InjectionEvent } from './control/injection.js';
import { EmulatorMetrics } from './control/metrics.js';
import { logRequest, RecordRing, recordOf, Ring, TraceWriter, type RequestLogger, type RequestRecord } from './control/request-log.js';
import { FabricClock } from './fabric/clock.js';
import { Fabric } from './fabric/fabric.js';
import { resolveLimits, type Limits } from './fabric/limits.js';
import { FabricStore, type SavedState } from './fabric/store/sqlite-store.js';
import { parseWorld } from './fabric/world-file.js';
import type { HostSpec, WorldSpec } from './fabric/world.js';
import { createHypervFabric } from './providers/hyperv/index.js';
import { createAuthSchemes } from './server/auth/schemes.js';
import { ConnectionGuard, type ConnectionLimitOptions } from './server/connection-limits.js';
import { listen, type Listener, type RequestListener } from './server/listen.js';
import { ensureCertificates, type CertificateSet } from './server/tls/certs.js';
import { UserStore } from './server/users.js';
import { asWsmanMiddleware, createWsmanHandler, SERVER_HEADER, type AuthScheme, type RequestEvent, type WsmanMiddleware } from './server/wsman-handler.js';
import { createWsmanHost } from './server/wsman-host.js';
import type { ServiceConfig, WsmanHost, WsmanLimits } from './wsman/host.js';

/** A request being served (see Emulator.inFlight). */
interface InFlightRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly started: number;
  /** still counted in inFlightCount */
  counted: boolean;
}

export type { FabricBackend };

export type FabricFactory = (world: WorldSpec, clock: FabricClock) => FabricBackend;

export interface EmbeddedCodec {
  parse(text: string, expectedClass: string | undefined, classOf: (name: string) => CimClass | undefined): CimInstance;
  write(inst: CimInstance, cls: CimClass, classOf: (name: string) => CimClass | undefined): string;
}

/** WMI's GetText_(1) CIM-XML for EmbeddedInstance strings (wire notes §3.4). */
export const CIMXML_CODEC: EmbeddedCodec = {
  parse: (text, expected, classOf) => parseEmbeddedInstance(text, expected, classOf),
  write: (inst, cls, classOf) => writeEmbeddedInstance(inst, cls, { classOf }),
};

export interface EmulatorOptions {
  world: WorldSpec;
  /** the fabric (default: the Hyper-V fabric, createHypervFabric) */
  fabric?: FabricFactory;
  /** CIM-XML codec for EmbeddedInstance strings (default: src/cim/cimxml) */
  embedded?: EmbeddedCodec;
  /** first port (default 5985); 0 = free ports */
  portBase?: number;
  /** listen address (default 127.0.0.1) */
  bind?: string;
  clock?: FabricClock;
  /** HTTPS listeners (default true) */
  https?: boolean;
  /** where generated certificates live (default `<project>/certs`) */
  certDir?: string;
  /** extra auth schemes per host, beside Basic, Negotiate and client certificates (which come from the world) */
  authSchemes?: (host: HostSpec) => AuthScheme[];
  /** limits on unauthenticated connections, per listener */
  connectionLimits?: ConnectionLimitOptions;
  onRequest?: (e: RequestEvent) => void;
  /** serve the control API, /metrics and the dashboard on this port (0 = a free port); absent: not served */
  controlPort?: number;
  /** the control port's address (default 127.0.0.1) */
  controlBind?: string;
  /**
   * bearer token for the control API. Required (generated when absent) when controlBind is not a
   * loopback address; when given for loopback it is required there too.
   */
  controlToken?: string;
  /** one structured line per request (a pino logger fits); default: none */
  logger?: RequestLogger;
  /** write every envelope, in plaintext after decryption, to this file (debugging; sensitive) */
  traceFile?: string;
  /** seed of the random draws of fault rules with a probability (default: random) */
  faultSeed?: number;
  /** requests and injections kept for the dashboard and GET /api/requests (default 200) */
  recentRequests?: number;
  /**
   * SQLite file holding the fabric state across restarts (`--state FILE`). A new file is seeded
   * from `world`; an existing one is resumed (its world wins over `world`), and whatever a crash
   * interrupted is ended as the README's "Crash semantics" describes. Absent: the state lives in memory only.
   */
  state?: string;
  /** close(): how long in-flight requests may take to finish before they are cut off (default 5000 ms) */
  shutdownTimeoutMs?: number;
}

export interface EmulatorHost {
  readonly name: string;
  readonly spec: HostSpec;
  readonly wsman: WsmanHost;
  readonly http: Listener;
  readonly https?: Listener;
  /** false while fault injection has the host's listeners closed (connection refused) */
  readonly listening: boolean;
  /**
   * The host's `/wsman` for an express (or connect) app of your own: `app.use(host.middleware)`,
   * before any body parser. It answers as the host's HTTP listener does — authentication, message
   * sealing, fault injection, logging and metrics — and passes every other path on.
   */
  readonly middleware: WsmanMiddleware;
}

/** The control plane, for programs; the control API (src/control/server.ts) is a thin layer over it. */
export interface EmulatorControl {
  /** base URL of the control API, when served (`http://127.0.0.1:5984`) */
  readonly url?: string;
  /** the bearer token the control API requires, if any */
  readonly token?: string;
  readonly events: ControlBus;
  /** Add a host (and its listeners) at run time. */
  addHost(spec: HostSpec): Promise<EmulatorHost>;
  /** Remove a host: its VMs and jobs go, migrations that involve it are cancelled, its listeners close. */
  removeHost(name: string): Promise<void>;
  /** Back to the world the emulator started with (fabric, users, fault rules; the clock runs on). */
  reset(): Promise<void>;
  /** Replace the whole fabric state with a world (as `snapshot()` gives). */
  restore(world: WorldSpec): Promise<void>;
  /** The whole fabric state as a world file: hosts, VMs, settings, users and fault rules. */
  snapshot(): WorldSpec;
  /** Latest requests, oldest first. */
  recentRequests(limit?: number): RequestRecord[];
  /** Latest injected faults, oldest first. */
  recentInjections(limit?: number): InjectionEvent[];
  /** Write pending fabric changes to the state file now (they are written after every step anyway; no-op without one). */
  flush?(): void;
}

export interface Emulator {
  readonly hosts: readonly EmulatorHost[];
  readonly clock: FabricClock;
  /** the fabric now serving (a reset or restore replaces it) */
  readonly fabric: FabricBackend;
  readonly users: UserStore;
  /** the world declaration now served (as loaded, added to or restored) */
  readonly world: WorldSpec;
  readonly faults: FaultInjector;
  readonly metrics: EmulatorMetrics;
  readonly control: EmulatorControl;
  /** what the start found in the state file: whether the last run closed it, and the jobs it ended (undefined without `state`, or for a new file) */
  readonly recovered?: { readonly clean: boolean; readonly jobsEnded: readonly string[] };
  close(): Promise<void>;
}

export function serviceConfigOf(spec: HostSpec, limits: Pick<Limits, 'maxConnections'> = resolveLimits(undefined)): ServiceConfig {
  const l = spec.listener ?? {};
  return {
    // Windows defaults: AllowUnencrypted false, Basic on, Negotiate on, Certificate off
    allowUnencrypted: l.allowUnencrypted ?? false,
    maxConnections: limits.maxConnections,
    auth: { basic: l.basic ?? true, negotiate: l.negotiate ?? true, certificate: l.certificate ?? false },
  };
}

/** The WS-Man limits of a world's `limits:` (src/fabric/limits.ts). */
export function wsmanLimitsOf(l: Limits): WsmanLimits {
  return {
    maxEnvelopeSize: l.maxEnvelopeSizeKb * 1024,
    maxTimeoutMs: l.maxTimeoutMs,
    maxBatchItems: l.maxBatchItems,
    enumerationTimeoutMs: l.enumerationTimeoutMs,
    maxContextsPerUser: l.maxConcurrentOperationsPerUser,
  };
}

export function isLoopback(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  return a === 'localhost' || a === '::1' || a.startsWith('127.') || a === '::ffff:127.0.0.1';
}

interface HostRuntime {
  spec: HostSpec;
  slot: number;
  wsman: WsmanHost;
  handlers: { http: RequestListener; https?: RequestListener };
  http: Listener;
  https?: Listener;
  guards: ConnectionGuard[];
  listening: boolean;
  view: EmulatorHost;
}

const key = (s: string) => s.toLowerCase();

const AUTH_FAILED = Symbol('vmms-emu.authFailed');
type TrackedResponse = ServerResponse & { [AUTH_FAILED]?: () => void };
const baseWriteHead = ServerResponse.prototype.writeHead;

/**
 * Set when the last 401 written kept the connection: a Negotiate handshake step. The handler
 * writes the answer and reports the request in one synchronous step, so the report that follows
 * reads it (and clears it) with nothing in between.
 */
let lastWasChallenge = false;

/**
 * writeHead that notices a refusal ending the exchange: 401/403 with `Connection: close` (a
 * Negotiate handshake step's 401 keeps the connection and is not a failure).
 */
function trackedWriteHead(this: TrackedResponse, status: number, ...rest: unknown[]): ServerResponse {
  if (status === 401 || status === 403) {
    const headers = rest.find((x) => typeof x === 'object' && x !== null) as Record<string, unknown> | undefined;
    let close = false;
    if (headers && !Array.isArray(headers)) {
      for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'connection' && /close/i.test(String(v))) close = true;
    }
    if (close || /close/i.test(String(this.getHeader('connection') ?? ''))) this[AUTH_FAILED]?.();
    else if (status === 401) lastWasChallenge = true;
  }
  return (baseWriteHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest);
}

class EmulatorImpl implements Emulator {
  readonly clock: FabricClock;
  readonly faults: FaultInjector;
  readonly metrics: EmulatorMetrics;
  readonly control: EmulatorControl;
  readonly bus = new ControlBus();
  private readonly opts: EmulatorOptions;
  private readonly factory: FabricFactory;
  private readonly embedded: EmbeddedCodec;
  private readonly bind: string;
  private readonly portBase: number;
  private readonly useHttps: boolean;
  private readonly certDir: string;
  private readonly schema = loadSchemaRegistry();
  private initialWorld: WorldSpec;
  private limits: Limits;
  private readonly store: FabricStore | undefined;
  private saved: SavedState | undefined;
  /**
   * The request each connection is serving, for the sweeper (only a connection's latest request can
   * still be waiting for its body), and a count of answers not yet finished, for shutdown. Kept per
   * connection, not per request: a map whose entries come and go with every request keeps
   * reallocating its table, which dragged each request's objects into the old generation (the
   * Hyper-V bench world's heap grew 45 MB of garbage in 3 s of Gets).
   */
  private readonly inFlight = new Map<Socket, InFlightRequest | undefined>();
  private inFlightCount = 0;
  private draining = false;
  private sweeper: NodeJS.Timeout | undefined;
  private currentWorld: WorldSpec;
  private currentFabric!: FabricBackend;
  private currentUsers!: UserStore;
  private unsubscribeFabric: (() => void) | undefined;
  private readonly runtimes = new Map<string, HostRuntime>();
  private hostViews: EmulatorHost[] = [];
  private readonly endpoints = new Map<string, string>();
  private certs: CertificateSet | undefined;
  private readonly requests: RecordRing;
  private readonly injections: Ring<InjectionEvent>;
  private trace: TraceWriter | undefined;
  private controlServer: { url: string; token?: string; close(): Promise<void> } | undefined;
  private closed = false;

  constructor(opts: EmulatorOptions) {
    this.opts = opts;
    this.initialWorld = structuredClone(opts.world);
    this.currentWorld = structuredClone(opts.world);
    if (opts.state) {
      this.store = FabricStore.open(opts.state);
      try {
        this.saved = this.store.load();
      } catch (e) {
        this.store.close();
        throw e;
      }
      if (this.saved) {
        this.currentWorld = this.saved.world;
        this.initialWorld = this.saved.initialWorld;
      }
    }
    this.limits = resolveLimits(this.currentWorld.limits);
    this.factory = opts.fabric ?? createHypervFabric;
    this.embedded = opts.embedded ?? CIMXML_CODEC;
    this.bind = opts.bind ?? '127.0.0.1';
    this.portBase = opts.portBase ?? 5985;
    this.useHttps = opts.https ?? true;
    this.certDir = opts.certDir ?? join(projectRoot(), 'certs');
    this.clock = opts.clock ?? new FabricClock();
    this.requests = new RecordRing(opts.recentRequests ?? 200);
    this.injections = new Ring(opts.recentRequests ?? 200);
    if (opts.traceFile) this.trace = new TraceWriter(opts.traceFile);
    this.faults = new FaultInjector({
      clock: () => this.clock,
      hostNames: () => [...this.runtimes.values()].map((r) => r.spec.name),
      setListening: (host, listening) => this.setListening(host, listening),
      reachability: (host) => (this.currentFabric instanceof Fabric ? this.currentFabric.host(host)?.reachability : undefined),
      setReachability: (host, r) => {
        if (this.currentFabric instanceof Fabric && this.currentFabric.host(host)) this.currentFabric.setReachability(host, r);
      },
      injected: (e) => this.onInjected(e),
      rulesChanged: () => this.bus.emit('rules'),
    }, { seed: opts.faultSeed });
    this.metrics = new EmulatorMetrics({
      hosts: () => [...this.runtimes.values()].map((r) => ({ name: r.spec.name, enumerations: r.wsman.enumerations.size })),
      jobs: () => this.allJobs(),
      migrations: () => (this.currentFabric instanceof Fabric ? this.currentFabric.activeMigrations() : []),
      vms: () => this.allVms(),
      hostDown: (h) => this.faults.hostState(h) !== undefined,
      ruleCount: () => this.faults.list().length,
    });
    const self = this;
    this.control = {
      get url() {
        return self.controlServer?.url;
      },
      get token() {
        return self.controlServer?.token;
      },
      events: this.bus,
      addHost: (spec) => this.addHost(spec),
      removeHost: (name) => this.removeHost(name),
      reset: () => this.restore(this.initialWorld),
      restore: (world) => this.restore(world),
      snapshot: () => this.snapshot(),
      recentRequests: (n) => this.requests.latest(n),
      recentInjections: (n) => this.injections.latest(n),
      flush: () => this.store?.flush(),
    };
  }

  get hosts(): readonly EmulatorHost[] {
    return this.hostViews;
  }

  get fabric(): FabricBackend {
    return this.currentFabric;
  }

  get users(): UserStore {
    return this.currentUsers;
  }

  get world(): WorldSpec {
    return this.currentWorld;
  }

  // ---------------------------------------------------------------------------------- start --

  async start(): Promise<void> {
    const world = this.currentWorld;
    this.installFabric(world);
    if (this.store) {
      const f = this.currentFabric;
      const saved = this.saved;
      if (saved && f instanceof Fabric) this.resume(f, saved);
      else if (f instanceof Fabric) this.store.replaceAll(f, world, this.initialWorld);
      this.saved = undefined;
    }
    this.certs = this.ensureCerts(world.hosts);
    for (let i = 0; i < world.hosts.length; i++) await this.openHost(world.hosts[i], i);
    this.refreshViews();
    for (const r of world.faults ?? []) this.faults.add(r);
    this.faults.evaluateHosts();
    this.startSweeper();
    if (this.opts.controlPort !== undefined) {
      const { startControlServer } = await import('./control/server.js');
      const bind = this.opts.controlBind ?? '127.0.0.1';
      let token = this.opts.controlToken;
      if (!token && !isLoopback(bind)) token = randomBytes(18).toString('base64url');
      this.controlServer = await startControlServer(this, { port: this.opts.controlPort, bind, token });
    }
  }

  /**
   * Carry on from a state file: fabric time never goes back, the records come back as they were
   * saved, and what the stop interrupted is ended (Fabric.recoverInterrupted). Reachability set by
   * fault rules is not kept: the world's rules decide it again.
   */
  private resume(f: Fabric, saved: SavedState): void {
    const behind = saved.time - this.clock.now();
    if (behind > 0) this.clock.advance(behind);
    f.importRecords(saved.hosts, saved.vms, saved.jobs);
    for (const spec of this.currentWorld.hosts) {
      const h = f.host(spec.name);
      if (h) h.reachability = spec.unreachable ? 'refused' : 'reachable';
    }
    this.store!.attach(f, () => this.currentWorld);
    const ended = f.recoverInterrupted(saved.time);
    this.store!.flush();
    this.recovered = { clean: saved.clean, jobsEnded: ended };
  }

  /** What the start found in the state file (undefined without one, or for a new one). */
  recovered: { clean: boolean; jobsEnded: string[] } | undefined;

  private installFabric(world: WorldSpec): void {
    this.unsubscribeFabric?.();
    this.currentFabric = this.factory(world, this.clock);
    this.currentUsers = new UserStore(
      world.users.map((u) => ({ name: u.name, password: u.password, readOnly: u.readOnly ?? false, hosts: u.hosts, certificates: u.certificates })),
    );
    const f = this.currentFabric;
    if (f instanceof Fabric) {
      this.faults.attachMigrationHook(f.faults);
      const offAll = f.events.onAny((name, event) => this.bus.emit('fabric', { name, event }), ['job-progress']);
      // progress events cost the fabric a timer per 10 % of every migration: relay them (and so have
      // the fabric arm those timers) only while something listens on the bus
      let offProgress: (() => void) | undefined;
      const relayProgress = (listening: boolean): void => {
        offProgress?.();
        offProgress = listening ? f.events.on('job-progress', (event) => this.bus.emit('fabric', { name: 'job-progress', event })) : undefined;
      };
      relayProgress(this.bus.listening('fabric'));
      const unwatch = this.bus.watch('fabric', relayProgress);
      this.unsubscribeFabric = () => {
        offAll();
        unwatch();
        offProgress?.();
      };
      this.store?.attach(f, () => this.currentWorld);
    } else {
      this.faults.attachMigrationHook(undefined);
      this.unsubscribeFabric = undefined;
    }
  }

  private ensureCerts(hosts: readonly HostSpec[]): CertificateSet | undefined {
    if (!this.useHttps) return undefined;
    const need = hosts.filter((h) => !h.listener?.tlsCert);
    if (need.length === 0 && this.certs) return this.certs;
    const set = ensureCertificates(this.certDir, need.map((h) => ({ name: h.name, fqdn: h.fqdn, ips: h.addresses })));
    return { ca: set.ca, hosts: { ...(this.certs?.hosts ?? {}), ...set.hosts } } as CertificateSet;
  }

  private buildWsman(spec: HostSpec): WsmanHost {
    const schema = this.schema;
    const embedded = this.embedded;
    const om = new ObjectManager(schema, this.currentFabric.providers(spec.name));
    return createWsmanHost({
      name: spec.name,
      fqdn: spec.fqdn ?? spec.name,
      om,
      limits: wsmanLimitsOf(this.limits),
      serviceConfig: serviceConfigOf(spec, this.limits),
      osVersion: spec.osVersion ?? '10.0.20348',
      endpoints: () => this.endpoints,
      now: () => this.clock.now(),
      parseEmbedded: (text, expected, ns) => embedded.parse(text, expected, (n) => schema.getClass(ns, n)),
      writeEmbedded: (inst, cls) => embedded.write(inst, cls, (n) => schema.getClass(inst.namespace ?? 'root/virtualization/v2', n)),
      httpsEnabled: this.useHttps,
    });
  }

  private buildHandler(spec: HostSpec, wsman: WsmanHost, scheme: 'http' | 'https', guard: ConnectionGuard): RequestListener {
    const serviceConfig = serviceConfigOf(spec, this.limits);
    const security = { scheme, allowUnencrypted: serviceConfig.allowUnencrypted, ...serviceConfig.auth };
    const extra = this.opts.authSchemes?.(spec) ?? [];
    const host = spec.name;
    return createWsmanHandler({
      host: wsman,
      users: this.currentUsers,
      security,
      maxBodyBytes: this.limits.maxEnvelopeSizeKb * 1024,
      schemes: [...createAuthSchemes({ security, targetName: spec.name, dnsComputer: spec.fqdn }), ...extra],
      guard,
      onRequest: (e) => {
        const challenge = lastWasChallenge && e.status === 401;
        lastWasChallenge = false;
        this.onRequest(recordOf(e, challenge ? { challenge } : {}), e, host);
      },
    });
  }

  /** The listener's request function: auth-failure counting, then fault injection, then the handler. */
  private listenerFor(rt: () => HostRuntime, scheme: 'http' | 'https', name: string): RequestListener {
    const self = this;
    const wrapped = this.faults.wrap({
      host: name,
      handler: () => rt().handlers[scheme]!,
      users: () => this.currentUsers,
      wsman: () => rt().wsman,
      get maxBodyBytes() {
        return self.limits.maxEnvelopeSizeKb * 1024;
      },
      report: (e, extra) => this.onRequest(recordOf(e, extra), e, name),
      trace: () => (this.trace ? (t) => this.trace?.write(t) : undefined),
    });
    return (req, res) => {
      if (this.draining) {
        // shutting down: what is in flight finishes, anything new is turned away (HTTP.sys answers
        // 503 once the service behind a URL has gone)
        req.resume();
        res.writeHead(503, { Server: SERVER_HEADER, 'Content-Length': '0', Connection: 'close' });
        res.end();
        return;
      }
      this.track(req, res);
      (res as TrackedResponse)[AUTH_FAILED] = this.authFailedFor(name);
      res.writeHead = trackedWriteHead;
      wrapped(req, res);
    };
  }

  /**
   * One timer for the whole emulator: a request whose body has not arrived within
   * limits.requestTimeoutMs gets 408 and its connection closes (Node's own request timeout is only
   * checked every 30 s). Requests whose body has arrived are never cut off here.
   */
  private track(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    const inFlight = this.inFlight;
    if (!inFlight.has(socket)) socket.once('close', () => inFlight.delete(socket));
    const entry: InFlightRequest = { req, res, started: performance.now(), counted: true };
    inFlight.set(socket, entry);
    this.inFlightCount++;
    res.once('close', () => {
      if (inFlight.get(socket) === entry) inFlight.set(socket, undefined);
      this.untrack(entry);
    });
  }

  private untrack(entry: InFlightRequest): void {
    if (!entry.counted) return;
    entry.counted = false;
    this.inFlightCount--;
  }

  private startSweeper(): void {
    const every = Math.max(10, Math.min(1000, Math.floor(this.limits.requestTimeoutMs / 4)));
    this.sweeper = setInterval(() => {
      const limit = this.limits.requestTimeoutMs;
      const now = performance.now();
      for (const [socket, entry] of this.inFlight) {
        if (!entry) continue;
        const { req, res, started } = entry;
        if (req.complete || now - started < limit) continue;
        this.inFlight.set(socket, undefined);
        this.untrack(entry);
        if (!res.headersSent) {
          res.writeHead(408, { Server: SERVER_HEADER, 'Content-Length': '0', Connection: 'close' });
          res.end();
        }
        req.socket.destroySoon?.();
        setTimeout(() => req.socket.destroy(), 1000).unref();
      }
    }, every);
    this.sweeper.unref();
  }

  /** The listener-level limits: connections, header, body and keep-alive timeouts, 100-continue. */
  private applyServerLimits(server: HttpServer, expectContinue: boolean): void {
    const l = this.limits;
    server.maxConnections = l.maxConnections;
    server.headersTimeout = l.headersTimeoutMs;
    server.requestTimeout = l.requestTimeoutMs;
    server.keepAliveTimeout = l.keepAliveTimeoutMs;
    if (!expectContinue) return;
    // Expect: 100-continue: a body that would be refused is refused before the client sends it
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      const declared = Number(req.headers['content-length']);
      if (Number.isFinite(declared) && declared > this.limits.maxEnvelopeSizeKb * 1024) {
        res.writeHead(413, { Server: SERVER_HEADER, 'Content-Length': '0', Connection: 'close' });
        res.end();
        return;
      }
      res.writeContinue();
      server.emit('request', req, res);
    });
  }

  private readonly authFailedCallbacks = new Map<string, () => void>();
  private authFailedFor(host: string): () => void {
    let f = this.authFailedCallbacks.get(host);
    if (!f) this.authFailedCallbacks.set(host, (f = () => this.metrics.authFailure(host)));
    return f;
  }

  private slotPort(slot: number, offset: number, fixed?: number): number {
    return fixed ?? (this.portBase === 0 ? 0 : this.portBase + 2 * slot + offset);
  }

  private async openHost(spec: HostSpec, slot: number, ports?: { http: number; https?: number }): Promise<HostRuntime> {
    const wsman = this.buildWsman(spec);
    const httpGuard = new ConnectionGuard(this.guardLimits());
    const guards = [httpGuard];
    let rtRef: HostRuntime | undefined;
    const rt = () => rtRef!;
    const handlers: HostRuntime['handlers'] = { http: this.buildHandler(spec, wsman, 'http', httpGuard) };
    let http: Listener | undefined;
    let https: Listener | undefined;
    try {
      http = await listen(this.listenerFor(rt, 'http', spec.name), { bind: this.bind, port: ports?.http ?? this.slotPort(slot, 0, spec.ports?.http) });
      httpGuard.attach(http.server);
      this.applyServerLimits(http.server, true);
      if (this.useHttps) {
        const cfg = serviceConfigOf(spec);
        const tls = spec.listener?.tlsCert && spec.listener.tlsKey
          ? { cert: readFileSync(spec.listener.tlsCert, 'utf8'), key: readFileSync(spec.listener.tlsKey, 'utf8') }
          : { cert: this.certs!.hosts[spec.name].certPem, key: this.certs!.hosts[spec.name].keyPem };
        const httpsGuard = new ConnectionGuard(this.guardLimits());
        guards.push(httpsGuard);
        handlers.https = this.buildHandler(spec, wsman, 'https', httpsGuard);
        https = await listen(this.listenerFor(rt, 'https', spec.name), {
          bind: this.bind,
          port: ports?.https ?? this.slotPort(slot, 1, spec.ports?.https),
          tls: { ...tls, ca: this.certs?.ca.certPem, requestCert: cfg.auth.certificate },
        });
        httpsGuard.attach(https.server);
        this.applyServerLimits(https.server, true);
      }
    } catch (e) {
      for (const g of guards) g.close();
      await Promise.all([http?.close(), https?.close()]);
      throw e;
    }
    const runtime: HostRuntime = {
      spec, slot, wsman, handlers, http, https, guards, listening: true,
      view: undefined as unknown as EmulatorHost,
    };
    runtime.view = this.viewOf(runtime);
    rtRef = runtime;
    this.runtimes.set(key(spec.name), runtime);
    this.endpoints.set(spec.name, http.url);
    return runtime;
  }

  private guardLimits(): ConnectionLimitOptions {
    return this.opts.connectionLimits ?? { maxPending: this.limits.maxUnauthenticatedConnections, authenticationTimeoutMs: this.limits.authenticationTimeoutMs };
  }

  private viewOf(rt: HostRuntime): EmulatorHost {
    return {
      middleware: asWsmanMiddleware(this.listenerFor(() => rt, 'http', rt.spec.name)),
      name: rt.spec.name,
      spec: rt.spec,
      wsman: rt.wsman,
      http: rt.http,
      https: rt.https,
      get listening() {
        return rt.listening;
      },
    };
  }

  private async closeHost(rt: HostRuntime): Promise<void> {
    for (const g of rt.guards) g.close();
    await Promise.all([rt.http.close(), rt.https?.close()]);
    this.runtimes.delete(key(rt.spec.name));
    this.endpoints.delete(rt.spec.name);
  }

  private refreshViews(order?: readonly string[]): void {
    const all = [...this.runtimes.values()];
    if (order) all.sort((a, b) => order.indexOf(key(a.spec.name)) - order.indexOf(key(b.spec.name)));
    else all.sort((a, b) => a.slot - b.slot);
    this.hostViews = all.map((r) => r.view);
  }

  private setListening(host: string, listening: boolean): void {
    const rt = this.runtimes.get(key(host));
    if (!rt || rt.listening === listening) return;
    rt.listening = listening;
    for (const l of [rt.http, rt.https]) {
      if (!l) continue;
      if (listening) {
        l.server.once('error', (e) => process.emitWarning(`vmms-emu: host ${host} could not listen again on port ${l.port}: ${e.message}`));
        l.server.listen(l.port, this.bind);
      } else {
        l.server.close();
        l.server.closeAllConnections();
      }
    }
    this.bus.emit('hosts');
  }

  // -------------------------------------------------------------------------------- records --

  private onRequest(r: RequestRecord, e: RequestEvent, _host: string): void {
    this.requests.push(r);
    this.metrics.observeRequest(r);
    if (this.opts.logger) logRequest(this.opts.logger, r);
    this.bus.emit('request', r);
    this.opts.onRequest?.(e);
  }

  private onInjected(e: InjectionEvent): void {
    this.injections.push(e);
    this.metrics.injected(e.host, e.effect);
    this.opts.logger?.warn({ rule: e.rule, effect: e.effect, host: e.host, operation: e.operation, resourceUri: e.resourceUri, user: e.user, vm: e.vm, detail: e.detail }, 'fault injected');
    this.bus.emit('injected', e);
  }

  private *allJobs(): Iterable<{ host: string; state: string; migration: boolean }> {
    const f = this.currentFabric;
    if (!(f instanceof Fabric)) return;
    for (const h of f.hostNames()) for (const j of f.jobs(h)) yield { host: j.host, state: j.state, migration: j.migrationJob };
  }

  private *allVms(): Iterable<{ host: string; state: string }> {
    const f = this.currentFabric;
    if (!(f instanceof Fabric)) return;
    for (const h of f.hostNames()) for (const v of f.vms(h)) yield { host: v.host, state: v.state };
  }

  // -------------------------------------------------------------------------- control plane --

  private requireFabric(what: string): Fabric {
    const f = this.currentFabric;
    if (!(f instanceof Fabric)) throw new ControlError(501, `${what} needs a fabric built on src/fabric/fabric.ts`);
    return f;
  }

  async addHost(input: HostSpec): Promise<EmulatorHost> {
    const fabric = this.requireFabric('adding a host');
    // the structure, and VMs against the host's own switches, as a world file would be checked
    const checked = validateWorld({ users: [{ name: 'check', password: 'check' }], hosts: [input] }, 'host');
    const spec = checked.hosts[0];
    const problems: string[] = [];
    if (this.runtimes.has(key(spec.name))) problems.push(`a host named '${spec.name}' already exists`);
    for (const v of spec.vms ?? []) if (fabric.findVm(v.guid)) problems.push(`VM ${v.guid} already exists`);
    for (const a of spec.addresses ?? []) {
      for (const h of fabric.hosts()) if (h.addresses.some((x) => x.toLowerCase() === a.toLowerCase())) problems.push(`address ${a} is already used by ${h.name}`);
    }
    if (problems.length) throw new ControlError(409, problems.join('; '));
    const used = new Set([...this.runtimes.values()].map((r) => r.slot));
    let slot = 0;
    while (used.has(slot)) slot++;
    if (this.useHttps && !spec.listener?.tlsCert) this.certs = this.ensureCerts([spec]);
    fabric.addHost(spec);
    let rt: HostRuntime;
    try {
      rt = await this.openHost(spec, slot);
    } catch (e) {
      fabric.removeHost(spec.name);
      throw new ControlError(409, `host ${spec.name} could not listen: ${(e as Error).message}`);
    }
    this.currentWorld = { ...this.currentWorld, hosts: [...this.currentWorld.hosts, spec] };
    this.store?.markWorld();
    this.refreshViews();
    this.faults.evaluateHosts();
    this.bus.emit('hosts');
    return rt.view;
  }

  async removeHost(name: string): Promise<void> {
    const rt = this.runtimes.get(key(name));
    if (!rt) throw new ControlError(404, `no host named '${name}'`);
    const fabric = this.requireFabric('removing a host');
    fabric.removeHost(rt.spec.name);
    await this.closeHost(rt);
    this.currentWorld = { ...this.currentWorld, hosts: this.currentWorld.hosts.filter((h) => key(h.name) !== key(name)) };
    this.store?.markWorld();
    this.refreshViews();
    this.faults.evaluateHosts();
    this.bus.emit('hosts');
  }

  snapshot(): WorldSpec {
    const f = this.currentFabric;
    const w: WorldSpec = f instanceof Fabric ? f.toWorld() : structuredClone(this.currentWorld);
    for (const h of w.hosts) {
      const rt = this.runtimes.get(key(h.name));
      if (rt?.spec.ports) h.ports = { ...rt.spec.ports };
      if (rt?.spec.listener) h.listener = { ...rt.spec.listener };
      // a host a fault rule has down is declared as it was; the rule comes back with `faults`
      if (this.faults.setsReachability(h.name)) delete h.unreachable;
    }
    const faults = this.faults.toSpecs();
    if (faults.length) w.faults = faults;
    else delete w.faults;
    if (this.currentWorld.limits) w.limits = { ...this.currentWorld.limits };
    return JSON.parse(JSON.stringify(w)) as WorldSpec;
  }

  async restore(input: WorldSpec): Promise<void> {
    const world = validateWorld(input, 'world');
    // fault rules in the new world name hosts of the new world
    this.faults.clear();
    this.faults.resetHostState();
    const old = this.currentFabric;
    this.currentWorld = structuredClone(world);
    this.limits = resolveLimits(world.limits);
    old.close?.();
    this.installFabric(world);
    const fresh = this.currentFabric;
    if (this.store && fresh instanceof Fabric) this.store.replaceAll(fresh, this.currentWorld);
    for (const rt of this.runtimes.values()) for (const l of [rt.http, rt.https]) if (l) this.applyServerLimits(l.server, false);
    this.certs = this.ensureCerts(world.hosts);
    const names = world.hosts.map((h) => key(h.name));
    /** hosts whose listeners change: reopened on the same slot and ports */
    const reopen = new Map<string, { slot: number; ports?: { http: number; https?: number } }>();
    for (const rt of [...this.runtimes.values()]) {
      const next = world.hosts.find((h) => key(h.name) === key(rt.spec.name));
      if (!next) {
        await this.closeHost(rt);
        continue;
      }
      const portsMoved = next.ports !== undefined && (next.ports.http !== undefined && next.ports.http !== rt.http.port || (rt.https !== undefined && next.ports.https !== undefined && next.ports.https !== rt.https.port));
      if (portsMoved || JSON.stringify(next.listener ?? {}) !== JSON.stringify(rt.spec.listener ?? {})) {
        reopen.set(key(rt.spec.name), { slot: rt.slot, ports: next.ports ? undefined : { http: rt.http.port, https: rt.https?.port } });
        await this.closeHost(rt);
      }
    }
    for (const spec of world.hosts) {
      const rt = this.runtimes.get(key(spec.name));
      if (rt) {
        // same host, same listeners: new state behind the same ports
        rt.spec = spec;
        rt.wsman = this.buildWsman(spec);
        rt.handlers = {
          http: this.buildHandler(spec, rt.wsman, 'http', rt.guards[0]),
          https: rt.https ? this.buildHandler(spec, rt.wsman, 'https', rt.guards[1]) : undefined,
        };
        rt.view = this.viewOf(rt);
        if (!rt.listening) this.setListening(spec.name, true);
      }
    }
    const used = new Set([...this.runtimes.values()].map((r) => r.slot));
    for (const r of reopen.values()) used.add(r.slot);
    for (const spec of world.hosts) {
      if (this.runtimes.has(key(spec.name))) continue;
      const again = reopen.get(key(spec.name));
      let slot = again?.slot ?? 0;
      if (!again) {
        while (used.has(slot)) slot++;
        used.add(slot);
      }
      await this.openHost(spec, slot, again?.ports);
    }
    this.refreshViews(names);
    for (const r of world.faults ?? []) this.faults.add(r);
    this.faults.evaluateHosts();
    this.requests.clear();
    this.injections.clear();
    this.bus.emit('reset');
    this.bus.emit('hosts');
  }

  /**
   * Graceful: stop accepting connections, let the requests in flight finish (up to
   * shutdownTimeoutMs; new requests on open connections meanwhile get 503), close the idle
   * connections, then cut off whatever is left, stop every timer, and flush and release the state
   * file. Requests held by a `hang` fault are dropped at once (the host was not answering anyway).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.draining = true;
    this.faults.close();
    const servers = [...this.runtimes.values()].flatMap((rt) => (rt.listening ? [rt.http.server, rt.https?.server] : [])).filter((x): x is HttpServer => !!x);
    for (const s of servers) {
      s.close();
      s.closeIdleConnections();
    }
    const deadline = performance.now() + (this.opts.shutdownTimeoutMs ?? 5000);
    while (this.inFlightCount > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      for (const s of servers) s.closeIdleConnections();
    }
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
    await this.controlServer?.close();
    this.unsubscribeFabric?.();
    for (const rt of this.runtimes.values()) for (const g of rt.guards) g.close();
    await Promise.all([...this.runtimes.values()].flatMap((rt) => [rt.http.close(), rt.https?.close()]));
    this.runtimes.clear();
    this.inFlight.clear();
    this.inFlightCount = 0;
    this.currentFabric?.close?.();
    this.store?.close();
    this.clock.close();
    await this.trace?.close();
  }
}

/** A control-plane refusal with the HTTP status the control API answers it with. */
export class ControlError extends Error {
  constructor(readonly status: number, message: string, readonly problems?: readonly string[]) {
    super(message);
    this.name = 'ControlError';
  }
}

/** Check a world (or a world around one host) as a world file would be checked; problems → ControlError 400. */
export function validateWorld(world: unknown, what: string): WorldSpec {
  try {
    return parseWorld(JSON.stringify(world), what);
  } catch (e) {
    const raw = (e as { problems?: readonly string[] }).problems;
    // JSON text has no useful line numbers: keep the path and the message
    const problems = raw?.map((p) => p.replace(/^line \d+, column \d+: /, ''));
    if (problems) throw new ControlError(400, `invalid ${what}: ${problems.join('; ')}`, problems);
    throw new ControlError(400, `invalid ${what}: ${(e as Error).message}`);
  }
}

export async function createEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const emu = new EmulatorImpl(opts);
  try {
    await emu.start();
  } catch (e) {
    await emu.close();
    throw e;
  }
  return emu;
}
