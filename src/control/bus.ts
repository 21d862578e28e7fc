/**
 * The control plane's event stream: requests, injected faults, rule changes, hosts added or
 * removed, world resets, and the fabric's own events (re-subscribed when a reset replaces the
 * fabric). The dashboard's server-sent events and anything embedding the emulator listen here.
 */
import { EventEmitter } from 'node:events';
import type { InjectionEvent } from './injection.js';
import type { RequestRecord } from './request-log.js';

export interface ControlEvents {
  request: RequestRecord;
  injected: InjectionEvent;
  /** fault rules were added, removed or used up */
  rules: void;
  /** hosts were added or removed, or a host's listeners stopped or resumed */
  hosts: void;
  /** the world was reset or restored (the fabric object was replaced) */
  reset: void;
  /** a fabric event (src/fabric/events.ts), by name */
  fabric: { name: string; event: unknown };
}

export type ControlEventName = keyof ControlEvents;

export class ControlBus {
  private readonly ee = new EventEmitter();
  private readonly watchers = new Map<ControlEventName, Set<(listening: boolean) => void>>();

  constructor() {
    this.ee.setMaxListeners(0);
  }

  on<K extends ControlEventName>(name: K, fn: (e: ControlEvents[K]) => void): () => void {
    this.ee.on(name, fn);
    if (this.ee.listenerCount(name) === 1) this.notify(name, true);
    let on = true;
    return () => {
      if (!on) return;
      on = false;
      this.ee.off(name, fn);
      if (this.ee.listenerCount(name) === 0) this.notify(name, false);
    };
  }

  /** Whether anything listens for `name`. */
  listening(name: ControlEventName): boolean {
    return this.ee.listenerCount(name) > 0;
  }

  /**
   * Be told when `name` gains its first listener or loses its last (the emulator relays the
   * fabric's progress events only while someone listens, so that no timer runs for them otherwise).
   */
  watch(name: ControlEventName, fn: (listening: boolean) => void): () => void {
    let set = this.watchers.get(name);
    if (!set) this.watchers.set(name, (set = new Set()));
    set.add(fn);
    return () => set.delete(fn);
  }

  private notify(name: ControlEventName, listening: boolean): void {
    for (const fn of this.watchers.get(name) ?? []) fn(listening);
  }

  emit<K extends ControlEventName>(name: K, ...e: ControlEvents[K] extends void ? [] : [ControlEvents[K]]): void {
    if (this.ee.listenerCount(name)) this.ee.emit(name, ...e);
  }
}
