/**
 * Case-insensitive comparison of UTF-16 strings without allocating.
 *
 * WMI compares strings case-insensitively everywhere in WQL ("Comparison tests are always
 * case-insensitive", WmiSdk/where-clause.md) and in object paths (WmiSdk/wmi-object-path-requirements.md).
 * Folding is to lower case, code unit by code unit, like the CRT's `_wcsicmp`; this decides the
 * order of `_` against letters (`'_' < 'a'`). The query evaluator runs these on every instance of a
 * large enumeration, so nothing here may build a string: ASCII folds arithmetically and other code
 * units go through a lazily filled table.
 */

/** fold(c) + 1 for code units already computed, 0 for unknown. */
const FOLD_TABLE = new Uint32Array(0x10000);

function foldSlow(c: number): number {
  const lower = String.fromCharCode(c).toLowerCase();
  // A few characters lower-case to two code units (U+0130 → "i̇"); they fold to themselves.
  const folded = lower.length === 1 ? lower.charCodeAt(0) : c;
  FOLD_TABLE[c] = folded + 1;
  return folded;
}

/** The lower-case fold of one UTF-16 code unit. */
export function foldChar(c: number): number {
  if (c < 0x80) return c >= 0x41 && c <= 0x5a ? c + 0x20 : c;
  const cached = FOLD_TABLE[c];
  return cached !== 0 ? cached - 1 : foldSlow(c);
}

/** The upper-case counterpart of an ASCII letter (other code units are returned unchanged). */
export function upperAscii(c: number): number {
  return c >= 0x61 && c <= 0x7a ? c - 0x20 : c;
}

/** Three-way case-insensitive comparison: negative, 0 or positive. */
export function ciCompare(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const fx = foldChar(x);
    const fy = foldChar(y);
    if (fx !== fy) return fx < fy ? -1 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Case-insensitive equality. */
export function ciEquals(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  if (a === b) return true;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y && foldChar(x) !== foldChar(y)) return false;
  }
  return true;
}

/** Fold every code unit of a constant once, so comparisons against it fold only the other side. */
export function foldString(s: string): string {
  // join() yields a flat string; `+=` would leave a rope that every charCodeAt has to walk.
  const units: string[] = [];
  for (let i = 0; i < s.length; i++) units.push(String.fromCharCode(foldChar(s.charCodeAt(i))));
  return units.join('');
}

/** ciEquals against a constant already passed through {@link foldString}. */
export function ciEqualsFolded(a: string, folded: string): boolean {
  const n = a.length;
  if (n !== folded.length) return false;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = folded.charCodeAt(i);
    if (x !== y && (x < 0x80 ? (x >= 0x41 && x <= 0x5a ? x + 0x20 : x) : foldChar(x)) !== y) return false;
  }
  return true;
}

/** ciCompare against a constant already passed through {@link foldString}. */
export function ciCompareFolded(a: string, folded: string): number {
  const n = a.length < folded.length ? a.length : folded.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = folded.charCodeAt(i);
    if (x === y) continue;
    const fx = x < 0x80 ? (x >= 0x41 && x <= 0x5a ? x + 0x20 : x) : foldChar(x);
    if (fx !== y) return fx < y ? -1 : 1;
  }
  return a.length === folded.length ? 0 : a.length < folded.length ? -1 : 1;
}
