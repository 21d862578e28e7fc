/**
 * Fault injection on migrations, for the control plane and for tests: rules (plain data, so they
 * can be listed, persisted and removed) plus an optional programmatic hook. Both are consulted when
 * a migration job starts running; their effects apply to that job only.
 */
import type { ErrorRecord, MigrationDetails, MigrationTypeName } from './model.js';

export interface MigrationFaultMatch {
  /** VM GUID or name (case-insensitive) */
  vm?: string;
  source?: string;
  /** destination host name */
  destination?: string;
  type?: MigrationTypeName | MigrationTypeName[];
}

export type MigrationFaultEffect =
  /** fail the job when PercentComplete reaches `atPercent` (1–99), with this error */
  | { kind: 'fail'; atPercent: number; error?: Partial<Omit<ErrorRecord, 'source'>>; errorCode?: number; side?: 'source' | 'destination' }
  /** the destination does not answer this migration */
  | { kind: 'unreachable'; mode?: 'refused' | 'timeout' }
  /** the transfer takes `factor` times longer */
  | { kind: 'slow'; factor: number };

export interface MigrationFaultRule {
  readonly id: string;
  match: MigrationFaultMatch;
  effect: MigrationFaultEffect;
  /** how many more migrations it applies to (unlimited when absent) */
  remaining?: number;
}

export type MigrationFaultHook = (m: Readonly<MigrationDetails>) => MigrationFaultEffect | MigrationFaultEffect[] | undefined;

export class MigrationFaults {
  private rules: MigrationFaultRule[] = [];
  private seq = 1;
  /** a programmatic hook, consulted after the rules */
  hook: MigrationFaultHook | undefined;

  add(rule: Omit<MigrationFaultRule, 'id'> & { id?: string }): MigrationFaultRule {
    if (rule.effect.kind === 'fail' && !(rule.effect.atPercent >= 0 && rule.effect.atPercent < 100)) {
      throw new RangeError('atPercent must be in 0..99');
    }
    if (rule.effect.kind === 'slow' && !(rule.effect.factor > 0)) throw new RangeError('factor must be positive');
    const r: MigrationFaultRule = { ...rule, id: rule.id ?? `fault-${this.seq++}` };
    this.rules.push(r);
    return r;
  }

  remove(id: string): boolean {
    const n = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== n;
  }

  clear(): void {
    this.rules = [];
    this.hook = undefined;
  }

  list(): readonly MigrationFaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The effects for a migration that is starting (consumes `remaining`). */
  effectsFor(m: Readonly<MigrationDetails>): MigrationFaultEffect[] {
    const out: MigrationFaultEffect[] = [];
    for (const r of this.rules) {
      if (!matches(r.match, m)) continue;
      if (r.remaining !== undefined) {
        if (r.remaining <= 0) continue;
        r.remaining--;
      }
      out.push(r.effect);
    }
    this.rules = this.rules.filter((r) => r.remaining === undefined || r.remaining > 0);
    const h = this.hook?.(m);
    if (h) out.push(...(Array.isArray(h) ? h : [h]));
    return out;
  }
}

function eq(a: string | undefined, b: string | undefined): boolean {
  return a !== undefined && b !== undefined && a.toLowerCase() === b.toLowerCase();
}

function matches(mm: MigrationFaultMatch, m: Readonly<MigrationDetails>): boolean {
  if (mm.vm !== undefined && !eq(mm.vm, m.vm) && !eq(mm.vm, m.vmName)) return false;
  if (mm.source !== undefined && !eq(mm.source, m.source)) return false;
  if (mm.destination !== undefined && !eq(mm.destination, m.destination)) return false;
  if (mm.type !== undefined && !(Array.isArray(mm.type) ? mm.type : [mm.type]).includes(m.type)) return false;
  return true;
}
