/**
 * Parses the timestamps of historical exports: ISO 8601 (with or without an offset), epoch seconds or
 * milliseconds, or a pattern such as `DD/MM/YYYY HH:mm` (tokens YYYY, MM, M, DD, D, HH, H, mm, ss, SSS; any
 * other character is literal). Times without an offset are read at `utcOffset` (default UTC). Never throws.
 */

export type TimestampFormat = 'iso' | 'epoch_ms' | 'epoch_s' | (string & {});

export type TimestampParser = (value: unknown) => { readonly ok: true; readonly ms: number } | { readonly ok: false; readonly reason: string };

const TOKENS: ReadonlyArray<readonly [string, string, string]> = [
  ['YYYY', '(\\d{4})', 'year'],
  ['SSS', '(\\d{3})', 'millisecond'],
  ['MM', '(\\d{2})', 'month'],
  ['DD', '(\\d{2})', 'day'],
  ['HH', '(\\d{2})', 'hour'],
  ['mm', '(\\d{2})', 'minute'],
  ['ss', '(\\d{2})', 'second'],
  ['M', '(\\d{1,2})', 'month'],
  ['D', '(\\d{1,2})', 'day'],
  ['H', '(\\d{1,2})', 'hour'],
];

const ISO_WITH_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?$/;

/** `+01:00`, `-0530`, `Z` → minutes east of UTC; undefined when malformed. */
export function parseUtcOffset(text: string): number | undefined {
  if (/^z$/i.test(text)) return 0;
  const match = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!match) return undefined;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  return minutes > 14 * 60 || Number(match[3]) > 59 ? undefined : (match[1] === '-' ? -1 : 1) * minutes;
}

/**
 * Builds the parser for one format; returns a string (what is wrong) for a pattern without a year, month
 * and day, or a malformed offset.
 *
 * @example
 * const parse = createTimestampParser('DD/MM/YYYY HH:mm', '+01:00');
 * typeof parse !== 'string' && parse('05/01/2026 10:30'); // { ok: true, ms: Date.UTC(2026, 0, 5, 9, 30) }
 */
export function createTimestampParser(format: TimestampFormat = 'iso', utcOffset = 'Z'): TimestampParser | string {
  const offsetMinutes = parseUtcOffset(utcOffset);
  if (offsetMinutes === undefined) return `utcOffset must look like "+01:00", "-0500" or "Z", got ${JSON.stringify(utcOffset)}`;
  const offsetMs = offsetMinutes * 60_000;
  if (format === 'epoch_ms' || format === 'epoch_s') {
    const scale = format === 'epoch_s' ? 1000 : 1;
    return (value) => {
      const number = typeof value === 'number' ? value : typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
      return Number.isFinite(number) ? { ok: true, ms: Math.round(number * scale) } : { ok: false, reason: `${describe(value)} is not an epoch time in ${format === 'epoch_s' ? 'seconds' : 'milliseconds'}` };
    };
  }
  if (format === 'iso') {
    return (value) => {
      if (typeof value !== 'string') return { ok: false, reason: `${describe(value)} is not an ISO 8601 time` };
      const text = value.trim();
      if (ISO_WITH_OFFSET.test(text)) {
        const ms = Date.parse(text);
        return Number.isNaN(ms) ? { ok: false, reason: `${describe(value)} is not an ISO 8601 time` } : { ok: true, ms };
      }
      // Date.parse reads an ISO time without offset in the machine's zone: read it as UTC, then shift.
      if (!ISO_DATE_TIME.test(text)) return { ok: false, reason: `${describe(value)} is not an ISO 8601 time` };
      const ms = Date.parse(`${text.replace(' ', 'T')}${text.length === 10 ? 'T00:00:00' : ''}Z`);
      return Number.isNaN(ms) ? { ok: false, reason: `${describe(value)} is not a valid date` } : { ok: true, ms: ms - offsetMs };
    };
  }
  return createPatternParser(format, offsetMs);
}

function createPatternParser(pattern: string, offsetMs: number): TimestampParser | string {
  let source = '';
  const fields: string[] = [];
  for (let i = 0; i < pattern.length; ) {
    const token = TOKENS.find(([name]) => pattern.startsWith(name, i));
    if (token) {
      source += token[1];
      fields.push(token[2]);
      i += token[0].length;
    } else {
      source += (pattern[i] as string).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  for (const needed of ['year', 'month', 'day']) {
    if (!fields.includes(needed)) return `timestamp format ${JSON.stringify(pattern)} has no ${needed} (use YYYY, MM and DD), or use "iso", "epoch_ms" or "epoch_s"`;
  }
  const regex = new RegExp(`^${source}$`);
  return (value) => {
    const text = typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : undefined;
    const match = text === undefined ? null : regex.exec(text);
    if (!match) return { ok: false, reason: `${describe(value)} does not match the format ${JSON.stringify(pattern)}` };
    const part: Record<string, number> = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 };
    fields.forEach((name, k) => (part[name] = Number(match[k + 1])));
    const { year, month, day, hour, minute, second, millisecond } = part as Record<string, number>;
    const utc = Date.UTC(year as number, (month as number) - 1, day, hour, minute, second, millisecond);
    const check = new Date(utc);
    if (check.getUTCMonth() !== (month as number) - 1 || check.getUTCDate() !== day || (hour as number) > 23 || (minute as number) > 59 || (second as number) > 59) {
      return { ok: false, reason: `${describe(value)} is not a valid date and time` };
    }
    return { ok: true, ms: utc - offsetMs };
  };
}

function describe(value: unknown): string {
  if (value === undefined) return 'an empty value';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
