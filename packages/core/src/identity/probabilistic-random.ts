import type { RandomSource } from '../platform';

/**
 * A seeded pseudo-random source (mulberry32): the same seed gives the same sequence on every platform, so
 * u-sampling, EM and the synthetic generator are reproducible. Not for anything secret.
 *
 * @example
 * const random = createSeededRandom(42);
 * random.random(); // always the same first number for seed 42
 */
export function createSeededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return {
    random() {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** A uniform integer in [0, n). */
export function randomInt(random: RandomSource, n: number): number {
  return Math.floor(random.random() * n);
}
