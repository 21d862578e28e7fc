/**
 * FabricClock bookkeeping: clearing a timer that already fired (or was cleared before) must not
 * leave an entry behind, so pendingTimers never goes wrong — let alone negative.
 */
import { describe, expect, test } from 'vitest';
import { FabricClock } from '../../../src/fabric/clock.js';

describe('FabricClock.clearTimer', () => {
  test('on a timer that has fired: no effect, pendingTimers stays right', () => {
    const clock = new FabricClock({ mode: 'manual', start: 0 });
    const fired: number[] = [];
    const a = clock.setTimer(10, () => fired.push(1));
    const b = clock.setTimer(20, () => fired.push(2));
    expect(clock.pendingTimers).toBe(2);
    clock.advance(10);
    expect(fired).toEqual([1]);
    expect(clock.pendingTimers).toBe(1);
    clock.clearTimer(a); // already fired
    expect(clock.pendingTimers).toBe(1);
    clock.advance(10);
    expect(fired).toEqual([1, 2]);
    expect(clock.pendingTimers).toBe(0);
    clock.clearTimer(b);
    clock.clearTimer(a);
    expect(clock.pendingTimers).toBe(0);
    // a new timer is counted and fires normally
    clock.setTimer(30, () => fired.push(3));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(10);
    expect(fired).toEqual([1, 2, 3]);
    expect(clock.pendingTimers).toBe(0);
  });

  test('clearing twice, and clearing a pending timer', () => {
    const clock = new FabricClock({ mode: 'manual', start: 0 });
    const fired: string[] = [];
    const a = clock.after(5, () => fired.push('a'));
    clock.after(6, () => fired.push('b'));
    clock.clearTimer(a);
    clock.clearTimer(a);
    clock.clearTimer(undefined);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(fired).toEqual(['b']);
    expect(clock.pendingTimers).toBe(0);
  });

  test('a timer that clears itself while firing', () => {
    const clock = new FabricClock({ mode: 'manual', start: 0 });
    const h = clock.after(1, () => clock.clearTimer(h));
    clock.advance(1);
    expect(clock.pendingTimers).toBe(0);
  });

  test('real mode: a fired timer cleared later does not block the next one', async () => {
    const clock = new FabricClock({ scale: 1000 });
    const first = await new Promise<number>((resolve) => {
      const h = clock.after(10, () => resolve(1));
      void h;
    });
    expect(first).toBe(1);
    const second = await new Promise<number>((resolve) => {
      clock.after(10, () => resolve(2));
    });
    expect(second).toBe(2);
    expect(clock.pendingTimers).toBe(0);
    clock.close();
  });
});
