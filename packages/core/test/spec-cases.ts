import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface ExpectedIssue {
  readonly index?: number;
  readonly path: string;
  readonly code: string;
}

export interface EventCase {
  readonly name: string;
  readonly valid: boolean;
  readonly event?: unknown;
  readonly batch?: readonly unknown[];
  readonly accepted?: readonly number[];
  readonly issues?: readonly ExpectedIssue[];
}

export interface EventCaseFile {
  readonly file: string;
  readonly version: number;
  readonly cases: readonly EventCase[];
}

const SPEC_DIR = fileURLToPath(new URL('../../../spec/events/', import.meta.url));

function expand(value: unknown): unknown {
  if (typeof value === 'string') {
    const match = /^@repeat:(.):(\d+)$/.exec(value);
    return match ? (match[1] as string).repeat(Number(match[2])) : value;
  }
  if (Array.isArray(value)) return value.map(expand);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, expand(inner)]));
  }
  return value;
}

/** Every `spec/events/*.json` file, with `@repeat:` markers expanded. */
export function loadEventCases(): EventCaseFile[] {
  return readdirSync(SPEC_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((file) => {
      const parsed = JSON.parse(readFileSync(SPEC_DIR + file, 'utf8')) as { spec: string; version: number; cases: EventCase[] };
      if (parsed.spec !== 'tailor/events') throw new Error(`${file}: "spec" must be "tailor/events"`);
      return { file, version: parsed.version, cases: parsed.cases.map((c) => expand(c) as EventCase) };
    });
}
