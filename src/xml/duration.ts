/**
 * xs:duration as WS-Management uses it (OperationTimeout, Expires, MaxTime): a length of time in
 * milliseconds, with a year of 365 days and a month of 30 (DSP0226 leaves the calendar out).
 */

/** xs:duration → milliseconds; undefined when not a valid non-negative duration. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const ms =
    (Number(y ?? 0) * 365 + Number(mo ?? 0) * 30 + Number(d ?? 0)) * 86_400_000 +
    Number(h ?? 0) * 3_600_000 +
    Number(mi ?? 0) * 60_000 +
    Math.round(Number(s ?? 0) * 1000);
  return Number.isFinite(ms) ? ms : undefined;
}
