import { checkOpenRange } from './checks';

/**
 * Always-valid ("anytime") intervals, so an experiment can be looked at every day without inflating its
 * error rate: a confidence sequence covers the true value at every sample size simultaneously with
 * probability ≥ 1 − α.
 *
 * The boundary is the two-sided normal mixture of Robbins, as in Howard, Ramdas, McAuliffe & Sekhon,
 * "Time-uniform, nonparametric, nonasymptotic confidence sequences" (Ann. Statist. 2021). Mixing the
 * martingale exp(λSₙ − λ²Vₙ/2) over λ ~ N(0, 1/ρ) gives √(ρ/(V+ρ)) · exp(S²/(2(V+ρ))); Ville's
 * inequality at level 1/α then bounds |Sₙ| by
 *
 *     √( (Vₙ + ρ) · ln((Vₙ + ρ) / (ρ α²)) )   for all n at once.
 *
 * With Vₙ = n σ² (a sum of n units of variance σ²) and ρ measured in units (ρ σ²), dividing by n gives
 * the half-width around a mean in terms of its fixed-horizon standard error se = σ/√n:
 *
 *     half-width = se · √( (1 + ρ/n) · ln((n + ρ) / (ρ α²)) ).
 *
 * Plugging in the estimated variance (and the delta-method standard error of a lift) makes this the
 * asymptotic confidence sequence of Waudby-Smith et al. (2023), which is what experimentation platforms
 * use. ρ sets the sample size where the sequence is tightest; {@link tuneConfidenceSequence} picks it.
 */

/**
 * ρ (in units) that makes the confidence sequence narrowest at `tuningSize` units: with u = (n + ρ)/ρ,
 * setting the derivative of the half-width to 0 gives u − ln u = 1 − 2 ln α, solved here by Newton.
 *
 * @example
 * tuneConfidenceSequence(10_000, 0.05) // ≈ 1217.7 (u ≈ 9.21)
 */
export function tuneConfidenceSequence(tuningSize: number, alpha = 0.05): number {
  checkOpenRange('tuneConfidenceSequence', 'alpha', alpha, 0, 1);
  checkOpenRange('tuneConfidenceSequence', 'tuningSize', tuningSize, 0, Number.POSITIVE_INFINITY);
  const target = 1 - 2 * Math.log(alpha);
  let u = target + Math.log(target);
  for (let i = 0; i < 50; i++) {
    const step = (u - Math.log(u) - target) / (1 - 1 / u);
    u -= step;
    if (Math.abs(step) < 1e-14 * u) break;
  }
  return tuningSize / (u - 1);
}

/**
 * How many standard errors wide (each side) the confidence sequence is after `n` units, where a
 * fixed-horizon interval would use z₁₋α/₂.
 *
 * @example
 * sequentialMultiplier(10_000, 0.05, tuneConfidenceSequence(10_000)) // ≈ 3.04, vs 1.96 fixed
 */
export function sequentialMultiplier(n: number, alpha: number, rho: number): number {
  if (!(n > 0) || !(rho > 0)) return Number.NaN;
  return Math.sqrt((1 + rho / n) * Math.log((n + rho) / (rho * alpha * alpha)));
}

/**
 * The always-valid p-value of an estimate z standard errors from 0 after `n` units: the smallest α whose
 * confidence sequence excludes 0, i.e. 1 / (the mixture martingale) = √((n + ρ)/ρ) · e^(−z² n / (2(n + ρ))).
 *
 * @example
 * alwaysValidPValue(3, 10_000, tuneConfidenceSequence(10_000)) // ≈ 0.055 (fixed-horizon: 0.0027)
 */
export function alwaysValidPValue(z: number, n: number, rho: number): number {
  if (!(n > 0) || !(rho > 0) || Number.isNaN(z)) return Number.NaN;
  return Math.min(1, Math.sqrt((n + rho) / rho) * Math.exp((-z * z * n) / (2 * (n + rho))));
}
