/**
 * Fault rules as data: the world file's `faults:` section (structure and consistency, with line
 * numbers), times, fault names, the seeded random draws, and the rule engine's bookkeeping
 * (count, windows, host effects) without any network.
 */
import { describe, expect, test } from 'vitest';
import { resolveFaultKind, faultSubcode } from '../../../src/control/fault-names.js';
import { FaultInjector, faultRuleErrors, requestFacts } from '../../../src/control/injection.js';
import { SeededRandom } from '../../../src/control/rng.js';
import { FabricClock } from '../../../src/fabric/clock.js';
import { parseFaultTime, parseWorld, WorldFileError } from '../../../src/fabric/world-file.js';

const BASE = `users:
  - name: Administrator
    password: x
hosts:
  - name: HV1
  - name: HV2
`;

describe('world file faults section', () => {
  test('valid rules of every kind', () => {
    const w = parseWorld(`${BASE}faults:
  - { id: quota, host: HV1, operation: Get, class: Msvm_ComputerSystem, count: 2, effect: { kind: fault, fault: "w:QuotaLimit" } }
  - { host: HV2, from: "+10s", until: "+1m", effect: { kind: unreachable, mode: hang } }
  - { host: HV2, effect: { kind: flap, downMs: 1000, upMs: 5000 } }
  - { operation: Invoke, method: RequestStateChange, probability: 0.25, effect: { kind: latency, ms: 200, jitterMs: 50 } }
  - { host: HV1, vm: web01, destination: HV2, effect: { kind: migration-fail, atPercent: 40, messageId: "21024", message: lost, errorCode: 32768, side: destination } }
  - { effect: { kind: migration-slow, factor: 3 } }
  - { from: "2025-01-06T09:00:00Z", effect: { kind: drop } }
`);
    expect(w.faults).toHaveLength(7);
  });

  const problems = (text: string): string => {
    try {
      parseWorld(`${BASE}faults:\n${text}`);
    } catch (e) {
      expect(e).toBeInstanceOf(WorldFileError);
      return (e as WorldFileError).problems.join('\n');
    }
    throw new Error('accepted');
  };

  test('problems, with their lines', () => {
    expect(problems('  - { effect: { kind: fault, fault: "w:Nope" } }')).toMatch(/line 8, column \d+: faults\.0\.effect\.fault: must be equal to one of the allowed values/);
    expect(problems('  - { host: HV9, effect: { kind: hang } }')).toMatch(/faults\.0\.host: no host named 'HV9'/);
    expect(problems('  - { operation: Get, effect: { kind: migration-slow, factor: 2 } }')).toMatch(/'operation' does not apply to a migration-slow rule/);
    expect(problems('  - { count: 1, effect: { kind: unreachable } }')).toMatch(/'count' does not apply/);
    expect(problems('  - { effect: { kind: flap, downMs: 1 } }')).toMatch(/needs 'upMs'/);
    expect(problems('  - { effect: { kind: hang, ms: 1 } }')).toMatch(/'ms' does not apply to a hang effect/);
    expect(problems('  - { effect: { kind: unreachable, mode: timeout } }')).toMatch(/mode of a unreachable effect is one of: refused, hang/);
    expect(problems('  - { from: "+5s", until: "+2s", effect: { kind: hang } }')).toMatch(/'until' must be after 'from'/);
    expect(problems('  - { from: soon, effect: { kind: hang } }')).toMatch(/'soon' is not a time/);
    expect(problems('  - { id: a, effect: { kind: hang } }\n  - { id: a, effect: { kind: reset } }')).toMatch(/duplicate fault rule id 'a'/);
    expect(problems('  - { operation: Get, method: X, effect: { kind: hang } }')).toMatch(/'method' only goes with operation Invoke/);
    expect(problems('  - { effect: { kind: hang }, colour: red }')).toMatch(/unknown field 'colour'/);
  });

  test('times', () => {
    expect(parseFaultTime('+10s', 1000)).toBe(11_000);
    expect(parseFaultTime('+500ms', 0)).toBe(500);
    expect(parseFaultTime('+2m', 0)).toBe(120_000);
    expect(parseFaultTime('+1.5h', 0)).toBe(5_400_000);
    expect(parseFaultTime('2025-01-06T09:00:00Z', 0)).toBe(Date.UTC(2025, 0, 6, 9));
    expect(parseFaultTime(12345, 0)).toBe(12345);
    expect(parseFaultTime('+10', 0)).toBeUndefined();
    expect(parseFaultTime('2025-01-06', 0)).toBeUndefined();
  });
});

describe('fault names', () => {
  test('kinds and subcodes', () => {
    expect(resolveFaultKind('QuotaLimit')).toBe('QuotaLimit');
    expect(resolveFaultKind('w:QuotaLimit')).toBe('QuotaLimit');
    expect(resolveFaultKind('w:TimedOut')).toBe('TimedOut');
    expect(resolveFaultKind('w:InternalError')).toBe('InternalError');
    expect(resolveFaultKind('a:DestinationUnreachable')).toBe('DestinationUnreachable');
    expect(resolveFaultKind('w:AccessDenied')).toBe('AccessDenied');
    expect(resolveFaultKind('x:Nope')).toBeUndefined();
    expect(faultSubcode('ConcurrencyLimit')).toBe('w:InternalError');
    expect(faultSubcode('MustUnderstand')).toBe('s:MustUnderstand');
  });
});

describe('seeded random', () => {
  test('same seed, same draws; chance bounds use no draw', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const xs = Array.from({ length: 50 }, () => a.next());
    expect(Array.from({ length: 50 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const c = new SeededRandom(7);
    expect(c.chance(1)).toBe(true);
    expect(c.chance(0)).toBe(false);
    expect(c.next()).toBe(xs[0]);
    const hits = Array.from({ length: 1000 }, () => a.chance(0.3)).filter(Boolean).length;
    expect(hits).toBeGreaterThan(230);
    expect(hits).toBeLessThan(370);
  });
});

describe('the rule engine', () => {
  const engine = () => {
    const clock = new FabricClock({ mode: 'manual', start: 0 });
    const listening: Array<[string, boolean]> = [];
    const reach: Array<[string, string]> = [];
    const injected: string[] = [];
    const inj = new FaultInjector({
      clock: () => clock,
      hostNames: () => ['HV1', 'HV2'],
      setListening: (h, l) => listening.push([h, l]),
      reachability: () => 'reachable',
      setReachability: (h, r) => reach.push([h, r]),
      injected: (e) => injected.push(`${e.rule}:${e.effect}:${e.host ?? ''}`),
      rulesChanged: () => undefined,
    }, { seed: 1 });
    return { clock, inj, listening, reach, injected };
  };

  test('host effects follow their window and the flap period, and restore the fabric reachability', () => {
    const { clock, inj, listening, reach } = engine();
    inj.add({ id: 'down', host: 'HV2', from: '+1s', until: '+3s', effect: { kind: 'unreachable' } });
    expect(inj.hostState('HV2')).toBeUndefined();
    clock.advance(1000);
    expect(inj.hostState('HV2')).toBe('refused');
    clock.advance(2000);
    expect(inj.hostState('HV2')).toBeUndefined();
    expect(listening).toEqual([['HV2', false], ['HV2', true]]);
    expect(reach).toEqual([['HV2', 'refused'], ['HV2', 'reachable']]);
    inj.add({ id: 'flap', host: 'HV1', effect: { kind: 'flap', downMs: 100, upMs: 300, mode: 'hang' } });
    const seen: string[] = [];
    for (let i = 0; i < 8; i++) {
      seen.push(inj.hostState('HV1') ?? 'up');
      clock.advance(100);
    }
    expect(seen).toEqual(['hang', 'up', 'up', 'up', 'hang', 'up', 'up', 'up']);
    inj.remove('flap');
    expect(inj.hostState('HV1')).toBeUndefined();
    expect(clock.pendingTimers).toBe(0);
  });

  test('migration rules: match, count, probability', () => {
    const { inj, injected } = engine();
    inj.add({ id: 'm', host: 'HV1', vm: 'web01', count: 1, effect: { kind: 'migration-fail', atPercent: 30, message: 'x' } });
    const m = { vm: 'G', vmName: 'web01', source: 'HV1', destination: 'HV2', type: 'VirtualSystem' as const };
    expect(inj.migrationEffects({ ...m, source: 'HV2' })).toEqual([]);
    expect(inj.migrationEffects(m)).toEqual([{ kind: 'fail', atPercent: 30, error: { message: 'x', messageArguments: [] }, errorCode: undefined, side: undefined }]);
    expect(inj.migrationEffects(m)).toEqual([]);
    expect(inj.list()).toEqual([]);
    expect(injected).toEqual(['m:migration-fail:HV1']);
  });

  test('rule ids, views and specs', () => {
    const { inj, clock } = engine();
    const r = inj.add({ host: 'HV1', from: '+1s', effect: { kind: 'reset' } });
    expect(r.id).toBe('rule-1');
    expect(inj.view(r)).toMatchObject({ id: 'rule-1', active: false, from: new Date(1000).toISOString(), applied: 0 });
    clock.advance(1000);
    expect(inj.view(r).active).toBe(true);
    expect(inj.toSpecs()).toEqual([{ id: 'rule-1', host: 'HV1', from: new Date(1000).toISOString(), effect: { kind: 'reset' } }]);
    expect(() => inj.add({ id: 'rule-1', effect: { kind: 'hang' } })).toThrow(/already exists/);
    expect(faultRuleErrors({ effect: { kind: 'latency', ms: -1 } })).toEqual(['effect.ms: must be >= 0']);
  });

  test('what a request is, from its envelope', () => {
    expect(requestFacts('<s:Envelope xmlns:s="x"><s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/transfer/Get</a:Action><w:ResourceURI>http://x/root/virtualization/v2/Msvm_ComputerSystem</w:ResourceURI><a:MessageID>uuid:1</a:MessageID></s:Header><s:Body/></s:Envelope>'))
      .toEqual({ operation: 'Get', action: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get', resourceUri: 'http://x/root/virtualization/v2/Msvm_ComputerSystem', className: 'Msvm_ComputerSystem', method: undefined, messageId: 'uuid:1' });
    expect(requestFacts('<s:Envelope><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>').operation).toBe('Identify');
    expect(requestFacts('<Envelope><Header><Action>http://x/v2/Msvm_VirtualSystemMigrationService/MigrateVirtualSystemToHost</Action></Header></Envelope>'))
      .toMatchObject({ operation: 'Invoke', method: 'MigrateVirtualSystemToHost' });
  });
});
