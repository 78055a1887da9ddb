import { describe, expect, it } from 'vitest';
import { isTailorError } from '../errors';
import { createSeededRandom } from '../identity/probabilistic-random';
import type { RandomSource } from '../platform';
import { analyzeExperiment } from './experiment-analysis';
import { compareMeans, conversionEstimate, cuped, holdoutLift, srmTest, summarizeValues, summarizeWithCovariate, toMeanEstimate, type MeanEstimate } from './experiments';
import { alwaysValidPValue, sequentialMultiplier, tuneConfidenceSequence } from './sequential';

function gaussian(random: RandomSource): number {
  const u = 1 - random.random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.random());
}

function conversions(random: RandomSource, n: number, rate: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (random.random() < rate) k++;
  return k;
}

describe('srmTest', () => {
  it('matches scipy.stats.chisquare', () => {
    // chisquare([5000, 5300]) → statistic 8.737864077669903, p 0.003116693839866867
    const even = srmTest([5000, 5300]);
    expect(even.chiSquare).toBeCloseTo(8.737864077669903, 12);
    expect(even.pValue).toBeCloseTo(0.003116693839866867, 14);
    expect(even).toMatchObject({ degreesOfFreedom: 1, expected: [5150, 5150], mismatch: false });
    // chisquare([5100, 2950, 1950], f_exp=[.5, .3, .2]·10000) → 4.083333333333334, p 0.12981217685543797
    const weighted = srmTest([5100, 2950, 1950], [0.5, 0.3, 0.2]);
    expect(weighted.chiSquare).toBeCloseTo(4.083333333333334, 12);
    expect(weighted.pValue).toBeCloseTo(0.12981217685543797, 14);
    expect(weighted.degreesOfFreedom).toBe(2);
  });

  it('alarms at p < 0.001 by default, and on any unit in a variation weighted 0', () => {
    expect(srmTest([50_000, 48_500]).mismatch).toBe(true);
    expect(srmTest([50_400, 49_600]).mismatch).toBe(false);
    expect(srmTest([50_400, 49_600], undefined, { threshold: 0.05 }).mismatch).toBe(true);
    expect(srmTest([100, 100, 1], [1, 1, 0])).toMatchObject({ pValue: 0, mismatch: true });
    expect(srmTest([0, 0])).toMatchObject({ pValue: 1, mismatch: false });
  });

  it('rejects configurations that cannot be tested', () => {
    for (const bad of [() => srmTest([10]), () => srmTest([10, 10], [1]), () => srmTest([10, 10], [0, 0]), () => srmTest([10, 10], [1, -1])]) {
      try {
        bad();
        expect.unreachable();
      } catch (error) {
        expect(isTailorError(error)).toBe(true);
      }
    }
  });
});

describe('compareMeans', () => {
  it('conversion: delta-method relative lift as computed with numpy/scipy', () => {
    // 500/10000 vs 560/10000: r = 0.12, se = √(v_t/(n_t c²) + t² v_c/(n_c c⁴)) = 0.06706988770665788,
    // 95% interval ±1.959963984540054·se = [−0.011454564352195273, 0.25145456435219504], p = 0.07358607564648845.
    const lift = compareMeans(conversionEstimate(10_000, 500), conversionEstimate(10_000, 560));
    expect(lift.ok).toBe(true);
    if (!lift.ok) return;
    expect(lift.relative.estimate).toBeCloseTo(0.12, 14);
    expect(lift.relative.standardError).toBeCloseTo(0.06706988770665788, 14);
    expect(lift.relative.lower).toBeCloseTo(-0.011454564352195273, 13);
    expect(lift.relative.upper).toBeCloseTo(0.25145456435219504, 13);
    expect(lift.pValue).toBeCloseTo(0.07358607564648845, 13);
    expect(lift.absolute.estimate).toBeCloseTo(0.006, 15);
    expect(lift.absolute.standardError).toBeCloseTo(0.003168186190925975, 15);
    expect(lift.sequential).toBe(false);
  });

  it('revenue per user from sums', () => {
    // n 4000, Σ 52000, Σ² 2.1e6 vs n 4100, Σ 56500, Σ² 2.4e6 (numpy): r = 0.06003752345215774,
    // se 0.03409963263962271, [−0.006796528407549268, 0.12687157531186474], absolute se 0.4306976007504018.
    const lift = compareMeans(toMeanEstimate({ n: 4000, sum: 52_000, sumSquares: 2.1e6 }), toMeanEstimate({ n: 4100, sum: 56_500, sumSquares: 2.4e6 }));
    if (!lift.ok) throw new Error(lift.reason);
    expect(lift.relative.estimate).toBeCloseTo(0.06003752345215774, 14);
    expect(lift.relative.standardError).toBeCloseTo(0.03409963263962271, 14);
    expect(lift.relative.lower).toBeCloseTo(-0.006796528407549268, 13);
    expect(lift.relative.upper).toBeCloseTo(0.12687157531186474, 13);
    expect(lift.absolute.standardError).toBeCloseTo(0.4306976007504018, 13);
  });

  it('says why when a lift cannot be computed', () => {
    expect(compareMeans(conversionEstimate(1, 0), conversionEstimate(10, 1))).toMatchObject({ ok: false, reason: 'too-few-units' });
    expect(compareMeans(conversionEstimate(100, 0), conversionEstimate(100, 3))).toMatchObject({ ok: false, reason: 'zero-control-mean' });
  });

  it('the 95% interval covers the true relative lift in about 95% of simulated experiments', () => {
    const random = createSeededRandom(2024);
    const trials = 400;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const lift = compareMeans(conversionEstimate(4000, conversions(random, 4000, 0.1)), conversionEstimate(4000, conversions(random, 4000, 0.11)));
      if (lift.ok && lift.relative.lower <= 0.1 && 0.1 <= lift.relative.upper) covered++;
    }
    // Binomial(400, 0.95) lies in [368, 392] with probability > 0.998.
    expect(covered / trials).toBeGreaterThanOrEqual(0.92);
    expect(covered / trials).toBeLessThanOrEqual(0.98);
  });

  it('holdoutLift compares the engine with the holdout as control', () => {
    const engine = conversionEstimate(95_000, 5_400);
    const holdout = conversionEstimate(5_000, 250);
    const lift = holdoutLift(engine, holdout);
    expect(lift).toEqual(compareMeans(holdout, engine));
    if (lift.ok) expect(lift.relative.estimate).toBeCloseTo(5400 / 95_000 / 0.05 - 1, 14);
  });
});

describe('cuped', () => {
  // y = 10 + 0.8·x-ish with corr(x, y) ≈ 0.7, treatment adds 0.5 to y; x is pre-period, unaffected.
  function group(random: RandomSource, n: number, effect: number): { y: number[]; x: number[] } {
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      const pre = 10 + 3 * gaussian(random);
      x.push(pre);
      y.push(2 + 0.8 * pre + effect + 2.45 * gaussian(random));
    }
    return { x, y };
  }

  it('agrees with adjusting every unit by hand, and shrinks the variance by about corr²', () => {
    const random = createSeededRandom(77);
    const control = group(random, 3000, 0);
    const treatment = group(random, 3000, 0.5);
    const result = cuped([summarizeWithCovariate(control.y, control.x), summarizeWithCovariate(treatment.y, treatment.x)]);

    // θ by hand: pooled within-group Σ(x − x̄_g)(y − ȳ_g) / Σ(x − x̄_g)².
    const mean = (v: readonly number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    let sxy = 0;
    let sxx = 0;
    for (const g of [control, treatment]) {
      const mx = mean(g.x);
      const my = mean(g.y);
      g.x.forEach((xi, i) => {
        sxy += (xi - mx) * ((g.y[i] as number) - my);
        sxx += (xi - mx) ** 2;
      });
    }
    const theta = sxy / sxx;
    expect(result.theta).toBeCloseTo(theta, 10);
    const grand = mean([...control.x, ...treatment.x]);
    [control, treatment].forEach((g, k) => {
      const adjusted = toMeanEstimate(summarizeValues(g.y.map((yi, i) => yi - theta * ((g.x[i] as number) - grand))));
      expect(result.adjusted[k]?.mean).toBeCloseTo(adjusted.mean, 10);
      expect(result.adjusted[k]?.variance).toBeCloseTo(adjusted.variance, 8);
    });
    // corr² = 0.8²·9 / (0.8²·9 + 2.45²) ≈ 0.49
    for (const reduction of result.varianceReduction) expect(reduction).toBeGreaterThan(0.44), expect(reduction).toBeLessThan(0.54);

    const raw = compareMeans(toMeanEstimate(summarizeValues(control.y)), toMeanEstimate(summarizeValues(treatment.y)));
    const adjusted = compareMeans(result.adjusted[0] as MeanEstimate, result.adjusted[1] as MeanEstimate);
    if (!raw.ok || !adjusted.ok) throw new Error('lift expected');
    expect(adjusted.absolute.standardError / raw.absolute.standardError).toBeLessThan(0.75);
    expect(Math.abs(adjusted.absolute.estimate - 0.5)).toBeLessThan(3 * adjusted.absolute.standardError);
  });

  it('leaves the metric alone when the covariate does not vary', () => {
    const result = cuped([summarizeWithCovariate([1, 2, 3], [5, 5, 5]), summarizeWithCovariate([2, 2, 5], [5, 5, 5])]);
    expect(result.theta).toBe(0);
    expect(result.adjusted[0]).toEqual(toMeanEstimate(summarizeValues([1, 2, 3])));
    expect(result.varianceReduction).toEqual([0, 0]);
  });
});

describe('always-valid intervals', () => {
  it('ρ minimizes the half-width at the tuning size', () => {
    const rho = tuneConfidenceSequence(10_000, 0.05);
    // scipy brentq on u − ln u = 1 − 2 ln α, ρ = n/(u − 1): 1217.734886986569; a direct numeric
    // minimization of the half-width (minimize_scalar) lands at 1217.73497, as close as a flat minimum allows.
    expect(rho).toBeCloseTo(1217.734886986569, 8);
    expect(Math.abs(rho - 1217.7349702857396) / rho).toBeLessThan(1e-6);
    const at = (r: number) => sequentialMultiplier(10_000, 0.05, r);
    expect(at(rho * 0.99)).toBeGreaterThan(at(rho));
    expect(at(rho * 1.01)).toBeGreaterThan(at(rho));
    // Half-width multipliers from √((1 + ρ/n)·ln((n + ρ)/(ρα²))) in numpy.
    expect(sequentialMultiplier(100, 0.05, rho)).toBeCloseTo(8.943802237932147, 10);
    expect(sequentialMultiplier(1000, 0.05, rho)).toBeCloseTo(3.823218333037801, 10);
    expect(sequentialMultiplier(10_000, 0.05, rho)).toBeCloseTo(3.035122413028551, 10);
    expect(sequentialMultiplier(100_000, 0.05, rho)).toBeCloseTo(3.2463107546131273, 10);
    expect(alwaysValidPValue(3, 10_000, rho)).toBeCloseTo(0.054954303790390686, 12);
  });

  it('the p-value and the interval agree: the interval excludes 0 exactly when p < α', () => {
    const rho = tuneConfidenceSequence(5000, 0.05);
    for (const n of [200, 5000, 80_000]) {
      const m = sequentialMultiplier(n, 0.05, rho);
      expect(alwaysValidPValue(m, n, rho)).toBeCloseTo(0.05, 12);
      expect(alwaysValidPValue(m * 1.01, n, rho)).toBeLessThan(0.05);
    }
  });

  it('keeps its error rate when an A/A test is peeked at 100 times; the fixed interval does not', () => {
    const random = createSeededRandom(99);
    const experiments = 200;
    let sequentialFalse = 0;
    let fixedFalse = 0;
    for (let e = 0; e < experiments; e++) {
      const sums = [
        { n: 0, sum: 0, sumSquares: 0 },
        { n: 0, sum: 0, sumSquares: 0 },
      ];
      let sequentialHit = false;
      let fixedHit = false;
      for (let look = 0; look < 100; look++) {
        for (let i = 0; i < 100; i++) {
          for (const s of sums) {
            const v = 10 + 3 * gaussian(random);
            s.n++;
            s.sum += v;
            s.sumSquares += v * v;
          }
        }
        const control = toMeanEstimate(sums[0] as (typeof sums)[0]);
        const treatment = toMeanEstimate(sums[1] as (typeof sums)[0]);
        const always = compareMeans(control, treatment, { sequential: { tuningSize: 10_000 } });
        const fixed = compareMeans(control, treatment);
        if (always.ok && (always.relative.lower > 0 || always.relative.upper < 0)) sequentialHit = true;
        if (fixed.ok && fixed.pValue < 0.05) fixedHit = true;
      }
      if (sequentialHit) sequentialFalse++;
      if (fixedHit) fixedFalse++;
    }
    // Ville's inequality bounds the sequential rate by α = 5%; peeking at a fixed 5% test 100 times
    // rejects a true null far more often (around 30–40%).
    expect(sequentialFalse / experiments).toBeLessThanOrEqual(0.05);
    expect(fixedFalse / experiments).toBeGreaterThan(0.2);
  });

  it('compareMeans with `sequential` widens the interval by the multiplier', () => {
    const control = conversionEstimate(10_000, 500);
    const treatment = conversionEstimate(10_000, 560);
    const lift = compareMeans(control, treatment, { sequential: { tuningSize: 20_000 } });
    if (!lift.ok) throw new Error(lift.reason);
    const m = sequentialMultiplier(20_000, 0.05, tuneConfidenceSequence(20_000, 0.05));
    expect(lift.relative.upper - lift.relative.estimate).toBeCloseTo(m * lift.relative.standardError, 14);
    expect(lift.sequential).toBe(true);
    expect(lift.pValue).toBeGreaterThan(0.07358607564648845);
  });
});

describe('analyzeExperiment', () => {
  it('reads out exposures, SRM and per-metric lifts, CUPED where pre-period sums are given', () => {
    const random = createSeededRandom(5);
    const pre = (n: number, effect: number) => {
      const x = Array.from({ length: n }, () => 20 + 5 * gaussian(random));
      return summarizeWithCovariate(x.map((xi) => 0.9 * xi + effect + 3 * gaussian(random)), x);
    };
    const analysis = analyzeExperiment(
      [
        { key: 'control', units: 5000, metrics: { converted: { n: 5000, sum: 250, sumSquares: 250 }, revenue: pre(5000, 0) } },
        { key: 'thompson', units: 5050, metrics: { converted: { n: 5050, sum: 300, sumSquares: 300 }, revenue: pre(5050, 1) } },
      ],
      { sequential: { tuningSize: 20_000 } },
    );
    expect(analysis.exposures).toEqual([
      { key: 'control', units: 5000 },
      { key: 'thompson', units: 5050 },
    ]);
    expect(analysis.srm.mismatch).toBe(false);
    const converted = analysis.metrics.find((m) => m.metric === 'converted');
    expect(converted?.cuped).toBeNull();
    expect(converted?.variations[0]?.lift).toBeNull();
    const lift = converted?.variations[1]?.lift;
    expect(lift?.ok && lift.relative.estimate).toBeCloseTo(300 / 5050 / 0.05 - 1, 12);
    const revenue = analysis.metrics.find((m) => m.metric === 'revenue');
    expect(revenue?.cuped?.theta).toBeGreaterThan(0.8);
    expect(revenue?.cuped?.varianceReduction[0]).toBeGreaterThan(0.5);
    const revenueLift = revenue?.variations[1]?.lift;
    expect(revenueLift?.ok && revenueLift.sequential).toBe(true);
  });
});
