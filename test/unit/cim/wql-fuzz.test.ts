/**
 * Robustness: whatever text arrives, the WQL front end returns a query or throws a CimError —
 * never another exception, never a hang — and LIKE matching agrees with a reference
 * implementation while staying linear on hostile patterns. Fixed seeds keep runs reproducible.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CimError } from '../../../src/cim/errors.js';
import { compileLike, LikePatternError, parseWql, prepareQuery } from '../../../src/cim/wql/index.js';
import { CTX, makeSchema, PROBES, SYSTEMS } from './wql-fixtures.js';

const schema = makeSchema();
const INSTANCES = [...SYSTEMS, ...PROBES];

const VALID = [
  'SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Virtual Machine" AND (EnabledState != 0 and EnabledState != 3 and EnabledState != 32769) ',
  "SELECT Name, ElementName FROM Msvm_ComputerSystem WHERE ElementName LIKE 'web[_]%' OR ProcessID >= 0x10",
  'SELECT * FROM CIM_ComputerSystem WHERE NOT __CLASS ISA "Msvm_ComputerSystem" AND InstallDate < "20240101000000.000000+000"',
  'SELECT * FROM Emu_TypeProbe WHERE Owner = \'Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="VM-DB"\' OR Flag = TRUE',
  'SELECT * FROM Emu_TypeProbe WHERE AnyObject.EnabledState = 2 OR Settings ISA "CIM_SettingData" OR Letter > \'m\'',
  "ASSOCIATORS OF {Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem',Name='x'} WHERE AssocClass = Msvm_SettingsDefineState ResultClass = Msvm_VirtualSystemSettingData",
  'REFERENCES OF {Msvm_VirtualSystemSettingData.InstanceID="Microsoft:x"} WHERE ResultClass = Msvm_SettingsDefineState KeysOnly',
];

const TOKENS = [
  'SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IS', 'NULL', 'ISA', 'LIKE', 'TRUE', 'FALSE', '*', ',', '.', '(', ')',
  '=', '<>', '!=', '<', '>', '<=', '>=', '"', "'", '\\', '{', '}', '[', ']', '%', '_', '0x', '-1', '1e9', '__CLASS',
  'EnabledState', 'ElementName', 'Msvm_ComputerSystem', 'ASSOCIATORS OF', 'WHERE ResultClass =', '@', ':', ' ',
];

/** Parse, bind, compile and evaluate: only CimErrors may escape. */
function exercise(text: string): void {
  try {
    parseWql(text);
  } catch (e) {
    if (!(e instanceof CimError)) throw e;
  }
  let q;
  try {
    q = prepareQuery(text, schema);
  } catch (e) {
    if (!(e instanceof CimError)) throw e;
    return;
  }
  if (q.kind === 'select') {
    for (const inst of INSTANCES) {
      q.matches(inst, schema.classOf(inst), CTX);
      q.project(inst, schema.classOf(inst));
    }
  }
}

const mutation = fc.oneof(
  // delete a slice
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
  // insert a token or a random character
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 3 })) }),
  // duplicate a slice
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 20 }) }),
  // truncate
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(text: string, muts: ReadonlyArray<{ kind: string; at: number; len?: number; text?: string }>): string {
  let s = text;
  for (const m of muts) {
    const at = s.length === 0 ? 0 : m.at % (s.length + 1);
    switch (m.kind) {
      case 'delete':
        s = s.slice(0, at) + s.slice(at + (m.len ?? 1));
        break;
      case 'insert':
        s = s.slice(0, at) + (m.text ?? '') + s.slice(at);
        break;
      case 'duplicate':
        s = s.slice(0, at + (m.len ?? 1)) + s.slice(at);
        break;
      case 'truncate':
        s = s.slice(0, at);
        break;
    }
  }
  return s;
}

describe('WQL fuzzing (fast-check, fixed seeds)', () => {
  it('arbitrary strings: a query or a CimError', () => {
    fc.assert(fc.property(fc.string({ maxLength: 120 }), exercise), { seed: 1337, numRuns: 3000 });
  });

  it('arbitrary Unicode and control characters: a query or a CimError', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 60 }), exercise), { seed: 4242, numRuns: 1500 });
  });

  it('token soup: a query or a CimError', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 25 }), (toks) => exercise(toks.join(' '))),
      { seed: 2024, numRuns: 3000 },
    );
  });

  it('mutated valid queries: a query or a CimError, and evaluation never throws', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(mutation, { minLength: 1, maxLength: 4 }), (q, muts) => exercise(mutate(q, muts))),
      { seed: 8675309, numRuns: 4000 },
    );
  });

  it('every corpus query is valid before mutation', () => {
    for (const q of VALID) expect(() => prepareQuery(q, schema)).not.toThrow();
  });
});

/** Reference LIKE semantics through a RegExp (fine for short inputs; used only to check compileLike). */
function likeReference(pattern: string): RegExp | null {
  let re = '^';
  let i = 0;
  const esc = (c: string) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');
  while (i < pattern.length) {
    const c = pattern[i];
    if (c === '%') {
      re += '[\\s\\S]*';
      i++;
    } else if (c === '_') {
      re += '[\\s\\S]';
      i++;
    } else if (c === '[') {
      let j = i + 1;
      let cls = '[';
      if (pattern[j] === '^') {
        cls += '^';
        j++;
      }
      let first = true;
      let closed = false;
      while (j < pattern.length) {
        if (pattern[j] === ']' && !first) {
          closed = true;
          break;
        }
        first = false;
        if (pattern[j + 1] === '-' && j + 2 < pattern.length && pattern[j + 2] !== ']') {
          if (pattern.charCodeAt(j + 2) < pattern.charCodeAt(j)) return null;
          cls += esc(pattern[j]) + '-' + esc(pattern[j + 2]);
          j += 3;
        } else {
          cls += esc(pattern[j]);
          j++;
        }
      }
      if (!closed) return null;
      re += cls + ']';
      i = j + 1;
    } else {
      re += esc(c);
      i++;
    }
  }
  return new RegExp(re + '$', 'i');
}

describe('LIKE matcher', () => {
  const alphabet = fc.constantFrom('a', 'A', 'b', 'B', 'c', '%', '_', '[', ']', '^', '-', 'x');
  const text = fc.string({ unit: fc.constantFrom('a', 'A', 'b', 'B', 'c', 'x', '-', '[', ']', '^', '%', '_'), maxLength: 12 });

  it('agrees with a reference implementation (ASCII, case-insensitive)', () => {
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 10 }), fc.array(text, { maxLength: 8 }), (pattern, samples) => {
        const ref = likeReference(pattern);
        let m;
        try {
          m = compileLike(pattern);
        } catch (e) {
          expect(e).toBeInstanceOf(LikePatternError);
          expect(ref).toBeNull();
          return;
        }
        expect(ref).not.toBeNull();
        for (const s of samples) expect(m(s)).toBe(ref!.test(s));
      }),
      { seed: 31337, numRuns: 3000 },
    );
  });

  it('stays linear on patterns that make backtracking matchers explode', () => {
    const hostile = compileLike('%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%b');
    const input = 'a'.repeat(20000);
    const started = performance.now();
    expect(hostile(input)).toBe(false);
    expect(compileLike('%' + '_'.repeat(50) + '%b')(input)).toBe(false);
    expect(compileLike('%[a-z]%[^q]%aaaa%b')(input)).toBe(false);
    // 20 000 characters × ~20 segments: milliseconds, not the years an exponential matcher needs.
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('handles the documented examples', () => {
    expect(compileLike('%Win%')('Win32_Process')).toBe(true);
    expect(compileLike('%[_][_]%')('__Namespace')).toBe(true);
    expect(compileLike('%[_][_]%')('Win32_Process')).toBe(false);
    expect(compileLike('FirstName%')('firstname lastname')).toBe(true);
    expect(compileLike('%\\%')('C:\\')).toBe(true);
  });
});
