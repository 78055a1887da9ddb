import { describe, expect, it } from 'vitest';
import {
  buildExplicitTreeRegressorModel,
  buildHiddenLayerModel,
  buildLinearClassifierModel,
  buildLogisticGraphModel,
  buildTreeEnsembleClassifierModel,
  generateRows,
  tailorMetadata,
} from '../../../test-utils/src/onnx-models';
import { EVALUATOR_CASES, type EvaluatorCase } from '../../../test-utils/src/onnx-cases';
import { COMPACT_MODEL_FORMAT, loadCompactModel, type CompactModel, type CompactTreeRegressor } from './compact-model';
import { loadModel, toCompactModel } from './load';

const ROWS = 1000;

/** A tree listed out of preorder, in two trees: the compact form reorders the nodes. */
const UNORDERED_TREES = buildExplicitTreeRegressorModel(
  [
    { id: 0, mode: 'BRANCH_LEQ', feature: 0, threshold: 1, trueId: 3, falseId: 1, missingTrue: true },
    { id: 1, mode: 'BRANCH_NEQ', feature: 1, threshold: 0.5, trueId: 4, falseId: 2 },
    { id: 2, mode: 'LEAF', weight: 30 },
    { id: 3, mode: 'LEAF', weight: 10 },
    { id: 4, mode: 'LEAF', weight: 20 },
    { tree: 1, id: 0, mode: 'LEAF', weight: 0.25 },
  ],
  { features: 2, baseValues: [100], metadata: tailorMetadata('explicit', 2) },
);

/** Every form the compact model expresses: the evaluators' shared cases, and layouts only the compact form reorders or relabels. */
const CASES: readonly EvaluatorCase[] = [
  ...EVALUATOR_CASES,
  { model: buildLinearClassifierModel({ seed: 112, rows: 2, postTransform: 'LOGISTIC', zipMap: true, labels: 'strings' }) },
  { model: buildLinearClassifierModel({ seed: 115, rows: 3, postTransform: 'SOFTMAX_ZERO' }), outputColumn: 0 },
  { model: buildLogisticGraphModel({ seed: 119, form: 'matmul', sigmoid: false }) },
  { model: buildTreeEnsembleClassifierModel({ seed: 126, trees: 8, depth: 4, weights: 'both', postTransform: 'NONE', labels: 'strings', zipMap: true }) },
  { model: buildTreeEnsembleClassifierModel({ seed: 129, trees: 10, depth: 5, missingTracksTrue: false }) },
  { model: UNORDERED_TREES },
];

/** The compact model as a device receives it: serialized by the collector, parsed from the response. */
function overTheWire(bytes: Uint8Array, outputColumn?: number): unknown {
  const converted = toCompactModel(bytes, { outputColumn });
  if (!converted.ok) throw new Error(converted.error);
  return JSON.parse(JSON.stringify(converted.model));
}

describe('compact models against the ONNX evaluator (differential)', () => {
  it.each(CASES.map((entry) => [entry.model.name, entry] as const))('%s scores the same on 1,000 rows', (_, { model, outputColumn, constant }) => {
    const onnx = loadModel(model.bytes, { outputColumn });
    const compact = loadCompactModel(overTheWire(model.bytes, outputColumn));
    if (!onnx.ok) throw new Error(onnx.error);
    if (!compact.ok) throw new Error(compact.error);
    expect(compact.scorer.model).toEqual(onnx.scorer.model);
    expect(compact.evaluator).toBe(onnx.evaluator);
    const rows = generateRows(model, ROWS, 7, { edge: 0.3, missing: 0.05, large: 0.02 });
    const expected = onnx.scorer.score(rows, ROWS);
    const actual = compact.scorer.score(rows, ROWS);
    let worst = 0;
    for (let i = 0; i < ROWS; i++) {
      const [a, b] = [actual[i] as number, expected[i] as number];
      expect(Number.isNaN(a)).toBe(Number.isNaN(b));
      if (!Number.isNaN(a)) worst = Math.max(worst, Math.abs(a - b));
    }
    expect(worst).toBeLessThanOrEqual(1e-6);
    // Not merely close: both run the same arithmetic on the same float32 values.
    expect(worst).toBe(0);
    // Scores must vary, or the comparison proves little.
    expect(new Set(expected).size).toBeGreaterThan(constant === true ? 0 : 1);
  });

  it('puts tree nodes in preorder, so a device can check that every walk ends', () => {
    const compact = overTheWire(UNORDERED_TREES.bytes) as CompactModel;
    const trees = compact.model as CompactTreeRegressor;
    expect(trees.roots).toEqual([0, 5]);
    expect(trees.feature).toEqual([0, -1, 1, -1, -1, -1]);
    expect(trees.trueChild.slice(0, 3)).toEqual([1, 0, 3]);
    expect(trees.falseChild.slice(0, 3)).toEqual([2, 0, 4]);
    expect(trees.leafStart.map((start, i) => (trees.feature[i] === -1 ? trees.leafValue[start] : undefined))).toEqual([undefined, 10, undefined, 20, 30, 0.25]);
  });

  it('leaves graphs it cannot express to onnxruntime, with the operator', () => {
    expect(toCompactModel(buildHiddenLayerModel({ seed: 1 }).bytes)).toMatchObject({ ok: false, reason: 'unsupported', op: 'Relu' });
    expect(toCompactModel(Uint8Array.of(1, 2, 3))).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('refuses numbers JSON cannot carry', () => {
    const model = buildExplicitTreeRegressorModel(
      [
        { id: 0, mode: 'BRANCH_LEQ', feature: 0, threshold: Number.POSITIVE_INFINITY, trueId: 1, falseId: 2 },
        { id: 1, mode: 'LEAF', weight: 1 },
        { id: 2, mode: 'LEAF', weight: 2 },
      ],
      { features: 1 },
    );
    expect(loadModel(model.bytes).ok).toBe(true);
    expect(toCompactModel(model.bytes)).toMatchObject({ ok: false, reason: 'unsupported', op: 'non-finite number' });
  });
});

describe('loadCompactModel', () => {
  const linear = overTheWire(buildLinearClassifierModel({ seed: 3, features: 3 }).bytes) as CompactModel;
  const trees = overTheWire(buildTreeEnsembleClassifierModel({ seed: 4, trees: 3, depth: 3 }).bytes) as CompactModel;

  it('refuses other formats and shapes with a reason instead of throwing', () => {
    expect(loadCompactModel(undefined)).toMatchObject({ ok: false, reason: 'invalid', error: expect.stringContaining(COMPACT_MODEL_FORMAT) });
    expect(loadCompactModel({ ...linear, format: 'tailor.compact-model/2' })).toMatchObject({ ok: false });
    expect(loadCompactModel({ ...linear, column: 2 })).toMatchObject({ ok: false, error: expect.stringContaining('column 2') });
    expect(loadCompactModel({ ...linear, model: { ...linear.model, weights: [1] } })).toMatchObject({ ok: false });
    expect(loadCompactModel({ ...linear, info: { ...linear.info, featureNames: [] } })).toMatchObject({ ok: false });
    expect(loadCompactModel({ ...linear, preprocess: [{ op: 'normalizer', norm: 'L3' }] })).toMatchObject({ ok: false, error: expect.stringContaining('L3') });
    expect(loadCompactModel({ ...linear, model: { kind: 'neural' } })).toMatchObject({ ok: false, error: expect.stringContaining('neural') });
  });

  it('refuses trees whose walk could loop or read outside the row', () => {
    const spec = trees.model as CompactTreeRegressor;
    const loop = { ...spec, trueChild: spec.trueChild.map((child, i) => (i === 0 ? 0 : child)) };
    expect(loadCompactModel({ ...trees, model: loop })).toMatchObject({ ok: false, error: expect.stringContaining('preorder') });
    const outside = { ...spec, feature: spec.feature.map((id, i) => (i === 0 ? 99 : id)) };
    expect(loadCompactModel({ ...trees, model: outside })).toMatchObject({ ok: false });
  });

  it('never throws or hangs on corrupted payloads, and what it accepts scores without throwing', () => {
    // Every field and array element of both payloads, replaced in turn by each of these values.
    const replacements: unknown[] = [undefined, null, -1, 0, 1e9, Number.NaN, 'x', [], {}, [5, -3]];
    const paths = (value: unknown, at: readonly string[] = []): string[][] =>
      value !== null && typeof value === 'object' ? Object.entries(value).flatMap(([key, child]) => [[...at, key], ...paths(child, [...at, key])]) : [];
    let accepted = 0;
    let refused = 0;
    for (const payload of [linear, trees]) {
      for (const path of paths(payload)) {
        for (const replacement of replacements) {
          const copy = JSON.parse(JSON.stringify(payload)) as Record<string, unknown>;
          let parent = copy;
          for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
          parent[path[path.length - 1] as string] = replacement;
          const loaded = loadCompactModel(copy);
          if (loaded.ok) {
            expect(loaded.scorer.score(new Float32Array(18).fill(0.5), 3)).toHaveLength(3);
            accepted++;
          } else {
            expect(loaded.error.length).toBeGreaterThan(0);
            refused++;
          }
        }
      }
    }
    expect(accepted).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
