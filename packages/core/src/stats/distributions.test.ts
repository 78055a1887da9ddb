import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chiSquareCdf,
  chiSquareSf,
  erfc,
  kolmogorovSf,
  logGamma,
  normalCdf,
  normalQuantile,
  regularizedGammaP,
  regularizedGammaQ,
} from './distributions';

// Expected values from scipy 1.17 (special.gammaln, gammainc, gammaincc, ndtr, ndtri, kolmogorov, erfc;
// stats.chi2.sf / ppf), printed with repr() and pasted here.

function expectRelative(actual: number, expected: number, tolerance: number): void {
  const scale = Math.max(Math.abs(expected), Number.MIN_VALUE);
  expect(Math.abs(actual - expected) / scale, `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance);
}

describe('logGamma', () => {
  it('matches scipy.special.gammaln', () => {
    const cases: [number, number][] = [
      [0.1, 2.252712651734206],
      [0.5, 0.5723649429247],
      [2.5, 0.2846828704729192],
      [5, 3.1780538303479458],
      [10.3, 13.482036786138359],
      [100, 359.1342053695754],
      [1000.5, 5908.674175848678],
    ];
    for (const [x, expected] of cases) expectRelative(logGamma(x), expected, 1e-13);
    expect(logGamma(1)).toBe(0);
    expect(logGamma(0)).toBeNaN();
  });
});

describe('regularized incomplete gamma', () => {
  const cases: [number, number, number, number][] = [
    // a, x, P (gammainc), Q (gammaincc)
    [0.5, 0.1, 0.34527915398142317, 0.6547208460185768],
    [1, 2, 0.8646647167633873, 0.1353352832366127],
    [2.5, 1, 0.15085496391539038, 0.8491450360846096],
    [3, 10, 0.9972306042844884, 0.0027693957155115775],
    [10, 5, 0.03182805730620481, 0.9681719426937951],
    [50, 60, 0.9155933189063082, 0.08440668109369177],
    [0.5, 30, 0.9999999999999906, 9.485737571073857e-15],
    [100, 90, 0.15822098918643007, 0.84177901081357],
  ];

  it('matches scipy gammainc / gammaincc, keeping tail precision in Q', () => {
    for (const [a, x, p, q] of cases) {
      expectRelative(regularizedGammaP(a, x), p, 1e-12);
      expectRelative(regularizedGammaQ(a, x), q, 1e-12);
    }
  });

  it('P + Q = 1 and P grows with x', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.05, max: 200, noNaN: true }), fc.double({ min: 0, max: 400, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true }), (a, x, dx) => {
        expect(regularizedGammaP(a, x) + regularizedGammaQ(a, x)).toBeCloseTo(1, 12);
        expect(regularizedGammaP(a, x + dx)).toBeGreaterThanOrEqual(regularizedGammaP(a, x) - 1e-14);
      }),
    );
  });
});

describe('χ²', () => {
  it('the survival function at scipy chi2.ppf quantiles gives back the level', () => {
    const quantiles: [number, number, number][] = [
      // level (cdf), df, chi2.ppf(level, df)
      [0.999, 1, 10.827566170662733],
      [0.999, 2, 13.815510557964274],
      [0.95, 3, 7.814727903251179],
      [0.5, 10, 9.34181776559197],
      [0.999, 5, 20.515005652432873],
    ];
    for (const [level, df, x] of quantiles) {
      expectRelative(chiSquareCdf(x, df), level, 1e-12);
      expectRelative(chiSquareSf(x, df), 1 - level, 1e-9);
    }
  });

  it('matches scipy chi2.sf', () => {
    const cases: [number, number, number][] = [
      [3.841458820694124, 1, 0.04999999999999989],
      [0.5, 3, 0.9188914116546758],
      [25, 4, 5.0309817823062075e-5],
      [100, 10, 5.4497019829205215e-17],
      [1e-3, 1, 0.9747728793699604],
    ];
    for (const [x, df, expected] of cases) expectRelative(chiSquareSf(x, df), expected, 1e-12);
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(-1, 3)).toBe(1);
    expect(chiSquareSf(4, 0)).toBeNaN();
  });
});

describe('normal distribution', () => {
  it('normalCdf matches scipy.special.ndtr, deep into the tails', () => {
    const cases: [number, number][] = [
      [-10, 7.61985302416047e-24],
      [-5, 2.866515718791933e-7],
      [-1.96, 0.024997895148220435],
      [-1, 0.15865525393145707],
      [0, 0.5],
      [0.5, 0.6914624612740131],
      [1, 0.8413447460685429],
      [3, 0.9986501019683699],
    ];
    for (const [z, expected] of cases) expectRelative(normalCdf(z), expected, 1e-13);
  });

  it('normalQuantile matches scipy.special.ndtri', () => {
    const cases: [number, number][] = [
      [1e-300, -37.0470962993612],
      [1e-20, -9.262340089798409],
      [1e-10, -6.361340902404056],
      [0.001, -3.090232306167813],
      [0.02425, -1.972961051311885],
      [0.025, -1.9599639845400545],
      [0.3, -0.5244005127080409],
      [0.7, 0.5244005127080407],
      [0.975, 1.959963984540054],
      [0.999, 3.090232306167813],
      [1 - 1e-10, 6.361340889697422],
    ];
    for (const [p, expected] of cases) expectRelative(normalQuantile(p), expected, 1e-13);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normalQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normalQuantile(1.5)).toBeNaN();
  });

  it('normalQuantile inverts normalCdf', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-12, max: 1 - 1e-12, noNaN: true }), (p) => {
        expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 14);
      }),
    );
  });

  it('erfc matches scipy.special.erfc', () => {
    const cases: [number, number][] = [
      [-2, 1.9953222650189528],
      [-0.5, 1.5204998778130465],
      [0.3, 0.6713732405408726],
      [1, 0.15729920705028516],
      [5, 1.5374597944280347e-12],
      [20, 5.395865611607901e-176],
    ];
    for (const [x, expected] of cases) expectRelative(erfc(x), expected, 1e-13);
    expect(erfc(0)).toBe(1);
  });
});

describe('kolmogorovSf', () => {
  it('matches scipy.special.kolmogorov on both sides of the series switch', () => {
    const cases: [number, number][] = [
      [0.3, 0.9999906941986655],
      [0.5, 0.9639452436648751],
      [0.8, 0.5441424115741981],
      [1.0, 0.26999967167735456],
      [1.17, 0.12939004218561884],
      [1.19, 0.11774229287977166],
      [1.3580986393225505, 0.050000000000000024],
      [2, 0.0006709252557796953],
      [3, 3.045995948942526e-8],
    ];
    for (const [lambda, expected] of cases) expectRelative(kolmogorovSf(lambda), expected, 1e-12);
    expect(kolmogorovSf(0.05)).toBe(1);
    expect(kolmogorovSf(0)).toBe(1);
  });
});
