import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTailorError } from '../errors';
import { createSeededRandom } from '../identity/probabilistic-random';
import { binnedKsStatistic, countBins, createReferenceBins, getBinIndex, ksTest, psi, psiFromCounts, psiFromProportions } from './drift';
import { driftReport, parseDriftReference } from './drift-report';

function normalSample(seed: number, n: number, mean = 0, sd = 1): number[] {
  const random = createSeededRandom(seed);
  return Array.from({ length: n }, () => {
    const u = 1 - random.random();
    const v = random.random();
    return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  });
}

/** sup |F₁ − F₂| over every observed value, by brute force. */
function bruteKs(a: readonly number[], b: readonly number[]): number {
  let d = 0;
  for (const x of [...a, ...b]) {
    const fa = a.filter((v) => v <= x).length / a.length;
    const fb = b.filter((v) => v <= x).length / b.length;
    d = Math.max(d, Math.abs(fa - fb));
  }
  return d;
}

describe('createReferenceBins', () => {
  it('cuts a continuous sample into equal-mass quantile bins', () => {
    const bins = createReferenceBins(Array.from({ length: 1000 }, (_, i) => i));
    expect(bins.edges).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(bins.proportions).toEqual(Array.from({ length: 10 }, () => 0.1));
    expect(bins).toMatchObject({ missing: 0, count: 1000 });
  });

  it('gives a constant feature its own bin, so a move either way is drift', () => {
    const bins = createReferenceBins([5, 5, 5, 5]);
    expect(bins.edges).toEqual([5, 5.000000000000001]);
    expect(bins.proportions).toEqual([0, 1, 0]);
    expect(psi(bins, [5, 5, 5])).toBe(0);
    expect(psi(bins, [6, 6])).toBeGreaterThan(0.25);
    expect(psi(bins, [4, 4])).toBeGreaterThan(0.25);
  });

  it('bins a low-cardinality feature by value, with empty bins around it', () => {
    const sample = [...Array.from({ length: 70 }, () => 0), ...Array.from({ length: 30 }, () => 1)];
    const bins = createReferenceBins(sample);
    expect(bins.edges).toEqual([0, 1, 1.0000000000000002]);
    expect(bins.proportions).toEqual([0, 0.7, 0.3, 0]);
  });

  it('isolates a spike that fills several quantiles (60% zeros)', () => {
    const sample = [...Array.from({ length: 600 }, () => 0), ...Array.from({ length: 400 }, (_, i) => i + 1)];
    const bins = createReferenceBins(sample);
    expect(bins.edges).toEqual([0, Number.MIN_VALUE, 1, 101, 201, 301]);
    expect(bins.proportions).toEqual([0, 0.6, 0, 0.1, 0.1, 0.1, 0.1]);
  });

  it('keeps missing values (NaN) in their own share and infinities in the end bins', () => {
    const bins = createReferenceBins([1, 2, Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, 3]);
    expect(bins.missing).toBeCloseTo(2 / 6, 15);
    expect(bins.proportions.reduce((a, b) => a + b, bins.missing)).toBeCloseTo(1, 15);
    expect(getBinIndex(bins, Number.POSITIVE_INFINITY)).toBe(bins.edges.length);
    expect(getBinIndex(bins, Number.NEGATIVE_INFINITY)).toBe(0);
    expect(getBinIndex(bins, Number.NaN)).toBe(bins.edges.length + 1);
  });

  it('shares sum to 1, counts add up, and a sample has PSI 0 against its own bins', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.constant(Number.NaN)), { minLength: 1, maxLength: 300 }), fc.integer({ min: 2, max: 20 }), (sample, k) => {
        const bins = createReferenceBins(sample, { bins: k });
        for (let i = 1; i < bins.edges.length; i++) expect(bins.edges[i] as number).toBeGreaterThan(bins.edges[i - 1] as number);
        expect(bins.proportions.reduce((a, b) => a + b, bins.missing)).toBeCloseTo(1, 12);
        expect(countBins(bins, sample).reduce((a, b) => a + b, 0)).toBe(sample.length);
        expect(psi(bins, sample)).toBe(0);
      }),
    );
  });
});

describe('psi', () => {
  it('follows Σ (cur − ref) ln(cur/ref) (numpy)', () => {
    // numpy: sum((c − r)·log(c/r)) for r = [.1, .2, .3, .4], c = [.25]·4
    expect(psiFromProportions([0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25])).toBeCloseTo(0.22821740957339184, 14);
    // An empty reference bin is floored at ε = 1e-4 on both sides: numpy gives 1.6215855264156604.
    expect(psiFromProportions([0.5, 0.5, 0], [0.3, 0.5, 0.2])).toBeCloseTo(1.6215855264156604, 13);
  });

  it('is never negative and grows with a shift of the mean', () => {
    const reference = createReferenceBins(normalSample(1, 5000));
    const values = [0, 0.1, 0.25, 0.5, 1].map((shift) => psi(reference, normalSample(2, 5000, shift)));
    for (const value of values) expect(value).toBeGreaterThanOrEqual(0);
    for (let i = 1; i < values.length; i++) expect(values[i] as number).toBeGreaterThan(values[i - 1] as number);
    expect(values[0]).toBeLessThan(0.01);
    expect(values[4]).toBeGreaterThan(0.25);
  });

  it('breaks down by bin, with null for unbounded ends and a missing bin', () => {
    const bins = createReferenceBins([1, 2, 3, 4]);
    const breakdown = psiFromCounts(bins, countBins(bins, [1, 1, 2, Number.NaN]));
    expect(breakdown.count).toBe(4);
    expect(breakdown.bins[0]).toMatchObject({ lower: null, upper: 1, missing: false });
    expect(breakdown.bins.at(-1)).toMatchObject({ lower: null, upper: null, missing: true, reference: 0, current: 0.25 });
    expect(breakdown.psi).toBeCloseTo(breakdown.bins.reduce((a, b) => a + b.contribution, 0), 15);
    expect(psiFromCounts(bins, countBins(bins, [])).psi).toBeNaN();
    expect(() => psiFromCounts(bins, [1, 2])).toThrow(/expected 7 counts/);
  });
});

describe('ksTest', () => {
  const a = [0.61, 1.2, -0.3, 2.5, 0.9, 1.1, 0.05, 3.2, 1.7, 0.4, 0.4, 2.1, -1.0, 0.8, 1.3];
  const b = [1.5, 2.2, 0.9, 3.1, 2.8, 1.9, 0.4, 2.6, 4.0, 1.2, 3.3, 2.2];

  it('gives scipy ks_2samp’s statistic and Stephens’ asymptotic p-value', () => {
    const result = ksTest(a, b);
    // scipy.stats.ks_2samp(a, b).statistic = 0.4833333333333333
    expect(result.statistic).toBeCloseTo(0.4833333333333333, 15);
    // scipy.special.kolmogorov((√nₑ + 0.12 + 0.11/√nₑ)·D), nₑ = 15·12/27 = 0.05922789063729305;
    // the exact p-value (ks_2samp method='exact') is 0.060984556939597985.
    expect(result.pValue).toBeCloseTo(0.05922789063729305, 12);
    expect(Math.abs(result.pValue - 0.060984556939597985)).toBeLessThan(0.005);
  });

  it('equals the brute-force supremum, with ties', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 40 }), fc.array(fc.integer({ min: 0, max: 10 }), { minLength: 1, maxLength: 40 }), (x, y) => {
        expect(ksTest(x, y).statistic).toBeCloseTo(bruteKs(x, y), 12);
      }),
    );
  });

  it('the binned statistic never exceeds the exact one', () => {
    const reference = normalSample(3, 2000);
    const bins = createReferenceBins(reference);
    for (const shift of [0, 0.2, 0.8]) {
      const current = normalSample(4, 1500, shift);
      const binned = binnedKsStatistic(bins, countBins(bins, current));
      expect(binned).toBeLessThanOrEqual(ksTest(reference, current).statistic + 1e-12);
      if (shift === 0.8) expect(binned).toBeGreaterThan(0.2);
    }
  });
});

describe('driftReport', () => {
  const referenceSample = normalSample(5, 4000);
  const stored = createReferenceBins(referenceSample);

  it('grades each feature by PSI and reports the worst status', () => {
    const report = driftReport(
      ['stable', 'shifted', 'mild', 'unknown', 'quiet'],
      { stable: stored, shifted: stored, mild: referenceSample, quiet: stored },
      { stable: normalSample(6, 3000), shifted: normalSample(7, 3000, 1), mild: normalSample(8, 3000, 0.35), quiet: [] },
    );
    const byName = Object.fromEntries(report.features.map((f) => [f.feature, f]));
    expect(byName.stable).toMatchObject({ status: 'ok', count: 3000, missingRate: 0, ksPValue: null });
    expect(byName.shifted?.status).toBe('alert');
    expect(byName.mild?.status).toBe('warn');
    expect(byName.mild?.ksPValue).toBeLessThan(1e-6);
    expect(byName.unknown).toMatchObject({ status: 'no-data', reason: 'no-reference', psi: null });
    expect(byName.quiet).toMatchObject({ status: 'no-data', reason: 'no-current-values' });
    expect(report.status).toBe('alert');
    expect(report.thresholds).toEqual({ warn: 0.1, alert: 0.25 });
  });

  it('honours configured thresholds and rejects inconsistent ones', () => {
    const report = driftReport(['x'], { x: stored }, { x: normalSample(7, 3000, 1) }, { thresholds: { alert: 5 } });
    expect(report.status).toBe('warn');
    try {
      driftReport(['x'], { x: stored }, { x: [1] }, { thresholds: { warn: 0.3, alert: 0.2 } });
      expect.unreachable();
    } catch (error) {
      expect(isTailorError(error)).toBe(true);
      expect((error as Error).message).toContain('0 ≤ warn ≤ alert');
    }
  });

  it('reference bins survive JSON (as stored in model metadata) with the same PSI', () => {
    const spike = createReferenceBins([...Array.from({ length: 600 }, () => 0), ...Array.from({ length: 400 }, (_, i) => i + 1)]);
    const parsed = parseDriftReference(JSON.parse(JSON.stringify({ score: stored, visits: spike })));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.reference.visits).toEqual(spike);
    const current = normalSample(9, 1000, 0.2);
    expect(psi(parsed.reference.score as typeof stored, current)).toBe(psi(stored, current));
  });

  it('reports a damaged reference as issues', () => {
    const parsed = parseDriftReference({ score: { edges: [2, 1], proportions: [0.5, 0.5], missing: 0, count: 10 } });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.issues).toContainEqual({ path: 'score.edges', code: 'custom', message: 'edges must be strictly ascending' });
      expect(parsed.issues).toContainEqual({ path: 'score.proportions', code: 'custom', message: 'proportions needs one entry per bin (edges.length + 1)' });
    }
  });
});
