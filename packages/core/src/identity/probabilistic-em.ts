/**
 * Parameter estimation for Fellegi–Sunter, as Splink does it: u from random pairs, m by expectation–
 * maximisation over blocked pairs with u held fixed, each comparison level counted once per distinct
 * pattern of levels (a pair is a vector γ of level indexes; −1 where the comparison is null).
 */

/** Floor for m and u so that a level never seen in a sample does not give an infinite weight. */
export const MIN_PROBABILITY = 1e-6;

/** Distinct γ vectors and how many pairs had each. */
export class PatternCounts {
  readonly #radix: number[];
  readonly #counts = new Map<number, number>();
  readonly width: number;
  #pairs = 0;

  constructor(levelCounts: readonly number[]) {
    this.width = levelCounts.length;
    let radix = 1;
    this.#radix = levelCounts.map((levels) => {
      const current = radix;
      radix *= levels + 1;
      return current;
    });
    if (radix > Number.MAX_SAFE_INTEGER) throw new RangeError('too many comparison levels to encode a pattern');
  }

  get pairs(): number {
    return this.#pairs;
  }

  add(gamma: ArrayLike<number>): void {
    let code = 0;
    for (let k = 0; k < this.width; k++) code += ((gamma[k] as number) + 1) * (this.#radix[k] as number);
    this.#counts.set(code, (this.#counts.get(code) ?? 0) + 1);
    this.#pairs++;
  }

  /** Decoded patterns with their counts. */
  entries(): { gamma: Int8Array; count: number }[] {
    return [...this.#counts].map(([code, count]) => {
      const gamma = new Int8Array(this.width);
      for (let k = this.width - 1; k >= 0; k--) {
        const radix = this.#radix[k] as number;
        const digit = Math.floor(code / radix);
        gamma[k] = digit - 1;
        code -= digit * radix;
      }
      return { gamma, count };
    });
  }
}

export interface EmOptions {
  readonly maxIterations?: number;
  /** Stop when no m and not λ moves by more than this. */
  readonly tolerance?: number;
  /** Per comparison: false to leave its m untouched and ignore it in the likelihood (it was blocked on). */
  readonly active?: readonly boolean[];
  /** Hold m fixed and estimate λ only. */
  readonly lambdaOnly?: boolean;
}

export interface EmResult {
  readonly m: number[][];
  readonly lambda: number;
  readonly iterations: number;
  readonly converged: boolean;
  /** Expected number of matching pairs among the patterns: λ × pairs. */
  readonly expectedMatches: number;
  /** Per comparison: true when its m was estimated (active, and non-null on some pair). */
  readonly estimated: boolean[];
  /** Per comparison: expected matching pairs among the pairs where it is not null. */
  readonly expectedNonNull: number[];
}

/**
 * Expectation–maximisation of m and λ over pattern counts with u fixed. Returns new arrays; inputs are
 * not modified.
 */
export function runEm(
  patterns: readonly { gamma: Int8Array; count: number }[],
  initialM: readonly (readonly number[])[],
  u: readonly (readonly number[])[],
  initialLambda: number,
  options: EmOptions = {},
): EmResult {
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-6;
  const width = initialM.length;
  const active = options.active ?? initialM.map(() => true);
  let m = initialM.map((levels) => [...levels]);
  let lambda = Math.min(1 - 1e-9, Math.max(1e-9, initialLambda));
  const logU = u.map((levels) => levels.map((p) => Math.log(Math.max(p, MIN_PROBABILITY))));
  let total = 0;
  for (const pattern of patterns) total += pattern.count;
  const estimated = initialM.map(() => false);
  let expectedNonNull = initialM.map(() => 0);
  if (total === 0) return { m, lambda, iterations: 0, converged: true, expectedMatches: 0, estimated, expectedNonNull };
  let iterations = 0;
  let converged = false;
  let expected = 0;
  while (iterations < maxIterations && !converged) {
    iterations++;
    const logM = m.map((levels) => levels.map((p) => Math.log(Math.max(p, MIN_PROBABILITY))));
    const numerators = m.map((levels) => levels.map(() => 0));
    const denominators = new Float64Array(width);
    const nonNull = new Float64Array(width);
    expected = 0;
    const logPrior = Math.log(lambda) - Math.log(1 - lambda);
    for (const { gamma, count } of patterns) {
      let logRatio = logPrior;
      for (let k = 0; k < width; k++) {
        const level = gamma[k] as number;
        if (level < 0 || active[k] !== true) continue;
        logRatio += ((logM[k] as number[])[level] as number) - ((logU[k] as number[])[level] as number);
      }
      const p = 1 / (1 + Math.exp(-logRatio));
      const weighted = p * count;
      expected += weighted;
      for (let k = 0; k < width; k++) if ((gamma[k] as number) >= 0) nonNull[k] = (nonNull[k] as number) + weighted;
      if (options.lambdaOnly) continue;
      for (let k = 0; k < width; k++) {
        const level = gamma[k] as number;
        if (level < 0 || active[k] !== true) continue;
        (numerators[k] as number[])[level] = ((numerators[k] as number[])[level] as number) + weighted;
        denominators[k] = (denominators[k] as number) + weighted;
      }
    }
    expectedNonNull = Array.from(nonNull);
    const nextLambda = Math.min(1 - 1e-9, Math.max(1e-9, expected / total));
    let delta = Math.abs(nextLambda - lambda);
    if (!options.lambdaOnly) {
      const next = m.map((levels, k) => {
        const denominator = denominators[k] as number;
        if (active[k] !== true || denominator <= 0) return levels;
        estimated[k] = true;
        return levels.map((_, l) => Math.max(MIN_PROBABILITY, ((numerators[k] as number[])[l] as number) / denominator));
      });
      for (let k = 0; k < width; k++) {
        for (let l = 0; l < (m[k] as number[]).length; l++) {
          delta = Math.max(delta, Math.abs(((next[k] as number[])[l] as number) - ((m[k] as number[])[l] as number)));
        }
      }
      m = next;
    }
    lambda = nextLambda;
    converged = delta < tolerance;
  }
  return { m, lambda, iterations, converged, expectedMatches: expected, estimated, expectedNonNull };
}

/** Starting m for EM (and the m of an untrained matcher): most mass on the top level, 5% on "else". */
export function initialM(levels: number): number[] {
  if (levels < 2) return [1];
  const head = Array.from({ length: levels - 1 }, (_, l) => 0.5 ** l);
  const sum = head.reduce((a, b) => a + b, 0);
  return [...head.map((value) => (0.95 * value) / sum), 0.05];
}

/** Most of u's mass stays on "else" in {@link initialU}, however many levels a comparison has. */
const MAX_INITIAL_AGREEMENT = 0.5;

/**
 * u of an untrained matcher: rare agreement, most mass on "else". The agreement levels double from 1%
 * and together take at most half the mass (scaled down when there are seven or more of them): unscaled,
 * a ladder of eight levels (a first name's) would sum past 1 and leave "else" at the floor, so that two
 * different first names counted as 15 bits of evidence for a match.
 */
export function initialU(levels: number): number[] {
  if (levels < 2) return [1];
  const head = Array.from({ length: levels - 1 }, (_, l) => 0.01 * 2 ** l);
  const sum = head.reduce((a, b) => a + b, 0);
  const scale = Math.min(1, MAX_INITIAL_AGREEMENT / sum);
  return [...head.map((value) => value * scale), 1 - sum * scale];
}
