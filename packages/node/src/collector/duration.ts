const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Reads a duration written for people: `250ms`, `30s`, `15m`, `24h`, `7d`, or a number of milliseconds.
 * Returns undefined for anything else, so config validation can say what was wrong.
 */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[match[2] as string] as number);
}
