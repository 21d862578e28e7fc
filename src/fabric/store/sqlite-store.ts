/**
 * Durable fabric state (`--state FILE`): hosts, VMs (realized and planned), jobs, the world
 * declaration the listeners come from, and the fabric time, in one SQLite file (better-sqlite3:
 * synchronous, WAL journal, `synchronous = NORMAL`, the file locked by one emulator at a time).
 *
 * Write-through, one transaction per fabric step. Every fabric event marks the records it touches
 * (and, to be safe, the job a VM is busy with and the VMs a job affects); the marks are written
 * together in a microtask after the synchronous step that made them — a request, a clock timer,
 * a control-plane call — so the file always holds the state between two steps, never half of one:
 * a cut-over (VM off the source, onto the destination, job completed) is one transaction. Rows are
 * serialised from the live records when written, so marking too much is harmless. Gets and
 * Enumerates change nothing and write nothing.
 *
 * Durability: a WS-Man answer is written after the step's microtasks (the /wsman handler defers
 * answers to setImmediate), so whatever a client has been told is in the file. A `kill -9` loses at
 * most the step that was running; WAL makes each commit all-or-nothing, and without fsync per
 * commit the data survives a process crash (not a power cut — `synchronous = NORMAL`).
 *
 * What the file holds is plain JSON per record (the fabric's own model.ts shapes), so the format
 * follows the model; `meta.format` guards against reading a file of another format.
 */
import Database from 'better-sqlite3';
import type { Fabric } from '../fabric.js';
import type { FabricEventName, FabricEvents } from '../events.js';
import type { HostRecord, JobRecord, VmRecord } from '../model.js';
import type { WorldSpec } from '../world.js';

export const STATE_FORMAT = 'vmms-emu-state/1';

export class StateFileError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'StateFileError';
  }
}

/** What a state file holds, read back at start. */
export interface SavedState {
  /** the world declaration being served (hosts' listeners and ports, users, fabric settings, limits) */
  world: WorldSpec;
  /** the world the state was first seeded from (what a reset goes back to) */
  initialWorld: WorldSpec;
  /** fabric time of the last write */
  time: number;
  /** whether the last emulator closed the file itself (false after a crash) */
  clean: boolean;
  hosts: HostRecord[];
  vms: VmRecord[];
  jobs: JobRecord[];
}

export interface StoreStats {
  /** transactions written */
  readonly flushes: number;
  /** rows written or deleted */
  readonly rows: number;
}

const vmKey = (v: { guid: string; host: string; planned: boolean }) => (v.planned ? `p:${v.host.toLowerCase()}:${v.guid.toUpperCase()}` : `v:${v.guid.toUpperCase()}`);

interface VmMark {
  guid: string;
  host: string;
  planned: boolean;
}

export class FabricStore {
  private readonly db: Database.Database;
  private readonly stmt: {
    getMeta: Database.Statement<[string], { value: string }>;
    putMeta: Database.Statement<[string, string]>;
    putHost: Database.Statement<[string, string]>;
    delHost: Database.Statement<[string]>;
    putVm: Database.Statement<[string, string, string, number, string]>;
    delVm: Database.Statement<[string]>;
    putJob: Database.Statement<[string, string, string, string]>;
    delJob: Database.Statement<[string]>;
  };
  private fabric: Fabric | undefined;
  private world: (() => WorldSpec) | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly hosts = new Set<string>();
  private readonly vms = new Map<string, VmMark>();
  private readonly jobs = new Map<string, string>();
  private worldDirty = false;
  private scheduled = false;
  private closed = false;
  private flushes = 0;
  private rows = 0;
  /** how the previous emulator left the file ('clean', or something else after a crash) */
  private readonly previousClose: string | undefined;
  private readonly writeMarked: () => void;

  private constructor(readonly file: string) {
    try {
      this.db = new Database(file, { timeout: 0 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      // one emulator per file: the first write takes the lock for the connection's life
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS hosts (name TEXT PRIMARY KEY, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS vms (key TEXT PRIMARY KEY, guid TEXT NOT NULL, host TEXT NOT NULL, planned INTEGER NOT NULL, data TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, host TEXT NOT NULL, state TEXT NOT NULL, data TEXT NOT NULL);
      `);
    } catch (e) {
      throw new StateFileError(file, /locked|busy/i.test((e as Error).message)
        ? 'the state file is in use by another emulator'
        : `cannot open the state file: ${(e as Error).message}`);
    }
    this.stmt = {
      getMeta: this.db.prepare('SELECT value FROM meta WHERE key = ?'),
      putMeta: this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      putHost: this.db.prepare('INSERT INTO hosts (name, data) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET data = excluded.data'),
      delHost: this.db.prepare('DELETE FROM hosts WHERE name = ?'),
      putVm: this.db.prepare('INSERT INTO vms (key, guid, host, planned, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET guid = excluded.guid, host = excluded.host, planned = excluded.planned, data = excluded.data'),
      delVm: this.db.prepare('DELETE FROM vms WHERE key = ?'),
      putJob: this.db.prepare('INSERT INTO jobs (id, host, state, data) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET host = excluded.host, state = excluded.state, data = excluded.data'),
      delJob: this.db.prepare('DELETE FROM jobs WHERE id = ?'),
    };
    this.writeMarked = this.db.transaction(() => this.writeMarkedNow());
    const format = this.meta('format');
    if (format !== undefined && format !== STATE_FORMAT) {
      this.db.close();
      throw new StateFileError(file, `not a state file of this version (format ${format}, expected ${STATE_FORMAT})`);
    }
    this.previousClose = this.meta('lastClose');
    try {
      // take the lock now, so a second emulator on the same file fails at start, not later
      this.db.transaction(() => {
        this.stmt.putMeta.run('format', STATE_FORMAT);
        this.stmt.putMeta.run('lastClose', 'open');
      })();
    } catch (e) {
      this.db.close();
      throw new StateFileError(file, /locked|busy/i.test((e as Error).message) ? 'the state file is in use by another emulator' : (e as Error).message);
    }
  }

  /** Open (or create) a state file. Throws {@link StateFileError}. */
  static open(file: string): FabricStore {
    return new FabricStore(file);
  }

  private meta(key: string): string | undefined {
    return this.stmt.getMeta.get(key)?.value;
  }

  get stats(): StoreStats {
    return { flushes: this.flushes, rows: this.rows };
  }

  /** The saved state, or undefined for a new file. */
  load(): SavedState | undefined {
    const world = this.meta('world');
    if (world === undefined) return undefined;
    const parse = <T>(text: string, what: string): T => {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new StateFileError(this.file, `the saved ${what} is not readable`);
      }
    };
    const rows = <T>(sql: string) => (this.db.prepare(sql).all() as Array<{ data: string }>).map((r) => parse<T>(r.data, 'record'));
    return {
      world: parse<WorldSpec>(world, 'world'),
      initialWorld: parse<WorldSpec>(this.meta('initialWorld') ?? world, 'world'),
      time: Number(this.meta('time') ?? 0),
      clean: this.previousClose === 'clean',
      hosts: rows<HostRecord>('SELECT data FROM hosts ORDER BY rowid'),
      vms: rows<VmRecord>('SELECT data FROM vms ORDER BY rowid'),
      jobs: rows<JobRecord>('SELECT data FROM jobs ORDER BY rowid'),
    };
  }

  /**
   * Follow a fabric: every step's changes are written after it. `world` gives the declaration
   * to save with them (after {@link markWorld}).
   */
  attach(fabric: Fabric, world: () => WorldSpec): void {
    this.detach();
    this.fabric = fabric;
    this.world = world;
    this.unsubscribe = fabric.events.onAny((name, e) => this.mark(name, e));
  }

  detach(): void {
    this.flush();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.fabric = undefined;
    this.world = undefined;
  }

  /** The world declaration changed (a host added or removed): save it with the next step. */
  markWorld(): void {
    this.worldDirty = true;
    this.schedule();
  }

  /** Replace the whole file with this fabric (first start, reset, restore). */
  replaceAll(fabric: Fabric, world: WorldSpec, initialWorld?: WorldSpec): void {
    this.db.transaction(() => {
      this.db.exec('DELETE FROM hosts; DELETE FROM vms; DELETE FROM jobs;');
      for (const r of fabric.records()) {
        if (r.kind === 'host') this.putHost(r.rec);
        else if (r.kind === 'vm') this.putVm(r.rec);
        else this.putJob(r.rec);
      }
      this.stmt.putMeta.run('world', JSON.stringify(world));
      if (initialWorld) this.stmt.putMeta.run('initialWorld', JSON.stringify(initialWorld));
      this.stmt.putMeta.run('time', String(fabric.clock.now()));
    })();
    this.hosts.clear();
    this.vms.clear();
    this.jobs.clear();
    this.worldDirty = false;
    this.flushes++;
  }

  /** Write whatever is marked now (normally done by a microtask after each step). */
  flush(): void {
    this.scheduled = false;
    if (this.closed || !this.fabric) return;
    if (this.hosts.size === 0 && this.vms.size === 0 && this.jobs.size === 0 && !this.worldDirty) return;
    this.writeMarked();
    this.flushes++;
  }

  /** Flush, note a clean close, and release the file. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    try {
      this.stmt.putMeta.run('lastClose', 'clean');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  // ------------------------------------------------------------------------------ marking --

  private schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  private markVm(guid: string, host: string): void {
    const g = guid.toUpperCase();
    this.vms.set(vmKey({ guid: g, host, planned: false }), { guid: g, host, planned: false });
    this.vms.set(vmKey({ guid: g, host, planned: true }), { guid: g, host, planned: true });
  }

  private mark<K extends FabricEventName>(name: K, ev: FabricEvents[K]): void {
    const e = ev as Partial<Record<'host' | 'vm' | 'job' | 'from' | 'to' | 'source' | 'destination', string>> & { planned?: boolean };
    switch (name) {
      case 'job-progress':
        return; // PercentComplete follows from the saved timeline
      case 'host-added':
      case 'host-removed':
      case 'host-changed':
        this.hosts.add(e.host!.toLowerCase());
        break;
      case 'vm-added':
      case 'vm-removed': {
        const planned = e.planned ?? false;
        const g = e.vm!.toUpperCase();
        this.vms.set(vmKey({ guid: g, host: e.host!, planned }), { guid: g, host: e.host!, planned });
        break;
      }
      case 'vm-changed':
      case 'vm-state':
        this.markVm(e.vm!, e.host!);
        break;
      case 'vm-moved':
        this.markVm(e.vm!, e.from!);
        this.markVm(e.vm!, e.to!);
        if (e.job) this.jobs.set(e.job.toUpperCase(), e.from!);
        break;
      default:
        // job-* and migration-*
        if (e.job) this.jobs.set(e.job.toUpperCase(), e.host ?? e.source ?? '');
        if (e.vm && e.source) this.markVm(e.vm, e.source);
        if (e.vm && e.destination) this.markVm(e.vm, e.destination);
    }
    this.schedule();
  }

  // ------------------------------------------------------------------------------ writing --

  private writeMarkedNow(): void {
    const f = this.fabric!;
    // a job's VMs, and the job a VM is busy with, go with it (one consistent step)
    for (const [id, host] of [...this.jobs]) {
      const j = (host ? f.job(host, id) : undefined) ?? f.findJob(id);
      if (!j) continue;
      for (const g of j.affected) {
        this.markVm(g, j.host);
        if (j.migration?.destination) this.markVm(g, j.migration.destination);
      }
    }
    for (const m of this.vms.values()) {
      const v = m.planned ? f.planned(m.host, m.guid) : f.findVm(m.guid);
      if (v?.busyWith && !this.jobs.has(v.busyWith)) this.jobs.set(v.busyWith, v.host);
    }
    for (const name of this.hosts) {
      const h = f.host(name);
      if (h) this.putHost(h);
      else {
        this.stmt.delHost.run(name);
        this.rows++;
      }
    }
    for (const [k, m] of this.vms) {
      const v = m.planned ? f.planned(m.host, m.guid) : f.findVm(m.guid);
      if (v) this.putVm(v);
      else {
        this.stmt.delVm.run(k);
        this.rows++;
      }
    }
    for (const [id, host] of this.jobs) {
      const j = (host ? f.job(host, id) : undefined) ?? f.findJob(id);
      if (j) this.putJob(j);
      else {
        this.stmt.delJob.run(id);
        this.rows++;
      }
    }
    if (this.worldDirty && this.world) this.stmt.putMeta.run('world', JSON.stringify(this.world()));
    this.stmt.putMeta.run('time', String(f.clock.now()));
    this.hosts.clear();
    this.vms.clear();
    this.jobs.clear();
    this.worldDirty = false;
  }

  private putHost(h: HostRecord): void {
    this.stmt.putHost.run(h.name.toLowerCase(), JSON.stringify(h));
    this.rows++;
  }

  private putVm(v: VmRecord): void {
    this.stmt.putVm.run(vmKey(v), v.guid, v.host, v.planned ? 1 : 0, JSON.stringify(v));
    this.rows++;
  }

  private putJob(j: JobRecord): void {
    this.stmt.putJob.run(j.id, j.host, j.state, JSON.stringify(j));
    this.rows++;
  }
}
