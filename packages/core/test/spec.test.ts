import { describe, expect, it } from 'vitest';
import { createEventValidator, defineTrackingPlan, type EventIssue } from '../src/index';
import { loadEventCases, type EventCase } from './spec-cases';

const files = loadEventCases();

function check(validator: ReturnType<typeof createEventValidator>, testCase: EventCase): void {
  const inputs = testCase.batch ?? [testCase.event];
  const result = validator.validateBatch(inputs);
  const errors = result.issues.filter((issue) => issue.severity === 'error');
  if (testCase.valid) {
    expect(errors, 'no errors expected').toEqual([]);
    expect(result.indexes).toEqual(inputs.map((_, index) => index));
    return;
  }
  expect(errors.length, 'at least one error expected').toBeGreaterThan(0);
  for (const expected of testCase.issues ?? []) {
    const found = errors.find(
      (issue: EventIssue) => issue.index === (expected.index ?? 0) && issue.path === expected.path && issue.code === expected.code,
    );
    expect(found, `expected issue ${JSON.stringify(expected)} among ${JSON.stringify(errors.map(({ index, path, code }) => ({ index, path, code })))}`).toBeDefined();
    expect(found?.message.length).toBeGreaterThan(0);
  }
  if (testCase.accepted) expect(result.indexes).toEqual(testCase.accepted);
}

describe.each([
  ['compiled', true],
  ['interpreted', false],
])('spec/events with %s schemas', (_label, compile) => {
  // Both paths must agree: z.compile is an optimisation, never a change in what is accepted.
  const validator = createEventValidator({ plan: defineTrackingPlan({ name: 'tailor-retail', compile }) });
  for (const file of files) {
    describe(file.file, () => {
      it('has cases', () => expect(file.cases.length).toBeGreaterThan(0));
      for (const testCase of file.cases) it(testCase.name, () => check(validator, testCase));
    });
  }
});
