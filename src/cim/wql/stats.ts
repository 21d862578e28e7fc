/**
 * Work counters for the WQL pipeline. They exist so tests (and the metrics endpoint, if it wants)
 * can prove the hot path does no parsing: evaluating a compiled query over any number of instances
 * must leave `lexed`, `parsed`, `compiled` and `likePatterns` unchanged.
 */
export interface WqlStats {
  /** texts tokenised */
  lexed: number;
  /** statements parsed */
  parsed: number;
  /** SELECT statements bound to a schema and compiled to a predicate */
  compiled: number;
  /** LIKE patterns compiled to matchers */
  likePatterns: number;
}

export const stats: WqlStats = { lexed: 0, parsed: 0, compiled: 0, likePatterns: 0 };

/** A copy of the counters (so callers can diff two snapshots). */
export function wqlStats(): Readonly<WqlStats> {
  return { ...stats };
}
