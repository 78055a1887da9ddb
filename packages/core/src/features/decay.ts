import type { AffinityState, DecayedSum } from './types';

export const DAY_MS = 86_400_000;

// A decayed sum is Σ amountᵢ · 2^(−(t − tᵢ) / halfLife). It is stored as its value at a reference time
// and decayed only when read or when a newer amount arrives, so reading never changes the state, and
// the result does not depend on the order amounts arrive in: a late amount is decayed to the reference
// time before it is added. (Equal up to floating-point rounding, ~1e-12 relative.)

/** 2^(−elapsed / halfLife); `Math.exp` is several times faster than `**` with a fractional exponent. */
function decayFactor(elapsedMs: number, halfLifeMs: number): number {
  return Math.exp((-Math.LN2 * elapsedMs) / halfLifeMs);
}

export function createDecayedSum(): DecayedSum {
  return { value: 0, at: 0 };
}

/** Adds `amount` at time `at` (epoch ms). */
export function addDecayed(sum: DecayedSum, amount: number, at: number, halfLifeMs: number): void {
  if (sum.value === 0) {
    sum.value = amount;
    sum.at = at;
  } else if (at >= sum.at) {
    sum.value = sum.value * decayFactor(at - sum.at, halfLifeMs) + amount;
    sum.at = at;
  } else {
    sum.value += amount * decayFactor(sum.at - at, halfLifeMs);
  }
}

/**
 * The sum's value at `now`. A state holding amounts later than `now` is read as of its reference time
 * (no growth backwards in time); point-in-time reads for training go through `foldFeatures` instead.
 */
export function readDecayed(sum: DecayedSum, now: number, halfLifeMs: number): number {
  return now > sum.at ? sum.value * decayFactor(now - sum.at, halfLifeMs) : sum.value;
}

/**
 * Adds `amount` to `key`'s score, keeping at most `maxKeys` keys: a new key replaces the weakest one
 * (compared at the latest reference time) when it would score higher, and is dropped otherwise. The
 * total counts every amount, so a share stays a share of all activity.
 */
export function addAffinity(state: AffinityState, key: string, amount: number, at: number, halfLifeMs: number, maxKeys: number): void {
  addDecayed(state.total, amount, at, halfLifeMs);
  const existing = Object.hasOwn(state.keys, key) ? state.keys[key] : undefined;
  if (existing !== undefined) {
    addDecayed(existing, amount, at, halfLifeMs);
    return;
  }
  const keys = Object.keys(state.keys);
  if (keys.length >= maxKeys) {
    let reference = at;
    for (const k of keys) reference = Math.max(reference, state.keys[k]!.at);
    let weakest = '';
    let weakestScore = Infinity;
    for (const k of keys) {
      const score = readDecayed(state.keys[k]!, reference, halfLifeMs);
      // Ties go to the alphabetically first key, so the outcome does not depend on insertion order.
      if (score < weakestScore || (score === weakestScore && k < weakest)) {
        weakest = k;
        weakestScore = score;
      }
    }
    if (amount * decayFactor(reference - at, halfLifeMs) <= weakestScore) return;
    delete state.keys[weakest];
  }
  state.keys[key] = { value: amount, at };
}
