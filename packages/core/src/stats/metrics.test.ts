import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTailorError } from '../errors';
import { auc, brierScore, evaluateClassifier, expectedCalibrationError, gainsTable, liftAtTop, logLoss, reliabilityTable } from './metrics';

// 12 rows with tied scores across classes (0.4 and 0.1 appear in both).
const TIE_LABELS = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 1];
const TIE_SCORES = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4, 0.2, 0.9, 0.1, 0.55, 0.3, 0.7];

// Probabilities including the exact 0 and 1 that log loss must clip.
const LABELS = [1, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 1];
const PROBS = [0.9, 0.2, 0.6, 0.99, 0.05, 0.5, 0.3, 0.7, 0.1, 0.45, 0.0, 1.0];

/** The definition, pair by pair: P(score₊ > score₋) + ½ P(tie). */
function pairwiseAuc(labels: readonly number[], scores: readonly number[], weights?: readonly number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < labels.length; i++) {
    for (let j = 0; j < labels.length; j++) {
      if (labels[i] !== 1 || labels[j] !== 0) continue;
      const w = (weights?.[i] ?? 1) * (weights?.[j] ?? 1);
      pairs += w;
      const a = scores[i] as number;
      const b = scores[j] as number;
      wins += w * (a > b ? 1 : a === b ? 0.5 : 0);
    }
  }
  return wins / pairs;
}

const rows = fc
  .array(fc.tuple(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 20 }).map((k) => k / 20), fc.integer({ min: 1, max: 4 })), { minLength: 2, maxLength: 60 })
  .filter((r) => r.some(([y]) => y === 1) && r.some(([y]) => y === 0));

describe('auc', () => {
  it('equals scipy mannwhitneyu U / (n₊ n₋) with ties', () => {
    // scipy.stats.mannwhitneyu(scores[y==1], scores[y==0]).statistic / (6 * 6) = 0.7083333333333334
    expect(auc(TIE_LABELS, TIE_SCORES)).toBeCloseTo(0.7083333333333334, 15);
  });

  it('is 1 for a perfect ranking, 0 for a reversed one, ½ for constant scores, NaN with one class', () => {
    expect(auc([0, 0, 1], [0.1, 0.2, 0.3])).toBe(1);
    expect(auc([1, 0, 0], [0.9, 0.95, 0.99])).toBe(0);
    expect(auc([1, 0, 1, 0], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(auc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(auc([1, 0], [Number.NaN, 0.3])).toBeNaN();
    expect(auc([1, 2], [0.2, 0.3])).toBeNaN();
  });

  it('equals the pairwise definition, weighted or not, and weights act as repeated rows', () => {
    fc.assert(
      fc.property(rows, (data) => {
        const labels = data.map(([y]) => y);
        const scores = data.map(([, s]) => s);
        const weights = data.map(([, , w]) => w);
        expect(auc(labels, scores)).toBeCloseTo(pairwiseAuc(labels, scores), 12);
        expect(auc(labels, scores, { weights })).toBeCloseTo(pairwiseAuc(labels, scores, weights), 12);
        const repeated = data.flatMap(([y, s, w]) => Array.from({ length: w }, () => [y, s] as const));
        expect(auc(labels, scores, { weights })).toBeCloseTo(auc(repeated.map(([y]) => y), repeated.map(([, s]) => s)), 12);
      }),
    );
  });

  it('flips to 1 − AUC when scores are negated and ignores monotone transforms', () => {
    fc.assert(
      fc.property(rows, (data) => {
        const labels = data.map(([y]) => y);
        const scores = data.map(([, s]) => s);
        expect(auc(labels, scores.map((s) => -s))).toBeCloseTo(1 - auc(labels, scores), 12);
        expect(auc(labels, scores.map((s) => Math.exp(3 * s) - 7))).toBeCloseTo(auc(labels, scores), 12);
      }),
    );
  });

  it('throws an actionable error on arrays of different lengths', () => {
    try {
      auc([0, 1], [0.5]);
      expect.unreachable();
    } catch (error) {
      expect(isTailorError(error)).toBe(true);
      expect((error as Error).message).toBe('[tailor] auc: "scores" has 1 values but "labels" has 2; pass one per row');
    }
  });
});

describe('log loss and Brier', () => {
  it('match numpy on probabilities that include 0 and 1 (clipped at 1e-15)', () => {
    // numpy: -mean(y·ln(clip(p)) + (1−y)·ln(1 − clip(p))) with clip to [1e-15, 1 − 1e-15]; mean((p − y)²)
    expect(logLoss(LABELS, PROBS)).toBeCloseTo(0.4339660402638464, 14);
    expect(brierScore(LABELS, PROBS)).toBeCloseTo(0.137925, 15);
  });

  it('charge −ln ε for a confident mistake and follow the textbook on small cases', () => {
    expect(logLoss([1], [0])).toBeCloseTo(-Math.log(1e-15), 12);
    expect(logLoss([1], [0], { epsilon: 1e-3 })).toBeCloseTo(-Math.log(1e-3), 12);
    expect(logLoss([1, 0], [0.8, 0.1])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.9)) / 2, 15);
    expect(brierScore([1, 0], [0.8, 0.1])).toBeCloseTo(0.025, 15);
    expect(logLoss([1, 0], [0.8, 1.2])).toBeNaN();
  });

  it('weights are a weighted mean', () => {
    expect(logLoss([1, 0], [0.8, 0.1], { weights: [3, 1] })).toBeCloseTo(-(3 * Math.log(0.8) + Math.log(0.9)) / 4, 15);
    expect(brierScore([1, 0], [0.8, 0.1], { weights: [3, 1] })).toBeCloseTo((3 * 0.04 + 0.01) / 4, 15);
  });
});

describe('calibration: ECE and reliability table', () => {
  it('ECE with 5 bins matches numpy', () => {
    // numpy: bins = min(floor(p·5), 4); Σ n_b/n · |mean(y_b) − mean(p_b)| = 0.25916666666666666
    expect(expectedCalibrationError(LABELS, PROBS, { bins: 5 })).toBeCloseTo(0.25916666666666666, 15);
  });

  it('the reliability table has one row per bin, nulls for empty bins, and p = 1 in the last bin', () => {
    const table = reliabilityTable([0, 1, 1], [0.05, 0.15, 1], { bins: 4 });
    expect(table).toEqual([
      { lower: 0, upper: 0.25, count: 2, meanPredicted: 0.1, observedRate: 0.5 },
      { lower: 0.25, upper: 0.5, count: 0, meanPredicted: null, observedRate: null },
      { lower: 0.5, upper: 0.75, count: 0, meanPredicted: null, observedRate: null },
      { lower: 0.75, upper: 1, count: 1, meanPredicted: 1, observedRate: 1 },
    ]);
    expect(expectedCalibrationError([0, 1, 1], [0.05, 0.15, 1], { bins: 4 })).toBeCloseTo((2 * 0.4) / 3, 15);
  });

  it('a perfectly calibrated model has ECE 0', () => {
    const labels = [1, 0, 0, 0, 1, 1, 1, 0];
    const probs = [0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75];
    expect(expectedCalibrationError(labels, probs)).toBe(0);
  });
});

describe('lift and gains', () => {
  it('takes the top rows by score', () => {
    const labels = [1, 0, 1, 0, 0, 0, 0, 0, 0, 0];
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0];
    expect(liftAtTop(labels, scores, 0.2)).toEqual({ fraction: 0.2, count: 2, positives: 1, rate: 0.5, baseRate: 0.2, lift: 2.5, gain: 0.5 });
    expect(liftAtTop(labels, scores, 1)).toMatchObject({ count: 10, positives: 2, lift: 1, gain: 1 });
  });

  it('credits ties at the cut pro rata, whatever their row order', () => {
    // Top 50% of 4 rows: the 0.9 row, then one of the three rows tied at 0.5, one of which is positive.
    const point = liftAtTop([0, 1, 0, 0], [0.5, 0.5, 0.9, 0.5], 0.5);
    expect(point.count).toBeCloseTo(2, 15);
    expect(point.positives).toBeCloseTo(1 / 3, 15);
    expect(liftAtTop([1, 0, 0, 0], [0.5, 0.5, 0.9, 0.5], 0.5).positives).toBeCloseTo(1 / 3, 15);
  });

  it('the gains curve is non-decreasing and ends at 1', () => {
    fc.assert(
      fc.property(rows, (data) => {
        const table = gainsTable(data.map(([y]) => y), data.map(([, s]) => s));
        expect(table).toHaveLength(10);
        for (let i = 1; i < table.length; i++) expect((table[i] as { gain: number }).gain).toBeGreaterThanOrEqual((table[i - 1] as { gain: number }).gain - 1e-12);
        expect(table[9]?.gain).toBeCloseTo(1, 12);
      }),
    );
  });
});

describe('evaluateClassifier', () => {
  it('bundles the metrics for a model and a baseline scored on the same rows', () => {
    const report = evaluateClassifier(LABELS, PROBS, { bins: 5 });
    expect(report).toMatchObject({ count: 12, positives: 6, baseRate: 0.5 });
    expect(report.auc).toBeCloseTo(auc(LABELS, PROBS), 15);
    expect(report.logLoss).toBeCloseTo(0.4339660402638464, 14);
    expect(report.ece).toBeCloseTo(0.25916666666666666, 15);
    expect(report.reliability).toHaveLength(5);
    expect(report.gains).toHaveLength(10);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
