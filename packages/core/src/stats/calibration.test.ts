import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isTailorError } from '../errors';
import { applyCalibrator, fitIsotonic, fitPlatt, parseCalibrator, type Calibrator } from './calibration';
import { brierScore, logLoss } from './metrics';

// 40 rows drawn with numpy (default_rng(7): p ~ U(0.02, 0.98) rounded to 3 places, y ~ Bernoulli(p^1.5)),
// so the raw probabilities are miscalibrated (too high).
const PLATT_P = [
  0.62, 0.881, 0.765, 0.236, 0.308, 0.859, 0.025, 0.808, 0.785, 0.469, 0.311, 0.287, 0.265, 0.447, 0.504, 0.551, 0.976, 0.781, 0.617, 0.969,
  0.227, 0.174, 0.608, 0.062, 0.054, 0.514, 0.468, 0.9, 0.624, 0.514, 0.497, 0.258, 0.031, 0.205, 0.684, 0.213, 0.375, 0.024, 0.817, 0.168,
];
const PLATT_Y = [1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 1, 0, 1, 1, 1, 1, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0];

describe('fitPlatt', () => {
  it('finds the minimum scipy finds for the same objective', () => {
    // scipy.optimize.minimize(BFGS, gtol 1e-12) of Σ t·softplus(−s) + (1 − t)·softplus(s), s = a·logit(p) + b,
    // with Platt's targets t = (n₊+1)/(n₊+2), 1/(n₋+2): a = 1.1403978579821974, b = −0.4463565237447494.
    const fitted = fitPlatt(PLATT_Y, PLATT_P);
    expect(fitted.kind).toBe('platt');
    expect(fitted.params.a).toBeCloseTo(1.1403978579821974, 6);
    expect(fitted.params.b).toBeCloseTo(-0.4463565237447494, 6);
    // Same with plain 0/1 targets: a = 1.532746159732261, b = −0.5143182874515719.
    const raw = fitPlatt(PLATT_Y, PLATT_P, { plattTargets: false });
    expect(raw.params.a).toBeCloseTo(1.532746159732261, 6);
    expect(raw.params.b).toBeCloseTo(-0.5143182874515719, 6);
  });

  it('recovers a known distortion: labels drawn from σ(2·logit(p) − 1) give back a ≈ 2, b ≈ −1', () => {
    // Expected counts instead of draws: each p appears 1000 times with exactly round(1000·q) positives.
    const labels: number[] = [];
    const probabilities: number[] = [];
    const weights: number[] = [];
    for (let k = 1; k < 20; k++) {
      const p = k / 20;
      const q = 1 / (1 + Math.exp(-(2 * Math.log(p / (1 - p)) - 1)));
      labels.push(1, 0);
      probabilities.push(p, p);
      weights.push(1000 * q, 1000 * (1 - q));
    }
    const fitted = fitPlatt(labels, probabilities, { weights, plattTargets: false });
    expect(fitted.params.a).toBeCloseTo(2, 9);
    expect(fitted.params.b).toBeCloseTo(-1, 9);
  });

  it('stays finite on separable data and on a constant score', () => {
    const separable = fitPlatt([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]);
    expect(Number.isFinite(separable.params.a) && Number.isFinite(separable.params.b)).toBe(true);
    const constant = fitPlatt([0, 1, 1, 1], [0.5, 0.5, 0.5, 0.5], { plattTargets: false });
    expect(applyCalibrator(constant, 0.5)).toBeCloseTo(0.75, 6);
  });

  it('never makes log loss worse on the data it was fitted on', () => {
    const before = logLoss(PLATT_Y, PLATT_P);
    const fitted = fitPlatt(PLATT_Y, PLATT_P, { plattTargets: false });
    const after = logLoss(PLATT_Y, PLATT_P.map((p) => applyCalibrator(fitted, p)));
    expect(after).toBeLessThan(before);
  });

  it('throws actionable errors for unusable input', () => {
    for (const bad of [() => fitPlatt([], []), () => fitPlatt([0, 2], [0.1, 0.2]), () => fitPlatt([0, 1], [0.1, 1.2]), () => fitIsotonic([1], [0.5], { weights: [0] })]) {
      try {
        bad();
        expect.unreachable();
      } catch (error) {
        expect(isTailorError(error)).toBe(true);
      }
    }
  });
});

describe('fitIsotonic', () => {
  it('matches scipy.optimize.isotonic_regression on tie-pooled, weighted data', () => {
    // numpy/scipy: pool equal x (weighted mean of y, summed weights), then isotonic_regression(y, weights):
    // at x = [0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.8, 0.9, 0.95] → [0, 0.4, 0.4, 0.4, 0.4, 0.75, 0.75, 0.75, 1].
    const x = [0.1, 0.2, 0.2, 0.3, 0.35, 0.5, 0.5, 0.5, 0.6, 0.8, 0.9, 0.95];
    const y = [0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 1];
    const weights = [1, 2, 1, 1, 1, 1, 1, 3, 1, 2, 1, 1];
    const fitted = fitIsotonic(y, x, { weights });
    const expected = [0, 0.4, 0.4, 0.4, 0.4, 0.75, 0.75, 0.75, 1];
    [0.1, 0.2, 0.3, 0.35, 0.5, 0.6, 0.8, 0.9, 0.95].forEach((at, i) => expect(applyCalibrator(fitted, at)).toBeCloseTo(expected[i] as number, 15));
    expect(fitted.params).toEqual({ x: [0.1, 0.2, 0.5, 0.6, 0.9, 0.95], y: [0, 0.4, 0.4, 0.75, 0.75, 1] });
  });

  it('interpolates linearly between blocks and is flat outside the fitted range', () => {
    const fitted = fitIsotonic([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4]);
    expect(fitted.params).toEqual({ x: [0.1, 0.2, 0.3, 0.4], y: [0, 0.5, 0.5, 1] });
    expect(applyCalibrator(fitted, 0.15)).toBeCloseTo(0.25, 15);
    expect(applyCalibrator(fitted, 0.05)).toBe(0);
    expect(applyCalibrator(fitted, 0.99)).toBe(1);
    expect(applyCalibrator(fitted, Number.NaN)).toBeNaN();
  });

  it('is non-decreasing and never has a higher Brier score on its own data than the raw scores', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(0, 1), fc.integer({ min: 0, max: 50 }).map((k) => k / 50)), { minLength: 1, maxLength: 80 }), (data) => {
        const labels = data.map(([label]) => label);
        const probs = data.map(([, p]) => p);
        const fitted = fitIsotonic(labels, probs);
        const { x, y } = fitted.params;
        for (let i = 1; i < x.length; i++) {
          expect(x[i] as number).toBeGreaterThanOrEqual(x[i - 1] as number);
          expect(y[i] as number).toBeGreaterThanOrEqual(y[i - 1] as number);
        }
        const calibrated = probs.map((p) => applyCalibrator(fitted, p));
        expect(brierScore(labels, calibrated)).toBeLessThanOrEqual(brierScore(labels, probs) + 1e-12);
      }),
    );
  });
});

describe('parseCalibrator', () => {
  it('round-trips fitted calibrators through JSON with the same outputs', () => {
    const calibrators: Calibrator[] = [fitPlatt(PLATT_Y, PLATT_P), fitIsotonic(PLATT_Y, PLATT_P)];
    for (const calibrator of calibrators) {
      const parsed = parseCalibrator(JSON.parse(JSON.stringify(calibrator)));
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) continue;
      for (const p of [0, 0.1, 0.37, 0.5, 0.93, 1]) expect(applyCalibrator(parsed.calibrator, p)).toBe(applyCalibrator(calibrator, p));
    }
  });

  it('reports what is wrong as data', () => {
    expect(parseCalibrator({ kind: 'isotonic', params: { x: [0.2, 0.1], y: [0, 1] } })).toEqual({
      ok: false,
      issues: [{ path: 'params.x', code: 'custom', message: 'x must be ascending' }],
    });
    const unknown = parseCalibrator({ kind: 'beta', params: {} });
    expect(unknown.ok).toBe(false);
    if (!unknown.ok) expect(unknown.issues[0]?.path).toBe('kind');
    expect(parseCalibrator({ kind: 'platt', params: { a: Number.NaN, b: 0 } }).ok).toBe(false);
  });
});
