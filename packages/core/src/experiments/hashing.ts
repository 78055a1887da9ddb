// Deterministic bucketing, compatible with GrowthBook's SDKs: the same seed, unit and hash version put a
// unit in the same bucket here, in GrowthBook's JS/Python/Go SDKs and in a warehouse query, so an
// experiment can be analysed anywhere. The shared cases live in spec/experiments/hashing.v1.json.

/** A variation's slice of the unit interval: `[start, end)`. */
export type VariationRange = readonly [start: number, end: number];

/** A namespace slice: `[namespaceId, start, end)`. Experiments with disjoint slices of one namespace never share a unit. */
export type NamespaceRange = readonly [id: string, start: number, end: number];

/** The hash versions GrowthBook defines. */
export type HashVersion = 1 | 2;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * FNV-1a, 32 bits, over UTF-16 code units (what `charCodeAt` returns), as GrowthBook computes it.
 * Hashing code units rather than UTF-8 bytes is the compatibility requirement: a non-ASCII id must
 * land in the same bucket as in GrowthBook's JS SDK.
 *
 * @example fnv1a32('a') // 3826002220
 */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/**
 * A unit's position in [0, 1) for one seed, by GrowthBook's hash versions:
 * - v1: `fnv(value + seed) % 1000 / 1000` — the original; buckets of experiments whose seeds differ
 *   only at the end are correlated, so prefer v2 for new experiments;
 * - v2: `fnv(String(fnv(seed + value))) % 10000 / 10000` — re-hashing removes that correlation.
 *
 * Returns null for an unknown version (GrowthBook does the same), so a caller can skip the experiment.
 *
 * @example getBucket('seed', 'a', 2) // 0.0505
 */
export function getBucket(seed: string, value: string, version: number): number | null {
  if (version === 2) return (fnv1a32(String(fnv1a32(seed + value))) % 10000) / 10000;
  if (version === 1) return (fnv1a32(value + seed) % 1000) / 1000;
  return null;
}

/**
 * `n` equal weights summing to 1; none for `n ≤ 0`.
 * @example getEqualWeights(4) // [0.25, 0.25, 0.25, 0.25]
 */
export function getEqualWeights(n: number): number[] {
  if (!(n > 0)) return [];
  return new Array<number>(n).fill(1 / n);
}

/**
 * Each variation's range for `coverage` (clamped to [0, 1]) and `weights` (equal when missing, of
 * the wrong length, or not summing to 1 ± 0.01, as GrowthBook does).
 *
 * The ranges are cumulative over the weights and coverage only shortens each one from its start, so
 * lowering coverage never moves a unit from one variation to another: it only takes units out.
 *
 * @example getBucketRanges(2, 0.5) // [[0, 0.25], [0.5, 0.75]]
 */
export function getBucketRanges(numVariations: number, coverage = 1, weights?: readonly number[]): VariationRange[] {
  const clamped = coverage < 0 || Number.isNaN(coverage) ? 0 : coverage > 1 ? 1 : coverage;
  const effective = weights !== undefined && hasValidWeights(weights, numVariations) ? weights : getEqualWeights(numVariations);
  const ranges: VariationRange[] = [];
  let cumulative = 0;
  for (const weight of effective) {
    const start = cumulative;
    cumulative += weight;
    ranges.push([start, start + clamped * weight]);
  }
  return ranges;
}

function hasValidWeights(weights: readonly number[], numVariations: number): boolean {
  if (weights.length !== numVariations) return false;
  let total = 0;
  for (const weight of weights) total += weight;
  return total >= 0.99 && total <= 1.01;
}

/** Whether `n` falls in `[start, end)`. */
export function isInRange(n: number, range: VariationRange): boolean {
  return n >= range[0] && n < range[1];
}

/**
 * The index of the first range containing `n`, or -1 when none does (the unit is outside coverage).
 * @example chooseVariation(0.6, [[0, 0.25], [0.5, 0.75]]) // 1
 */
export function chooseVariation(n: number, ranges: readonly VariationRange[]): number {
  for (let i = 0; i < ranges.length; i++) {
    if (isInRange(n, ranges[i]!)) return i;
  }
  return -1;
}

/**
 * Whether a unit falls in a namespace slice: hash v1 with seed `__` + the namespace id, in `[start, end)`.
 * Every experiment in one namespace hashes the unit to the same point, so disjoint slices are exclusive.
 *
 * @example isInNamespace('1', ['namespace1', 0.4, 1]) // true
 */
export function isInNamespace(hashValue: string, namespace: NamespaceRange): boolean {
  const n = getBucket(`__${namespace[0]}`, hashValue, 1);
  return n !== null && n >= namespace[1] && n < namespace[2];
}
