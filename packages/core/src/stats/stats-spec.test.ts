import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { auc, compareMeans, conversionEstimate, psi, psiFromProportions, srmTest, toMeanEstimate, type MeanEstimate, type ReferenceBins } from './index';

/** Runs every `spec/stats/*.json` case file (format: spec/stats/README.md). */
const SPEC_DIR = fileURLToPath(new URL('../../../../spec/stats/', import.meta.url));

interface SpecCase {
  readonly name: string;
  readonly call: 'psiFromProportions' | 'psi' | 'srmTest' | 'auc' | 'compareMeans';
  readonly args: unknown[];
  readonly expect: unknown;
  readonly tolerance: number;
}

interface SpecFile {
  readonly spec: string;
  readonly version: number;
  readonly cases: SpecCase[];
}

type Group = { n: number; conversions: number } | { n: number; sum: number; sumSquares: number };

const files = readdirSync(SPEC_DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => ({ name, file: JSON.parse(readFileSync(SPEC_DIR + name, 'utf8')) as SpecFile }));

/** JSON has no NaN: null stands for a missing value in inputs and for an undefined result. */
const fromJson = (values: (number | null)[]): number[] => values.map((v) => (v === null ? Number.NaN : v));
const toJson = (value: number): number | null => (Number.isNaN(value) ? null : value);

function toEstimate(group: Group): MeanEstimate {
  return 'conversions' in group ? conversionEstimate(group.n, group.conversions) : toMeanEstimate(group);
}

function call(testCase: SpecCase): unknown {
  const args = testCase.args;
  switch (testCase.call) {
    case 'psiFromProportions':
      return psiFromProportions(args[0] as number[], args[1] as number[], args[2] as number | undefined);
    case 'psi':
      return psi(args[0] as ReferenceBins, fromJson(args[1] as (number | null)[]));
    case 'srmTest': {
      const result = srmTest(args[0] as number[], (args[1] ?? undefined) as number[] | undefined, (args[2] ?? {}) as { threshold?: number });
      return { chiSquare: result.chiSquare, pValue: result.pValue, mismatch: result.mismatch };
    }
    case 'auc':
      return toJson(auc(args[0] as number[], args[1] as number[], args[2] === undefined ? {} : { weights: args[2] as number[] }));
    case 'compareMeans': {
      const result = compareMeans(toEstimate(args[0] as Group), toEstimate(args[1] as Group), args[2] as { confidence?: number });
      if (!result.ok) return { reason: result.reason };
      const { estimate, standardError, lower, upper } = result.relative;
      return {
        relative: { estimate, standardError, lower, upper },
        absolute: { estimate: result.absolute.estimate, standardError: result.absolute.standardError },
        pValue: result.pValue,
      };
    }
  }
}

/** Numbers compare within tolerance · max(1, |expected|); everything else must be equal. */
function expectClose(actual: unknown, expected: unknown, tolerance: number, path: string): void {
  if (typeof expected === 'number') {
    expect(typeof actual, path).toBe('number');
    expect(Math.abs((actual as number) - expected), `${path}: ${String(actual)} vs ${expected}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected)));
  } else if (expected !== null && typeof expected === 'object') {
    expect(Object.keys(actual as object).sort(), path).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[key], value, tolerance, `${path}.${key}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe('spec/stats', () => {
  it('holds the four contracts', () => {
    expect(files.map(({ file }) => file.spec).sort()).toEqual(['stats/auc', 'stats/lift', 'stats/psi', 'stats/srm']);
  });

  for (const { name, file } of files) {
    describe(`${name} (${file.spec} v${file.version})`, () => {
      for (const testCase of file.cases) {
        it(testCase.name, () => expectClose(call(testCase), testCase.expect, testCase.tolerance, testCase.call));
      }
    });
  }
});
