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
