import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assignExperiments } from './assign-experiments';
import { parseExperiments } from './experiment-schema';
import { chooseVariation, getBucket, getBucketRanges, isInNamespace, type HashVersion } from './hashing';
import type { Experiment, StickyAssignments } from './types';

// --- The χ² distribution, to derive the critical value instead of copying it from a table. ---

/** ln Γ(x) for x > 0, Lanczos approximation (g = 7, n = 9), accurate to ~1e-15. */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = c[0]!;
  for (let i = 1; i < 9; i++) sum += c[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** Regularized upper incomplete gamma Q(a, x): a series below a + 1, a continued fraction above. */
function upperGammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const logPrefix = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < 1000 && Math.abs(term) > Math.abs(sum) * 1e-16; n++) {
      term *= x / (a + n);
      sum += term;
    }
    return 1 - sum * Math.exp(logPrefix);
  }
  // Lentz's method for the continued fraction of Γ(a, x).
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(logPrefix) * h;
}

/** P(χ²_df > x). */
function chiSquareSurvival(x: number, df: number): number {
  return upperGammaQ(df / 2, x / 2);
}

/** The x with P(χ²_df > x) = p, by bisection (the survival function decreases in x). */
function chiSquareCritical(p: number, df: number): number {
  let low = 0;
  let high = 1000;
  for (let i = 0; i < 200; i++) {
    const mid = (low + high) / 2;
    if (chiSquareSurvival(mid, df) > p) low = mid;
    else high = mid;
  }
  return (low + high) / 2;
}

function chiSquare(counts: readonly number[], expected: readonly number[]): number {
  return counts.reduce((sum, observed, i) => sum + (observed - expected[i]!) ** 2 / expected[i]!, 0);
}

describe('the χ² critical values the uniformity test uses', () => {
  it('match the published table at p = 0.001', () => {
    // NIST/SEMATECH e-Handbook, upper critical values of the chi-square distribution.
    expect(chiSquareCritical(0.001, 1)).toBeCloseTo(10.828, 3);
    expect(chiSquareCritical(0.001, 2)).toBeCloseTo(13.816, 3);
    expect(chiSquareCritical(0.001, 4)).toBeCloseTo(18.467, 3);
  });
});

describe('assignment is uniform', () => {
  const UNITS = 100_000;
  const idFormats = {
    'user-<n>': (i: number) => `user-${i}`,
    '<hex>-anon': (i: number) => `${i.toString(16)}-anon`,
  };
  const cases: [HashVersion, number, keyof typeof idFormats][] = [];
  for (const version of [2, 1] as const) {
    for (const k of [2, 3, 5]) {
      cases.push([version, k, 'user-<n>']);
      if (version === 2) cases.push([version, k, '<hex>-anon']);
    }
  }

  it.each(cases)('hash v%i, %i equal variations, ids like %s: χ² below the p = 0.001 critical value', (version, k, format) => {
    const ranges = getBucketRanges(k, 1);
    const counts = new Array<number>(k).fill(0);
    const toId = idFormats[format];
    for (let i = 0; i < UNITS; i++) {
      const n = getBucket(`uniformity-${k}`, toId(i), version)!;
      counts[chooseVariation(n, ranges)]! += 1;
    }
    expect(counts.reduce((a, b) => a + b, 0)).toBe(UNITS);
    const statistic = chiSquare(counts, new Array<number>(k).fill(UNITS / k));
    expect(statistic).toBeLessThan(chiSquareCritical(0.001, k - 1));
  });

  it('uneven weights are honoured: a 20/30/50 split passes the same test', () => {
    const weights = [0.2, 0.3, 0.5];
    const ranges = getBucketRanges(3, 1, weights);
    const counts = [0, 0, 0];
    for (let i = 0; i < UNITS; i++) counts[chooseVariation(getBucket('uneven', `user-${i}`, 2)!, ranges)]! += 1;
    const statistic = chiSquare(counts, weights.map((w) => w * UNITS));
    expect(statistic).toBeLessThan(chiSquareCritical(0.001, 2));
  });
});

const unitId = fc.string({ minLength: 1, maxLength: 40 });
const weightsArb = fc
  .array(fc.integer({ min: 1, max: 100 }), { minLength: 2, maxLength: 6 })
  .map((raw) => {
    const total = raw.reduce((a, b) => a + b, 0);
    return raw.map((w) => w / total);
  });

function experimentWith(weights: readonly number[], coverage: number, extra: Record<string, unknown> = {}): Experiment {
  const { experiments, issues } = parseExperiments([
    { key: 'prop', variations: weights.map((_, i) => ({ key: `v${i}` })), weights, coverage, ...extra },
  ]);
  expect(issues).toEqual([]);
  return experiments[0]!;
}

describe('assignment properties', () => {
  it('is deterministic: the same unit and experiment always give the same variation', () => {
    fc.assert(
      fc.property(unitId, weightsArb, fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(1, 2), (id, weights, coverage, hashVersion) => {
        const experiment = experimentWith(weights, coverage, { hashVersion });
        const first = assignExperiments([experiment], { profileId: id });
        const second = assignExperiments([structuredClone(experiment)], { profileId: id });
        expect(second).toEqual(first);
      }),
    );
  });

  it('shrinking coverage never moves a unit in the experiment to another variation', () => {
    fc.assert(
      fc.property(
        unitId,
        weightsArb,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (id, weights, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const [atLow] = assignExperiments([experimentWith(weights, low)], { profileId: id });
          const [atHigh] = assignExperiments([experimentWith(weights, high)], { profileId: id });
          if (atLow!.inExperiment) expect(atHigh!.variationIndex).toBe(atLow!.variationIndex);
        },
      ),
    );
  });

  it('namespaces: experiments on disjoint slices of one namespace never share a unit', () => {
    fc.assert(
      fc.property(unitId, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }), (id, cuts) => {
        const bounds = [0, ...[...cuts].sort((x, y) => x - y), 1];
        const slices = bounds.slice(1).map((end, i) => ['shared', bounds[i]!, end] as const);
        const inside = slices.filter((slice) => isInNamespace(id, slice)).length;
        expect(inside).toBeLessThanOrEqual(1);
        // The slices cover [0, 1), so every unit is in exactly one.
        expect(inside).toBe(1);
        const experiments = slices.map((namespace, i) => experimentWith([0.5, 0.5], 1, { key: `ns-${i}`, namespace }));
        const assigned = assignExperiments(experiments, { profileId: id }).filter((a) => a.inExperiment);
        expect(assigned).toHaveLength(1);
      }),
    );
  });

  it('sticky: once assigned, a unit keeps its variation through any change of weights and coverage', () => {
    fc.assert(
      fc.property(unitId, weightsArb, weightsArb, fc.double({ min: 0, max: 1, noNaN: true }), (id, before, after, coverage) => {
        const sticky: StickyAssignments = {};
        const [first] = assignExperiments([experimentWith(before, 1)], { profileId: id }, { sticky });
        const changed = after.length === before.length ? after : before.map(() => 1 / before.length);
        const [second] = assignExperiments([experimentWith(changed, coverage)], { profileId: id }, { sticky });
        expect(second!.variationIndex).toBe(first!.variationIndex);
        expect(second!.reason).toBe('sticky');
      }),
    );
  });
});
