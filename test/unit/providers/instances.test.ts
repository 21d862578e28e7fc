/**
 * Every instance the Hyper-V providers produce is valid against the served MOF: each property is
 * declared by the class (or an ancestor), each value fits its declared type, every reference has
 * exactly its class's keys; `get` finds each keyed instance by its keys; an association's
 * `referencesTo` returns the instance from each of its ends.
 */
import { describe, expect, test } from 'vitest';
import { refEquals } from '../../../src/cim/compare.js';
import type { OperationContext } from '../../../src/cim/provider.js';
import { loadSchemaRegistry } from '../../../src/cim/schema-loader.js';
import type { CimInstance, CimRef } from '../../../src/cim/types.js';
import { isInstance, isRef } from '../../../src/cim/types.js';
import { checkValue } from '../../../src/cim/values.js';
import { FabricClock } from '../../../src/fabric/clock.js';
import { createHypervFabric } from '../../../src/providers/hyperv/index.js';
import { defaultWorld, VM } from '../../helpers/hyperv.js';

const NS = 'root/virtualization/v2';
const schema = loadSchemaRegistry();
const str = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));

function setup() {
  const clock = new FabricClock({ mode: 'manual', start: Date.UTC(2025, 0, 6) });
  const f = createHypervFabric(defaultWorld(), clock);
  // some jobs in every state: a running migration (planned VM on HV2), a failed one, a finished state change
  expect(f.migrate({ source: 'HV1', vm: VM.web01, type: 'VirtualSystem', destination: 'HV2' }).ok).toBe(true);
  expect(f.migrate({ source: 'HV1', vm: VM.build01, type: 'VirtualSystem', destination: 'HV2' }).ok).toBe(true);
  expect(f.requestState('HV2', VM.app02, 'paused').ok).toBe(true);
  clock.advance(1500);
  expect(f.migrate({ source: 'HV1', vm: VM.legacy01, type: 'Staged', destination: 'HV2' }).ok).toBe(true);
  clock.advance(1600);
  return { f, clock };
}

function checkRef(where: string, r: CimRef): void {
  const cls = schema.getClass(r.namespace ?? NS, r.className);
  expect(cls, `${where}: class ${r.className}`).toBeDefined();
  expect(Object.keys(r.keys).sort(), `${where}: keys of ${r.className}`).toEqual(cls!.keys.map((k) => k.name).sort());
}

function checkInstance(where: string, inst: CimInstance): void {
  const cls = schema.getClass(inst.namespace ?? NS, inst.className);
  expect(cls, `${where}: class ${inst.className}`).toBeDefined();
  for (const [name, value] of Object.entries(inst.props)) {
    const decl = cls!.properties.get(name.toLowerCase());
    expect(decl, `${where}: ${inst.className}.${name} is not declared`).toBeDefined();
    expect(decl!.name, `${where}: spelling of ${name}`).toBe(name);
    expect(() => checkValue(decl!, value), `${where}: ${inst.className}.${name} = ${String(value)}`).not.toThrow();
    const vals = Array.isArray(value) ? value : [value];
    for (const v of vals) {
      if (isRef(v)) checkRef(`${where}.${name}`, v);
      if (isInstance(v)) checkInstance(`${where}.${name}`, v);
    }
  }
  for (const k of cls!.keys) expect(inst.props[k.name], `${where}: key ${k.name}`).not.toBeUndefined();
}

describe('Hyper-V provider instances', () => {
  const { f } = setup();
  for (const host of ['HV1', 'HV2']) {
    const table = f.providers(host);
    for (const [name, p] of table) {
      // the table serves root/virtualization/v2 and the few root/cimv2 classes libvirt reads
      const ns = schema.getClass(NS, name) ? NS : 'root/cimv2';
      const ctx: OperationContext = { host, namespace: ns, user: 'Administrator' };
      test(`${host} ${name}`, () => {
        const cls = schema.getClass(ns, name);
        expect(cls, name).toBeDefined();
        const all = [...p.enumerate(ctx, cls!)];
        for (const inst of all) {
          expect(inst.className.toLowerCase()).toBe(name);
          checkInstance(`${host} ${name}`, inst);
          if (cls!.keys.length && p.get) {
            const keys = Object.fromEntries(cls!.keys.map((k) => [k.name, inst.props[k.name]])) as Record<string, never>;
            const again = p.get(ctx, cls!, keys);
            expect(again, `${name} get ${JSON.stringify(keys)}`).toBeDefined();
            expect(str(again)).toBe(str(inst));
          }
          if (cls!.isAssociation) {
            expect(p.referencesTo, `${name} referencesTo`).toBeDefined();
            for (const d of cls!.sortedProperties.filter((x) => x.type === 'reference')) {
              const r = inst.props[d.name] as CimRef;
              const near = [...p.referencesTo!(ctx, cls!, r, d.name)];
              expect(near.some((n) => str(n) === str(inst)), `${name}: referencesTo(${d.name}) finds ${str(inst.props)}`).toBe(true);
              for (const n of near) expect(Object.values(n.props).some((v) => isRef(v) && refEquals(v, r))).toBe(true);
            }
          }
        }
        if (p.count) expect(p.count(ctx, cls!)).toBe(all.length);
        if (p.enumeratePartial) {
          // partial instances: the same instances in the same order, each agreeing with the whole on
          // every property it gives, for each property one at a time and all it can give together
          const names = cls!.sortedProperties.map((d) => d.name).filter((n) => p.enumeratePartial!(ctx, cls!, [n]) !== undefined);
          expect(names.length, `${name}: properties given in part`).toBeGreaterThan(0);
          for (const set of [...names.map((n) => [n]), names]) {
            const parts = [...p.enumeratePartial(ctx, cls!, set)!];
            expect(parts.map((x) => str(x.full()))).toEqual(all.map((i) => str(i)));
            for (const [k, x] of parts.entries()) {
              expect(x.partial.className).toBe(all[k].className);
              expect(x.partial.namespace).toBe(all[k].namespace);
              for (const n of set) expect(str(x.partial.props[n]), `${name}.${n} of ${str(all[k].props.Name)}`).toBe(str(all[k].props[n]));
            }
          }
          expect(p.enumeratePartial(ctx, cls!, ['OnTimeInMilliseconds'])).toBeUndefined();
        }
      });
    }
  }
  test('the scenario produced what the checks need to see', () => {
    expect([...f.jobs('HV1')].length).toBeGreaterThanOrEqual(3);
    expect([...f.plannedVms('HV2')].length).toBeGreaterThanOrEqual(1);
  });
});
