/**
 * The control API (express, JSON), `/metrics` and the live dashboard, on a port of their own.
 *
 * Loopback by default. Bound elsewhere — or given a token — every request needs
 * `Authorization: Bearer <token>` (or `?token=` for the dashboard in a browser, which cannot set
 * headers on an EventSource). Without a token, requests whose Host header is not a loopback name
 * are refused, so a web page cannot reach the API by DNS rebinding.
 *
 * Every route is listed in {@link ROUTES} and described in the committed OpenAPI document
 * (src/control/openapi.json, served at /openapi.json); test/unit/control/openapi.test.ts checks the
 * two agree. The dashboard (src/control/dashboard/) is a static page fed by `GET /api/events`
 * (server-sent events): `state` (the whole picture, throttled), `request` and `injected`.
 */
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { projectRoot } from '../cim/schema-loader.js';
import { Fabric, type StateRequest } from '../fabric/fabric.js';
import type { HostRecord, JobRecord, VmRecord } from '../fabric/model.js';
import type { HostSpec, VmSpec, WorldSpec } from '../fabric/world.js';
import { ControlError, validateWorld, type Emulator, type EmulatorHost } from '../emulator.js';
import { FaultRuleError, type FaultRule } from './injection.js';

export interface ControlServerOptions {
  port: number;
  bind: string;
  token?: string;
}

export interface ControlServer {
  readonly url: string;
  readonly token?: string;
  close(): Promise<void>;
}

type Handler = (req: Request, res: Response) => unknown;

export interface RouteDef {
  method: 'get' | 'post' | 'put' | 'delete';
  /** express path (`/api/hosts/:host`) */
  path: string;
  handler: Handler;
}

function dashboardDir(): string {
  return join(projectRoot(), 'src', 'control', 'dashboard');
}

export function openApiPath(): string {
  return join(projectRoot(), 'src', 'control', 'openapi.json');
}

// ---------------------------------------------------------------------------------- views --

function hostView(emu: Emulator, h: EmulatorHost) {
  const f = emu.fabric;
  const rec = f instanceof Fabric ? f.host(h.name) : undefined;
  return {
    name: h.name,
    fqdn: h.spec.fqdn ?? h.name,
    http: h.http.url,
    https: h.https?.url,
    listening: h.listening,
    down: emu.faults.hostState(h.name) ?? null,
    reachability: rec?.reachability ?? 'reachable',
    profile: rec?.profile ?? h.spec.profile ?? 'hyperv',
    osVersion: rec?.osVersion ?? h.spec.osVersion ?? '10.0.20348',
    vms: f instanceof Fabric ? f.vmCount(h.name) : (h.spec.vms?.length ?? 0),
    plannedVms: f instanceof Fabric ? f.plannedCount(h.name) : 0,
    jobs: f instanceof Fabric ? f.jobCount(h.name) : 0,
  };
}

function vmView(v: VmRecord) {
  return {
    guid: v.guid,
    name: v.name,
    host: v.host,
    state: v.state,
    planned: v.planned,
    migrating: v.migrating,
    busyWith: v.busyWith ?? null,
    memoryMiB: v.memoryMiB,
    cpus: v.cpus,
    generation: v.generation,
    configurationVersion: v.configurationVersion,
    processorCompatibility: v.processorCompatibility,
    vhds: v.vhds,
    adapters: v.adapters,
    notes: v.notes,
  };
}

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

function jobView(f: Fabric, j: JobRecord) {
  return {
    id: j.id,
    host: j.host,
    type: j.type,
    name: j.name,
    description: j.description,
    state: j.state,
    status: j.status,
    percent: f.percentOf(j),
    submittedAt: iso(j.submittedAt),
    startedAt: iso(j.startedAt),
    finishedAt: iso(j.finishedAt),
    user: j.user ?? null,
    affected: j.affected,
    error: j.failure ? { reason: j.failure.reason, description: j.failure.description, errorCode: j.failure.errorCode ?? null } : null,
    migration: j.migration
      ? { vm: j.migration.vm, vmName: j.migration.vmName, source: j.migration.source, destination: j.migration.destination ?? null, type: j.migration.type }
      : null,
  };
}

function migrationView(f: Fabric, j: JobRecord) {
  const m = j.migration!;
  return {
    job: j.id,
    vm: m.vm,
    vmName: m.vmName,
    source: m.source,
    destination: m.destination ?? null,
    type: m.type,
    jobType: j.type,
    state: j.state,
    percent: f.percentOf(j),
    startedAt: iso(j.startedAt),
  };
}

function clockView(emu: Emulator) {
  const now = emu.clock.now();
  return { now, iso: new Date(now).toISOString(), mode: emu.clock.clockMode, scale: emu.clock.timeScale, pendingTimers: emu.clock.pendingTimers };
}

function allJobs(f: Fabric): JobRecord[] {
  const out: JobRecord[] = [];
  for (const h of f.hostNames()) for (const j of f.jobs(h)) out.push(j);
  return out.sort((a, b) => a.submittedAt - b.submittedAt);
}

/** Everything the dashboard shows, in one object. */
export function dashboardState(emu: Emulator) {
  const f = emu.fabric instanceof Fabric ? emu.fabric : undefined;
  return {
    world: emu.world.name ?? null,
    clock: clockView(emu),
    hosts: emu.hosts.map((h) => ({
      ...hostView(emu, h),
      vmList: f ? [...f.vms(h.name)].map((v) => ({ guid: v.guid, name: v.name, state: v.state, migrating: v.migrating, memoryMiB: v.memoryMiB, cpus: v.cpus })) : [],
      plannedList: f ? [...f.plannedVms(h.name)].map((v) => ({ guid: v.guid, name: v.name })) : [],
    })),
    migrations: f ? f.activeMigrations().map((j) => migrationView(f, j)) : [],
    jobs: f ? allJobs(f).slice(-30).reverse().map((j) => jobView(f, j)) : [],
    faults: emu.faults.list().map((r) => emu.faults.view(r)),
    injections: emu.control.recentInjections(30).reverse(),
    requests: emu.control.recentRequests(50).reverse(),
  };
}

// --------------------------------------------------------------------------------- routes --

function fabricOf(emu: Emulator): Fabric {
  if (!(emu.fabric instanceof Fabric)) throw new ControlError(501, 'this fabric does not support the control API');
  return emu.fabric;
}

function hostOf(emu: Emulator, name: string): EmulatorHost {
  const h = emu.hosts.find((x) => x.name.toLowerCase() === name.toLowerCase());
  if (!h) throw new ControlError(404, `no host named '${name}'`);
  return h;
}

function vmOf(f: Fabric, id: string): VmRecord {
  const byGuid = f.findVm(id);
  if (byGuid) return byGuid;
  for (const h of f.hostNames()) for (const v of f.vms(h)) if (v.name.toLowerCase() === id.toLowerCase()) return v;
  throw new ControlError(404, `no VM '${id}' (give its GUID or name)`);
}

function param(req: Request, name: string): string {
  return String(req.params[name]);
}

function body(req: Request): Record<string, unknown> {
  const b = req.body as unknown;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new ControlError(400, 'the request body must be a JSON object');
  return b as Record<string, unknown>;
}

/** A world from a JSON object or YAML text. */
function worldOf(req: Request): WorldSpec {
  if (typeof req.body === 'string') {
    let data: unknown;
    try {
      data = parseYaml(req.body);
    } catch (e) {
      throw new ControlError(400, `not YAML: ${(e as Error).message}`);
    }
    return data as WorldSpec;
  }
  return body(req) as unknown as WorldSpec;
}

const VM_STATES = new Set(['running', 'off', 'saved', 'paused']);
const JOB_STATES = new Set<StateRequest>(['running', 'off', 'shutdown', 'saved', 'paused', 'reset', 'reboot']);

export function routes(emu: Emulator): RouteDef[] {
  const r: RouteDef[] = [];
  const add = (method: RouteDef['method'], path: string, handler: Handler) => r.push({ method, path, handler });

  add('get', '/', (req, res) => res.redirect(302, '/dashboard/' + (typeof req.query.token === 'string' ? `?token=${encodeURIComponent(req.query.token)}` : '')));
  add('get', '/openapi.json', (_req, res) => res.type('application/json').send(readFileSync(openApiPath(), 'utf8')));
  add('get', '/metrics', async (_req, res) => {
    const text = await emu.metrics.text();
    res.type(emu.metrics.contentType).send(text);
  });
  add('get', '/dashboard/', (_req, res) => res.type('text/html').send(readFileSync(join(dashboardDir(), 'index.html'), 'utf8')));
  add('get', '/dashboard/app.js', (_req, res) => res.type('text/javascript').send(readFileSync(join(dashboardDir(), 'app.js'), 'utf8')));
  add('get', '/dashboard/style.css', (_req, res) => res.type('text/css').send(readFileSync(join(dashboardDir(), 'style.css'), 'utf8')));

  add('get', '/api/state', (_req, res) => res.json(dashboardState(emu)));
  add('get', '/api/events', (req, res) => streamEvents(emu, req, res));

  // ---- hosts
  add('get', '/api/hosts', (_req, res) => res.json(emu.hosts.map((h) => hostView(emu, h))));
  add('post', '/api/hosts', async (req, res) => {
    const h = await emu.control.addHost(body(req) as unknown as HostSpec);
    res.status(201).json(hostView(emu, h));
  });
  add('get', '/api/hosts/:host', (req, res) => {
    const h = hostOf(emu, param(req, 'host'));
    const f = emu.fabric instanceof Fabric ? emu.fabric : undefined;
    const rec: HostRecord | undefined = f?.host(h.name);
    res.json({
      ...hostView(emu, h),
      record: rec ?? null,
      vmList: f ? [...f.vms(h.name)].map(vmView) : [],
      plannedList: f ? [...f.plannedVms(h.name)].map(vmView) : [],
    });
  });
  add('delete', '/api/hosts/:host', async (req, res) => {
    await emu.control.removeHost(param(req, 'host'));
    res.status(204).end();
  });
  add('post', '/api/hosts/:host/vms', (req, res) => {
    const f = fabricOf(emu);
    const h = hostOf(emu, param(req, 'host'));
    const rec = f.requireHost(h.name);
    const spec = body(req) as unknown as VmSpec;
    // checked as a world file would be, against this host's switches and build
    const checked = validateWorld({
      users: [{ name: 'check', password: 'check' }],
      hosts: [{ name: rec.name, osVersion: rec.osVersion, switches: rec.switches.map((s) => ({ name: s.name, type: s.type })), vms: [spec] }],
    }, 'VM');
    const vm = checked.hosts[0].vms![0];
    if (f.findVm(vm.guid) || f.planned(h.name, vm.guid)) throw new ControlError(409, `VM ${vm.guid.toUpperCase()} already exists`);
    const v = f.addVm(h.name, vm);
    res.status(201).json(vmView(v));
  });

  // ---- VMs
  add('get', '/api/vms', (req, res) => {
    const f = fabricOf(emu);
    const host = req.query.host !== undefined ? hostOf(emu, String(req.query.host)).name : undefined;
    const out: ReturnType<typeof vmView>[] = [];
    for (const h of host ? [host] : f.hostNames()) {
      for (const v of f.vms(h)) out.push(vmView(v));
      if (req.query.planned === 'true') for (const v of f.plannedVms(h)) out.push(vmView(v));
    }
    res.json(out);
  });
  add('get', '/api/vms/:vm', (req, res) => res.json(vmView(vmOf(fabricOf(emu), param(req, 'vm')))));
  add('delete', '/api/vms/:vm', (req, res) => {
    const f = fabricOf(emu);
    const v = vmOf(f, param(req, 'vm'));
    f.removeVm(v.guid, { host: v.host });
    res.status(204).end();
  });
  add('put', '/api/vms/:vm/state', (req, res) => {
    const f = fabricOf(emu);
    const v = vmOf(f, param(req, 'vm'));
    const b = body(req);
    const state = String(b.state ?? '');
    const via = b.via === undefined ? 'set' : String(b.via);
    if (via === 'job') {
      if (!JOB_STATES.has(state as StateRequest)) throw new ControlError(400, `state must be one of: ${[...JOB_STATES].join(', ')}`);
      const r = f.requestState(v.host, v.guid, state as StateRequest, 'control-api');
      if (!r.ok) throw new ControlError(409, `${r.reason}: ${r.message}`);
      res.status(202).json({ vm: vmView(v), job: jobView(f, r.job!) });
      return;
    }
    if (via !== 'set') throw new ControlError(400, "via must be 'set' (at once) or 'job' (as RequestStateChange does)");
    if (!VM_STATES.has(state)) throw new ControlError(400, `state must be one of: ${[...VM_STATES].join(', ')}`);
    if (v.busyWith || v.migrating) throw new ControlError(409, `VM '${v.name}' is busy with a job`);
    f.setVmState(v.guid, state as 'running' | 'off' | 'saved' | 'paused');
    res.json(vmView(v));
  });

  // ---- jobs and migrations
  add('get', '/api/jobs', (req, res) => {
    const f = fabricOf(emu);
    let jobs = allJobs(f);
    if (req.query.host !== undefined) jobs = jobs.filter((j) => j.host.toLowerCase() === String(req.query.host).toLowerCase());
    if (req.query.state !== undefined) jobs = jobs.filter((j) => j.state === String(req.query.state));
    res.json(jobs.map((j) => jobView(f, j)));
  });
  add('get', '/api/jobs/:job', (req, res) => {
    const f = fabricOf(emu);
    const j = f.findJob(param(req, 'job'));
    if (!j) throw new ControlError(404, `no job '${param(req, 'job')}'`);
    res.json(jobView(f, j));
  });
  add('get', '/api/migrations', (_req, res) => {
    const f = fabricOf(emu);
    res.json(f.activeMigrations().map((j) => migrationView(f, j)));
  });
  add('post', '/api/migrations', (req, res) => {
    const f = fabricOf(emu);
    const b = body(req);
    const v = vmOf(f, String(b.vm ?? ''));
    const type = b.type === undefined ? 'VirtualSystem' : String(b.type);
    if (!['VirtualSystem', 'Storage', 'Staged', 'VirtualSystemAndStorage'].includes(type)) {
      throw new ControlError(400, 'type must be VirtualSystem, Storage, Staged or VirtualSystemAndStorage');
    }
    const r = f.migrate({
      source: v.host, vm: v.guid, type: type as 'VirtualSystem', destination: b.destination === undefined ? undefined : String(b.destination), user: 'control-api',
    });
    if (!r.ok) throw new ControlError(409, `${r.reason}: ${r.message}`);
    res.status(202).json(jobView(f, r.job!));
  });

  // ---- clock
  add('get', '/api/clock', (_req, res) => res.json(clockView(emu)));
  add('put', '/api/clock', (req, res) => {
    const b = body(req);
    if (b.mode !== undefined && b.mode !== 'real' && b.mode !== 'manual') throw new ControlError(400, "mode must be 'real' or 'manual'");
    if (b.scale !== undefined && !(typeof b.scale === 'number' && b.scale > 0 && Number.isFinite(b.scale))) throw new ControlError(400, 'scale must be a positive number');
    if (b.mode !== undefined) emu.clock.setMode(b.mode as 'real' | 'manual');
    if (b.scale !== undefined) emu.clock.setScale(b.scale as number);
    res.json(clockView(emu));
  });
  add('post', '/api/clock/advance', (req, res) => {
    const b = body(req);
    const ms = b.ms !== undefined ? b.ms : typeof b.seconds === 'number' ? b.seconds * 1000 : undefined;
    if (!(typeof ms === 'number' && ms >= 0 && Number.isFinite(ms))) throw new ControlError(400, 'give ms (or seconds): a non-negative number');
    emu.clock.advance(ms);
    res.json(clockView(emu));
  });

  // ---- fault injection
  add('get', '/api/faults', (_req, res) => res.json(emu.faults.list().map((x) => emu.faults.view(x))));
  add('post', '/api/faults', (req, res) => {
    const rule: FaultRule = emu.faults.add(body(req) as never);
    res.status(201).json(emu.faults.view(rule));
  });
  add('delete', '/api/faults', (_req, res) => {
    emu.faults.clear();
    res.status(204).end();
  });
  add('get', '/api/faults/:id', (req, res) => {
    const rule = emu.faults.get(param(req, 'id'));
    if (!rule) throw new ControlError(404, `no fault rule '${param(req, 'id')}'`);
    res.json(emu.faults.view(rule));
  });
  add('delete', '/api/faults/:id', (req, res) => {
    if (!emu.faults.remove(param(req, 'id'))) throw new ControlError(404, `no fault rule '${param(req, 'id')}'`);
    res.status(204).end();
  });
  add('get', '/api/injections', (_req, res) => res.json(emu.control.recentInjections()));

  // ---- requests, world
  add('get', '/api/requests', (req, res) => {
    const n = req.query.limit !== undefined ? Math.max(1, Number(req.query.limit) || 50) : undefined;
    res.json(emu.control.recentRequests(n));
  });
  add('post', '/api/reset', async (_req, res) => {
    await emu.control.reset();
    res.json({ hosts: emu.hosts.map((h) => hostView(emu, h)) });
  });
  add('get', '/api/snapshot', (req, res) => {
    const w = emu.control.snapshot();
    const wantsYaml = req.query.format === 'yaml' || (req.query.format === undefined && /yaml/i.test(String(req.headers.accept ?? '')));
    if (wantsYaml) res.type('application/yaml').send(toYaml(w));
    else res.json(w);
  });
  add('post', '/api/restore', async (req, res) => {
    await emu.control.restore(worldOf(req));
    res.json({ hosts: emu.hosts.map((h) => hostView(emu, h)) });
  });
  return r;
}

// -------------------------------------------------------------------------- live events --

function streamEvents(emu: Emulator, req: Request, res: Response): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
  res.flushHeaders();
  const send = (event: string, data: unknown) => {
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  let pending: NodeJS.Timeout | undefined;
  let last = 0;
  const pushState = () => {
    pending = undefined;
    last = Date.now();
    send('state', dashboardState(emu));
  };
  /** at most one state every 100 ms */
  const schedule = () => {
    if (pending) return;
    pending = setTimeout(pushState, Math.max(0, 100 - (Date.now() - last)));
  };
  const offs = [
    emu.control.events.on('fabric', schedule),
    emu.control.events.on('hosts', schedule),
    emu.control.events.on('rules', schedule),
    emu.control.events.on('reset', schedule),
    emu.control.events.on('injected', (e) => {
      send('injected', e);
      schedule();
    }),
    emu.control.events.on('request', (r) => send('request', r)),
  ];
  // progress moves with the clock between events: refresh while migrations run
  const ticker = setInterval(() => {
    const f = emu.fabric;
    if (f instanceof Fabric && f.activeMigrations().length) schedule();
    else res.write(': keep-alive\n\n');
  }, 500);
  pushState();
  const stop = () => {
    clearInterval(ticker);
    if (pending) clearTimeout(pending);
    for (const off of offs) off();
  };
  req.on('close', stop);
  res.on('close', stop);
}

// -------------------------------------------------------------------------------- the app --

function tokenOk(given: string | undefined, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const LOOPBACK_HOST_RE = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(:\d+)?$/i;

export function createControlApp(emu: Emulator, opts: { token?: string } = {}): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    // the page and its script hold no data (the data comes from /api with the token)
    const asset = req.method === 'GET' && (req.path === '/' || req.path === '/dashboard' || req.path.startsWith('/dashboard/'));
    if (opts.token && !asset) {
      const auth = req.headers.authorization;
      const bearer = auth && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : undefined;
      const q = typeof req.query.token === 'string' ? req.query.token : undefined;
      if (!tokenOk(bearer ?? q, opts.token)) {
        res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="vmms-emu"');
        res.json({ error: 'a bearer token is required (Authorization: Bearer <token>)' });
        return;
      }
    } else if (!LOOPBACK_HOST_RE.test(String(req.headers.host ?? ''))) {
      res.status(403).json({ error: 'the control API without a token answers loopback host names only' });
      return;
    }
    next();
  });
  // a change the API answers for is in the state file (--state) before the answer leaves
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const writeHead = res.writeHead;
      res.writeHead = function (this: Response, ...args: unknown[]) {
        emu.control.flush?.();
        return (writeHead as (...a: unknown[]) => Response).apply(this, args);
      } as typeof res.writeHead;
    }
    next();
  });
  app.use(express.json({ limit: '8mb' }));
  app.use(express.text({ type: ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'], limit: '8mb' }));
  const router = express.Router();
  for (const r of routes(emu)) {
    router[r.method](r.path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        await r.handler(req, res);
      } catch (e) {
        next(e);
      }
    });
  }
  app.use(router);
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'no such route (see /openapi.json)' });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ControlError) {
      res.status(err.status).json({ error: err.message, ...(err.problems ? { problems: err.problems } : {}) });
    } else if (err instanceof FaultRuleError) {
      res.status(400).json({ error: err.message, problems: err.problems });
    } else if (err && typeof err === 'object' && 'type' in err && (err as { type?: string }).type === 'entity.parse.failed') {
      res.status(400).json({ error: 'the request body is not valid JSON' });
    } else if (err instanceof Error && /already exists|^no (VM|host)/.test(err.message)) {
      res.status(409).json({ error: err.message });
    } else {
      const status = err && typeof err === 'object' && 'status' in err && typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
      res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
    }
  });
  return app;
}

export async function startControlServer(emu: Emulator, opts: ControlServerOptions): Promise<ControlServer> {
  const app = createControlApp(emu, { token: opts.token });
  const server = await new Promise<import('node:http').Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.bind);
    s.once('listening', () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.bind.includes(':') ? `[${opts.bind}]` : opts.bind;
  return {
    url: `http://${host}:${port}`,
    token: opts.token,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
