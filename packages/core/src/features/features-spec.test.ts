import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  applyEvent,
  createFeatureState,
  foldFeatures,
  parseFeatureSpec,
  readFeatures,
  type FeatureEvent,
  type FeatureSpec,
} from './index';

/** Runs every `spec/features/*.json` case file (format: spec/features/README.md). */
const SPEC_DIR = fileURLToPath(new URL('../../../../spec/features/', import.meta.url));

interface FeatureCase {
  readonly name: string;
  readonly spec?: Record<string, unknown>;
  readonly mode?: 'apply' | 'fold';
  readonly events: FeatureEvent[];
  readonly at: string;
  readonly expect: Record<string, number>;
  readonly absent?: string[];
  readonly tolerance?: number;
}

interface SpecFile {
  readonly spec: string;
  readonly version: number;
  readonly cases: FeatureCase[];
}

const files = readdirSync(SPEC_DIR)
  .filter((name) => name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(SPEC_DIR + name, 'utf8')) as SpecFile)
  .filter((file) => file.spec === 'features/retail');

function specOf(testCase: FeatureCase): FeatureSpec {
  const parsed = parseFeatureSpec(testCase.spec ?? {});
  if (!parsed.ok) throw new Error(`${testCase.name}: invalid spec ${JSON.stringify(parsed.issues)}`);
  return parsed.spec;
}

describe('spec/features retail cases', () => {
  it('finds the case files', () => expect(files.map((file) => file.version)).toContain(1));
  for (const file of files) {
    describe(`v${file.version}`, () => {
      it.each(file.cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
        const spec = specOf(testCase);
        const at = Date.parse(testCase.at);
        let values: Readonly<Record<string, number>>;
        if (testCase.mode === 'fold') {
          values = foldFeatures(testCase.events, spec, at);
        } else {
          const state = createFeatureState(spec);
          for (const event of testCase.events) applyEvent(state, event, spec);
          values = readFeatures(state, spec, at);
        }
        const tolerance = testCase.tolerance ?? 1e-9;
        for (const [name, expected] of Object.entries(testCase.expect)) {
          expect(values, `${name} is missing`).toHaveProperty([name]);
          if (Math.abs(values[name]! - expected) > tolerance) expect.fail(`${name}: got ${values[name]}, expected ${expected} ± ${tolerance}`);
        }
        for (const name of testCase.absent ?? []) expect(values, `${name} should be absent`).not.toHaveProperty([name]);
      });
    });
  }
});
