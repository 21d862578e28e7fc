/**
 * Hundreds of clients at once against five hosts: migrations between random hosts, paged
 * enumerations, Gets and state changes, on one connection each, while the fabric clock runs. The
 * invariants are checked throughout, not only at the end:
 *  - at every fabric event, each VM is on exactly one host, and no host runs more migrations than
 *    its MaximumActiveVirtualSystemMigration (as source or destination);
 *  - every answer is a SOAP envelope (a success or a catalogue fault);
 *  - a paged enumeration never returns a VM twice, never skips one that stayed on the host from
 *    its Enumerate to its last Pull, and never returns one that was not on the host meanwhile;
 *  - every job ends, and nothing stays busy or migrating once the load stops.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { FabricClock } from '../../src/fabric/clock.js';
import type { WorldSpec } from '../../src/fabric/world.js';
import { FINISHED_JOB_STATES } from '../../src/fabric/model.js';
import { textOf } from '../../src/xml/dom.js';
import { esc, migrationSettings, MIGRATION_SERVICE, serviceSelectors, startLab, V2, vmEpr, worldFile, type HypervLab } from '../helpers/hyperv.js';
import { classifyAnswer, seeded } from '../helpers/robustness.js';
import { ACTION, envelope, find, NS, parse, post } from '../helpers/wsman-client.js';

const CLIENTS = 200;
const OPS_PER_CLIENT = 12;
const CS = V2 + 'Msvm_ComputerSystem';

let lab: HypervLab;
let hosts: string[];
const violations: string[] = [];
/** fabric event counter, and where each VM was after each event */
let seq = 0;
const moves: Array<{ seq: number; vm: string; from?: string; to?: string }> = [];

beforeAll(async () => {
  const base = worldFile('fabric-20.yaml');
  const world: WorldSpec = { ...base, hosts: base.hosts.slice(0, 5).map((h) => ({ ...h, migration: { ...h.migration!, maxActiveVirtualSystemMigrations: 2 } })) };
  lab = await startLab(world, new FabricClock({ mode: 'manual', start: Date.UTC(2025, 0, 6, 9) }));
  hosts = lab.fabric.hostNames();
  const f = lab.fabric;
  const all = () => hosts.flatMap((h) => [...f.vms(h)].map((v) => [v.guid, h] as const));
  const guids = new Set(all().map(([g]) => g));
  f.events.onAny((name, e) => {
    seq++;
    const ev = e as { vm?: string; from?: string; to?: string; host?: string; planned?: boolean };
    if (name === 'vm-moved') moves.push({ seq, vm: ev.vm!, from: ev.from, to: ev.to });
    if ((name === 'vm-removed' || name === 'vm-added') && !ev.planned) moves.push({ seq, vm: ev.vm!, from: name === 'vm-removed' ? ev.host : undefined, to: name === 'vm-added' ? ev.host : undefined });
    // each VM on exactly one host, at every step
    const count = new Map<string, number>();
    for (const [g] of all()) count.set(g, (count.get(g) ?? 0) + 1);
    for (const g of guids) if (count.get(g) !== 1) violations.push(`after ${name}: VM ${g} on ${count.get(g) ?? 0} hosts`);
    for (const h of hosts) {
      const max = f.host(h)!.migration.maxVirtualSystemMigrations;
      const n = f.activeCount(h, 'virtual-system');
      if (n > max) violations.push(`after ${name}: ${n} live migrations on ${h} (max ${max})`);
    }
  });
});
afterAll(async () => {
  await lab.close();
});

interface EnumCheck {
  host: string;
  startSeq: number;
  endSeq: number;
  before: Set<string>;
  returned: string[];
}

function stayedThroughout(host: string, vm: string, from: number, to: number): boolean {
  return !moves.some((m) => m.vm === vm && m.seq > from && m.seq <= to && (m.from === host || m.to === host));
}

function wasThereSometime(host: string, vm: string, before: Set<string>, from: number, to: number): boolean {
  return before.has(vm) || moves.some((m) => m.vm === vm && m.to === host && m.seq > from && m.seq <= to);
}

describe('concurrency', () => {
  test(`${CLIENTS} clients mixing migrations, enumerations, Gets and state changes keep every invariant`, { timeout: 120_000 }, async () => {
    const f = lab.fabric;
    const enums: EnumCheck[] = [];
    const answers = { ok: 0, fault: 0, other: 0 };
    const jobs: Array<{ host: string; id: string }> = [];
    // the clock runs while clients work
    const ticker = setInterval(() => lab.clock.advance(1000), 5);

    const client = async (n: number) => {
      const rnd = seeded(1000 + n);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
      const send = async (url: string, xml: string) => {
        const r = await post(url, xml, {}, { agent });
        const c = classifyAnswer(r.status, r.body, r.headers['content-type']);
        if (c.kind === 'success') answers.ok++;
        else if (c.kind === 'fault') answers.fault++;
        else answers.other++;
        return r;
      };
      try {
        for (let i = 0; i < OPS_PER_CLIENT; i++) {
          const op = rnd();
          const all = hosts.flatMap((h) => [...f.vms(h)].map((v) => ({ guid: v.guid, host: h })));
          const v = pick(all);
          const url = lab.url(v.host);
          if (op < 0.3) {
            const dest = pick(hosts.filter((h) => h !== v.host));
            const params = `<p:ComputerSystem>${vmEpr(v.guid)}</p:ComputerSystem><p:DestinationHost>${dest}</p:DestinationHost><p:MigrationSettingData>${esc(migrationSettings(32768))}</p:MigrationSettingData>`;
            const uri = V2 + MIGRATION_SERVICE;
            const r = await send(url, envelope({ action: `${uri}/MigrateVirtualSystemToHost`, resourceUri: uri, selectors: serviceSelectors(MIGRATION_SERVICE, v.host), body: `<p:MigrateVirtualSystemToHost_INPUT xmlns:p="${uri}">${params}</p:MigrateVirtualSystemToHost_INPUT>` }).xml);
            const sel = r.status === 200 ? find(parse(r.text), NS.w, 'Selector').find((s) => s.attrs.some((a) => a.value === 'InstanceID')) : undefined;
            if (sel) jobs.push({ host: v.host, id: textOf(sel).trim() });
          } else if (op < 0.5) {
            const target = pick(['2', '3', '6', '9']);
            const r = await send(url, envelope({ action: `${CS}/RequestStateChange`, resourceUri: CS, selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: v.guid }, body: `<p:RequestStateChange_INPUT xmlns:p="${CS}"><p:RequestedState>${target}</p:RequestedState></p:RequestStateChange_INPUT>` }).xml);
            const sel = r.status === 200 ? find(parse(r.text), NS.w, 'Selector').find((s) => s.attrs.some((a) => a.value === 'InstanceID')) : undefined;
            if (sel) jobs.push({ host: v.host, id: textOf(sel).trim() });
          } else if (op < 0.75) {
            // a paged enumeration, one VM a page (long enough for VMs to come and go meanwhile)
            const host = pick(hosts);
            const hu = lab.url(host);
            const check: EnumCheck = { host, startSeq: seq, endSeq: 0, before: new Set([...f.vms(host)].map((x) => x.guid)), returned: [] };
            const take = (text: string) => {
              for (const e of find(parse(text), CS, 'Name')) {
                const name = textOf(e).trim();
                if (name.includes('-')) check.returned.push(name.toUpperCase());
              }
            };
            let r = await send(hu, envelope({ action: ACTION.enumerate, resourceUri: CS, body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>1</w:MaxElements></n:Enumerate>' }).xml);
            if (r.status !== 200) continue;
            take(r.text);
            let ctx = textOf(find(parse(r.text), NS.n, 'EnumerationContext')[0]).trim();
            while (ctx) {
              r = await send(hu, envelope({ action: ACTION.pull, resourceUri: CS, body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext><n:MaxElements>1</n:MaxElements></n:Pull>` }).xml);
              if (r.status !== 200) break;
              take(r.text);
              const c = find(parse(r.text), NS.n, 'EnumerationContext')[0];
              ctx = c ? textOf(c).trim() : '';
            }
            check.endSeq = seq;
            enums.push(check);
          } else {
            await send(url, envelope({ action: ACTION.get, resourceUri: CS, selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: v.guid } }).xml);
            if (jobs.length) {
              const j = pick(jobs);
              const cls = f.findJob(j.id)?.migrationJob ? 'Msvm_MigrationJob' : 'Msvm_ConcreteJob';
              await send(lab.url(j.host), envelope({ action: ACTION.get, resourceUri: V2 + cls, selectors: { InstanceID: j.id } }).xml);
            }
          }
        }
      } finally {
        agent.destroy();
      }
    };

    await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
    clearInterval(ticker);
    expect(violations.slice(0, 10)).toEqual([]);
    expect(answers.other).toBe(0);
    expect(answers.ok).toBeGreaterThan(CLIENTS * OPS_PER_CLIENT / 2);

    // enumerations: no duplicates, no skips of VMs that stayed, no phantoms
    expect(enums.length).toBeGreaterThan(50);
    let checkedStayers = 0;
    for (const e of enums) {
      expect(new Set(e.returned).size, `enumeration of ${e.host} returned a VM twice`).toBe(e.returned.length);
      for (const g of e.before) {
        if (!stayedThroughout(e.host, g, e.startSeq, e.endSeq)) continue;
        checkedStayers++;
        expect(e.returned, `enumeration of ${e.host} skipped ${g}, which stayed there throughout`).toContain(g);
      }
      for (const g of e.returned) expect(wasThereSometime(e.host, g, e.before, e.startSeq, e.endSeq), `enumeration of ${e.host} returned ${g}, which was never there`).toBe(true);
    }
    expect(checkedStayers).toBeGreaterThan(100);
    expect(moves.filter((m) => m.from && m.to).length).toBeGreaterThan(10);

    // every job ends; nothing stays busy
    lab.clock.advance(3_600_000);
    expect(jobs.length).toBeGreaterThan(50);
    for (const h of hosts) {
      for (const j of f.jobs(h)) expect(FINISHED_JOB_STATES.has(j.state), `job ${j.id} (${j.type}) is ${j.state}`).toBe(true);
      for (const v of f.vms(h)) {
        expect(v.busyWith).toBeUndefined();
        expect(v.migrating).toBe(false);
      }
      expect(f.plannedCount(h)).toBe(0);
    }
    expect(f.activeMigrations()).toEqual([]);
    expect(violations).toEqual([]);
  });
});
