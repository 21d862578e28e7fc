import { describe, expect, it } from 'vitest';
import { ControlBus } from '../../../src/control/bus.js';

describe('ControlBus.watch', () => {
  it('tells when an event gains its first listener and loses its last, once per change', () => {
    const bus = new ControlBus();
    const seen: boolean[] = [];
    bus.watch('fabric', (on) => seen.push(on));
    const a = bus.on('fabric', () => {});
    const b = bus.on('fabric', () => {});
    expect(bus.listening('fabric')).toBe(true);
    a();
    a();
    expect(seen).toEqual([true]);
    b();
    expect(seen).toEqual([true, false]);
    expect(bus.listening('fabric')).toBe(false);
    bus.on('request', () => {});
    expect(seen).toEqual([true, false]);
  });
});

describe('RecordRing', () => {
  it('keeps the latest records, oldest first, as copies', async () => {
    const { RecordRing } = await import('../../../src/control/request-log.js');
    const ring = new RecordRing(3);
    const rec = (i: number) => ({ time: i, host: 'HV1', status: 200, operation: 'Get', outcome: 'ok' as const, durationMs: i, user: i % 2 ? 'u' : undefined });
    expect(ring.latest()).toEqual([]);
    for (let i = 1; i <= 5; i++) ring.push(rec(i));
    expect(ring.latest().map((r) => r.time)).toEqual([3, 4, 5]);
    expect(ring.latest(2).map((r) => r.time)).toEqual([4, 5]);
    expect(ring.latest(10)).toEqual([rec(3), rec(4), rec(5)]);
    const copy = ring.latest(1)[0];
    ring.push(rec(6));
    expect(copy.time).toBe(5);
    ring.clear();
    expect(ring.latest()).toEqual([]);
  });
});
