import { describe, expect, it } from 'vitest';
import {
  buildExplicitTreeRegressorModel,
  buildHiddenLayerModel,
  buildLinearClassifierModel,
  buildLinearRegressorModel,
  buildLogisticGraphModel,
  buildTreeEnsembleClassifierModel,
  buildTreeEnsembleRegressorModel,
  tailorMetadata,
} from '../../../test-utils/src/onnx-models';
import { isTailorError } from '../errors';
import { loadModel } from './load';
import { readOnnxModel } from './onnx-model';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function scorerOf(bytes: Uint8Array, outputColumn?: number) {
  const loaded = loadModel(bytes, { outputColumn });
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.scorer;
}

/** The coefficients and intercepts as written in the file, to compute expected scores independently. */
function linearAttributes(bytes: Uint8Array) {
  const read = readOnnxModel(bytes);
  if (!read.ok) throw new Error(read.error);
  const node = read.model.graph.nodes[0];
  return { w: node?.attributes.get('coefficients')?.floats ?? [], b: node?.attributes.get('intercepts')?.floats ?? [] };
}

describe('loadModel', () => {
  it('scores a logistic LinearClassifier as the positive-class probability', () => {
    const model = buildLinearClassifierModel({ seed: 7, features: 3, rows: 2 });
    const { w, b } = linearAttributes(model.bytes);
    const row = [0.5, -1.25, 2];
    const positive = row.reduce((sum, x, j) => sum + x * (w[3 + j] as number), b[1] as number);
    const [score] = scorerOf(model.bytes).score(Float32Array.from(row), 1);
    expect(score).toBeCloseTo(sigmoid(positive), 6);
    // Column 0 is the other class.
    expect(scorerOf(model.bytes, 0).score(Float32Array.from(row), 1)[0]).toBeCloseTo(1 - sigmoid(positive), 6);
  });

  it('scores MatMul + Add + Sigmoid and Gemm (alpha, beta, transB) + Sigmoid with the same arithmetic', () => {
    const matmul = buildLogisticGraphModel({ seed: 8, form: 'matmul', features: 3 });
    const gemm = buildLogisticGraphModel({ seed: 8, form: 'gemm', features: 3 });
    const read = readOnnxModel(gemm.bytes);
    if (!read.ok) throw new Error(read.error);
    const w = read.model.graph.initializers.get('weights')?.values ?? [];
    const bias = read.model.graph.initializers.get('bias')?.values?.[0] ?? 0;
    const row = [1, 2, -0.5];
    const product = row.reduce((sum, x, j) => sum + x * (w[j] as number), 0);
    expect(scorerOf(matmul.bytes).score(Float32Array.from(row), 1)[0]).toBeCloseTo(sigmoid(product + bias), 6);
    expect(scorerOf(gemm.bytes).score(Float32Array.from(row), 1)[0]).toBeCloseTo(sigmoid(0.5 * product + 2 * bias), 6);
  });

  it('names the evaluated chain, Scaler and ZipMap included', () => {
    const evaluator = (bytes: Uint8Array) => {
      const loaded = loadModel(bytes);
      return loaded.ok ? loaded.evaluator : loaded.error;
    };
    expect(evaluator(buildLogisticGraphModel({ seed: 1, form: 'matmul', scaler: true }).bytes)).toBe('Scaler → MatMul → Add → Sigmoid');
    expect(evaluator(buildLogisticGraphModel({ seed: 1, form: 'gemm' }).bytes)).toBe('Gemm → Sigmoid');
    expect(evaluator(buildLinearClassifierModel({ seed: 1, zipMap: true, labels: 'strings' }).bytes)).toBe('LinearClassifier');
    expect(evaluator(buildLinearRegressorModel({ seed: 1 }).bytes)).toBe('LinearRegressor');
    expect(evaluator(buildTreeEnsembleClassifierModel({ seed: 1 }).bytes)).toBe('TreeEnsembleClassifier');
    expect(evaluator(buildTreeEnsembleRegressorModel({ seed: 1 }).bytes)).toBe('TreeEnsembleRegressor');
  });

  it('walks trees: thresholds exactly, every branch mode, NaN to the tracked side, SUM plus the base value', () => {
    const model = buildExplicitTreeRegressorModel(
      [
        { id: 0, mode: 'BRANCH_LEQ', feature: 0, threshold: 1, trueId: 1, falseId: 2, missingTrue: true },
        { id: 1, mode: 'LEAF', weight: 10 },
        { id: 2, mode: 'BRANCH_EQ', feature: 1, threshold: 0.5, trueId: 3, falseId: 4 },
        { id: 3, mode: 'LEAF', weight: 20 },
        { id: 4, mode: 'LEAF', weight: 30 },
        { tree: 1, id: 0, mode: 'BRANCH_GT', feature: 1, threshold: 0, trueId: 1, falseId: 2 },
        { tree: 1, id: 1, mode: 'LEAF', weight: 1 },
        { tree: 1, id: 2, mode: 'LEAF', weight: 2 },
      ],
      { features: 2, baseValues: [100] },
    );
    const rows = Float32Array.of(1, 0, /**/ 1.5, 0.5, /**/ 1.5, 0.25, /**/ Number.NaN, Number.NaN, /**/ 2, Number.NaN);
    // x0 ≤ 1 → 10; else x1 == 0.5 → 20 / 30. Tree 1: x1 > 0 → 1 else 2 (NaN is not > 0, untracked: false side).
    expect(Array.from(scorerOf(model.bytes).score(rows, 5))).toEqual([112, 121, 131, 112, 132]);
  });

  it('aggregates trees with AVERAGE, MIN and MAX', () => {
    const nodes = [
      { id: 0, mode: 'LEAF', weight: 4 },
      { tree: 1, id: 0, mode: 'LEAF', weight: -2 },
      { tree: 2, id: 0, mode: 'LEAF', weight: 1 },
    ] as const;
    const score = (aggregate: 'AVERAGE' | 'MIN' | 'MAX') => scorerOf(buildExplicitTreeRegressorModel(nodes, { features: 1, aggregate }).bytes).score(Float32Array.of(0), 1)[0];
    expect(score('AVERAGE')).toBe(1);
    expect(score('MIN')).toBe(-2);
    expect(score('MAX')).toBe(4);
  });

  it('reads ModelInfo from metadata, with fallbacks to the graph name, model_version and f0…fn', () => {
    const withMetadata = scorerOf(buildLinearRegressorModel({ seed: 1, features: 2, metadata: { ...tailorMetadata('ltv', 2, '2026-11-01'), 'drift.bins': '[0,1]' } }).bytes);
    expect(withMetadata.model).toMatchObject({ id: 'ltv', version: '2026-11-01', featureNames: ['feature_0', 'feature_1'], task: 'regressor' });
    expect(withMetadata.model.metadata['drift.bins']).toBe('[0,1]');
    const bare = scorerOf(buildLinearRegressorModel({ seed: 1, features: 3, metadata: {} }).bytes);
    expect(bare.model).toMatchObject({ id: 'linear-regressor', version: '1', featureNames: ['f0', 'f1', 'f2'], task: 'regressor', metadata: {} });
    expect(scorerOf(buildTreeEnsembleClassifierModel({ seed: 1 }).bytes).model.task).toBe('classifier');
  });

  it('says which operator it does not run, so the caller can fall back to onnxruntime', () => {
    expect(loadModel(buildHiddenLayerModel({ seed: 1 }).bytes)).toEqual({
      ok: false,
      reason: 'unsupported',
      op: 'Relu',
      error: 'Relu follows the model operator; Tailor evaluates only linear and tree-ensemble graphs',
    });
    expect(loadModel(buildTreeEnsembleClassifierModel({ seed: 1, postTransform: 'PROBIT' }).bytes)).toMatchObject({ ok: false, reason: 'unsupported', op: 'TreeEnsembleClassifier' });
  });

  it('reports malformed models as invalid with the reason', () => {
    expect(loadModel(Uint8Array.of(1, 2, 3))).toMatchObject({ ok: false, reason: 'invalid' });
    const badNames = buildLinearRegressorModel({ seed: 1, features: 2, metadata: { 'tailor.feature_names': 'a,b' } });
    expect(loadModel(badNames.bytes)).toEqual({ ok: false, reason: 'invalid', error: 'metadata "tailor.feature_names" must be a JSON array of strings, got "a,b"' });
    const wrongCount = buildLinearRegressorModel({ seed: 1, features: 2, metadata: { 'tailor.feature_names': '["a","b","c"]' } });
    expect(loadModel(wrongCount.bytes)).toMatchObject({ ok: false, reason: 'invalid', error: 'metadata "tailor.feature_names" names 3 features but input "features" is 2 wide' });
    const cycle = buildExplicitTreeRegressorModel(
      [
        { id: 0, mode: 'BRANCH_LEQ', trueId: 1, falseId: 2 },
        { id: 1, mode: 'BRANCH_LEQ', trueId: 0, falseId: 2 },
        { id: 2, mode: 'LEAF', weight: 1 },
      ],
      { features: 1 },
    );
    expect(loadModel(cycle.bytes)).toEqual({ ok: false, reason: 'invalid', error: 'TreeEnsembleRegressor tree 0 loops back to node 0' });
    expect(loadModel(buildLinearClassifierModel({ seed: 1 }).bytes, { outputColumn: 2 })).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('throws a TailorError for a bad outputColumn option (a programmer mistake)', () => {
    expect(() => loadModel(new Uint8Array(0), { outputColumn: -1 })).toThrow(/"outputColumn" must be a non-negative integer/);
    let thrown: unknown;
    try {
      loadModel(new Uint8Array(0), { outputColumn: 0.5 });
    } catch (error) {
      thrown = error;
    }
    expect(isTailorError(thrown)).toBe(true);
  });

  it('scores NaN for rows the input does not hold, and nothing for a bad row count', () => {
    const scorer = scorerOf(buildLinearRegressorModel({ seed: 1, features: 2 }).bytes);
    const scores = scorer.score(Float32Array.of(1, 2, 3), 3);
    expect(scores).toHaveLength(3);
    expect(Number.isNaN(scores[0])).toBe(false);
    expect([scores[1], scores[2]]).toEqual([Number.NaN, Number.NaN]);
    expect(scorer.score(Float32Array.of(1, 2), -1)).toHaveLength(0);
    expect(scorer.score(Float32Array.of(1, 2), Number.NaN)).toHaveLength(0);
  });
});
