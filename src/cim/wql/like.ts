/**
 * WQL LIKE patterns (WmiSdk/like-operator.md):
 *
 *   %        any run of characters, including none
 *   _        exactly one character
 *   [abc]    one character of the set;  [a-f] of the range;  [^a-f] / [^abc] not in it
 *
 * There is no escape character: a literal `%`, `_` or `[` is written inside brackets (`[_]`, `[%]`,
 * `[[]`); backslashes were already consumed by the string literal. Inside brackets a `]` right after
 * `[` or `[^` is a member, and a `-` first or last is a member. Matching is case-insensitive like
 * every WQL comparison, over UTF-16 code units (WMI strings are BSTRs).
 *
 * The pattern compiles to fixed-length segments separated by `%`. Because every segment has a
 * fixed length, taking the leftmost occurrence of each middle segment is always safe, so matching
 * is a plain scan: O(text × pattern) in the worst case, no backtracking, no RegExp, and no
 * allocation per call.
 */
import { foldChar, upperAscii } from './casefold.js';
import { stats } from './stats.js';

/** One-character matcher: a folded literal, any character, or a (possibly negated) class. */
type CharMatcher =
  | { readonly kind: 'lit'; readonly folded: number }
  | { readonly kind: 'any' }
  | { readonly kind: 'set'; readonly negated: boolean; readonly ranges: Uint32Array };

export class LikePatternError extends Error {}

export type LikeMatcher = (s: string) => boolean;

function parseClass(pattern: string, open: number): { matcher: CharMatcher; next: number } {
  let i = open + 1;
  let negated = false;
  if (pattern[i] === '^') {
    negated = true;
    i++;
  }
  const bounds: number[] = [];
  let first = true;
  while (i < pattern.length) {
    const c = pattern.charCodeAt(i);
    if (c === 0x5d /* ] */ && !first) {
      return { matcher: { kind: 'set', negated, ranges: Uint32Array.from(bounds) }, next: i + 1 };
    }
    first = false;
    // a-z: a range when the dash has something after it other than the closing bracket
    if (pattern[i + 1] === '-' && i + 2 < pattern.length && pattern[i + 2] !== ']') {
      const hi = pattern.charCodeAt(i + 2);
      if (hi < c) throw new LikePatternError(`invalid range '${pattern.slice(i, i + 3)}' in LIKE pattern (the end comes before the start)`);
      bounds.push(c, hi);
      i += 3;
    } else {
      bounds.push(c, c);
      i++;
    }
  }
  throw new LikePatternError(`unclosed '[' at position ${open + 1} of the LIKE pattern (write a literal '[' as '[[]')`);
}

function inRanges(ranges: Uint32Array, c: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) if (c >= ranges[i] && c <= ranges[i + 1]) return true;
  return false;
}

function matchOne(m: CharMatcher, c: number): boolean {
  switch (m.kind) {
    case 'any':
      return true;
    case 'lit':
      return foldChar(c) === m.folded;
    case 'set': {
      // Case-insensitive membership: the character as written, folded, or upper-cased (ASCII).
      const hit = inRanges(m.ranges, c) || inRanges(m.ranges, foldChar(c)) || inRanges(m.ranges, upperAscii(c));
      return hit !== m.negated;
    }
  }
}

function segmentAt(seg: readonly CharMatcher[], s: string, at: number): boolean {
  for (let j = 0; j < seg.length; j++) if (!matchOne(seg[j], s.charCodeAt(at + j))) return false;
  return true;
}

/** Compile a LIKE pattern (the already-unescaped string literal). Throws LikePatternError. */
export function compileLike(pattern: string): LikeMatcher {
  stats.likePatterns++;
  const segments: CharMatcher[][] = [[]];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern.charCodeAt(i);
    if (c === 0x25 /* % */) {
      if (segments[segments.length - 1].length > 0 || segments.length === 1) segments.push([]);
      i++;
    } else if (c === 0x5f /* _ */) {
      segments[segments.length - 1].push({ kind: 'any' });
      i++;
    } else if (c === 0x5b /* [ */) {
      const { matcher, next } = parseClass(pattern, i);
      segments[segments.length - 1].push(matcher);
      i = next;
    } else {
      segments[segments.length - 1].push({ kind: 'lit', folded: foldChar(c) });
      i++;
    }
  }
  // segments[0] is anchored at the start, the last one at the end (when there is at least one %).
  if (segments.length === 1) {
    const only = segments[0];
    return (s) => s.length === only.length && segmentAt(only, s, 0);
  }
  const head = segments[0];
  const tail = segments[segments.length - 1];
  const middle = segments.slice(1, -1).filter((seg) => seg.length > 0);
  const minLength = head.length + tail.length + middle.reduce((n, seg) => n + seg.length, 0);
  return (s) => {
    const n = s.length;
    if (n < minLength) return false;
    if (!segmentAt(head, s, 0)) return false;
    const limit = n - tail.length;
    if (!segmentAt(tail, s, limit)) return false;
    let p = head.length;
    for (let k = 0; k < middle.length; k++) {
      const seg = middle[k];
      const last = limit - seg.length;
      let q = p;
      while (q <= last && !segmentAt(seg, s, q)) q++;
      if (q > last) return false;
      p = q + seg.length;
    }
    return true;
  };
}
