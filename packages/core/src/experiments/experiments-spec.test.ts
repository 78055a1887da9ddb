import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  assignExperiments,
  chooseVariation,
  fnv1a32,
  getBucket,
  getBucketRanges,
  isInNamespace,
  parseExperiments,
  parseHoldout,
  type AssignExperimentsOptions,
  type NamespaceRange,
  type StickyAssignments,
  type VariationRange,
} from './index';

/** Runs every `spec/experiments/*.json` case file (formats: spec/experiments/README.md). */
const SPEC_DIR = fileURLToPath(new URL('../../../../spec/experiments/', import.meta.url));

interface SpecFile<T> {
  readonly spec: string;
  readonly version: number;
  readonly cases: T[];
}

interface HashingCase {
  readonly name: string;
  readonly call: 'getBucket' | 'fnv1a32' | 'getBucketRanges' | 'chooseVariation' | 'isInNamespace';
  readonly args: unknown[];
  readonly expect: unknown;
}

interface AssignmentCase {
  readonly name: string;
  readonly experiments: unknown[];
  readonly units: Record<string, string>;
  readonly options?: { sticky?: StickyAssignments; holdout?: unknown; forced?: Record<string, number>; matches?: boolean };
  readonly expect: Record<string, unknown>[];
  readonly stickyAfter?: StickyAssignments;
}

function loadSpecs<T>(spec: string): SpecFile<T>[] {
  return readdirSync(SPEC_DIR)
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(SPEC_DIR + name, 'utf8')) as SpecFile<T>)
    .filter((file) => file.spec === spec);
}

function call(testCase: HashingCase): unknown {
  const args = testCase.args;
  switch (testCase.call) {
    case 'getBucket':
      return getBucket(args[0] as string, args[1] as string, args[2] as number);
    case 'fnv1a32':
      return fnv1a32(args[0] as string);
    case 'getBucketRanges':
      return getBucketRanges(args[0] as number, args[1] as number, (args[2] ?? undefined) as number[] | undefined);
    case 'chooseVariation':
      return chooseVariation(args[0] as number, args[1] as VariationRange[]);
    case 'isInNamespace':
      return isInNamespace(args[0] as string, args[1] as NamespaceRange);
  }
}

/** Numbers within 1e-9 (bucket ranges are sums of floats), everything else exactly. */
function expectClose(actual: unknown, expected: unknown): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected)).toBeLessThan(1e-9);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual) && actual.length).toBe(expected.length);
    expected.forEach((item, index) => expectClose((actual as unknown[])[index], item));
  } else {
    expect(actual).toEqual(expected);
  }
}

describe('spec/experiments hashing cases', () => {
  const files = loadSpecs<HashingCase>('experiments/hashing');
  it('finds the case files', () => expect(files.map((file) => file.version)).toContain(1));
  for (const file of files) {
    describe(`v${file.version}`, () => {
      it.each(file.cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
        expectClose(call(testCase), testCase.expect);
      });
    });
  }
});

describe('spec/experiments assignment cases', () => {
  const files = loadSpecs<AssignmentCase>('experiments/assignment');
  it('finds the case files', () => expect(files.map((file) => file.version)).toContain(1));
  for (const file of files) {
    describe(`v${file.version}`, () => {
      it.each(file.cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
        const { experiments, issues } = parseExperiments(testCase.experiments);
        expect(issues).toEqual([]);
        const given = testCase.options ?? {};
        const sticky = given.sticky === undefined ? undefined : structuredClone(given.sticky);
        let holdout: AssignExperimentsOptions['holdout'];
        if (given.holdout !== undefined) {
          const parsed = parseHoldout(given.holdout);
          expect(parsed.ok).toBe(true);
          if (parsed.ok) holdout = parsed.holdout;
        }
        const answer = given.matches;
        const options: AssignExperimentsOptions = {
          ...(sticky === undefined ? {} : { sticky }),
          ...(holdout === undefined ? {} : { holdout }),
          ...(given.forced === undefined ? {} : { forced: given.forced }),
          ...(answer === undefined ? {} : { matches: () => answer, doc: {} }),
        };
        const assignments = assignExperiments(experiments, testCase.units, options);
        expect(assignments).toHaveLength(testCase.expect.length);
        testCase.expect.forEach((expected, index) => expect(assignments[index]).toMatchObject(expected));
        if (testCase.stickyAfter !== undefined) expect(sticky).toEqual(testCase.stickyAfter);
      });
    });
  }
});
