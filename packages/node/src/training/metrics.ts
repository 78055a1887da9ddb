import {
  auc as coreAuc,
  brierScore as coreBrier,
  createReferenceBins,
  expectedCalibrationError as coreEce,
  fitPlatt,
  liftAtTop as coreLift,
  logLoss as coreLogLoss,
  reliabilityTable as coreReliability,
  type LiftPoint,
  type ReferenceBins,
  type ReliabilityBin,
} from '@tailor/core';
import { sigmoid } from './model';

/**
 * The evaluation numbers `tailor train` reports, from core's statistics (the same functions the drift and
 * experiment reports use), with the call shapes the trainer uses.
 */
export { createReferenceBins, type LiftPoint, type ReferenceBins, type ReliabilityBin };

export const auc = (labels: ArrayLike<number>, scores: ArrayLike<number>): number => coreAuc(labels, scores);
export const logLoss = (labels: ArrayLike<number>, probabilities: ArrayLike<number>): number => coreLogLoss(labels, probabilities);
export const brierScore = (labels: ArrayLike<number>, probabilities: ArrayLike<number>): number => coreBrier(labels, probabilities);
export const reliabilityTable = (labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins = 10): ReliabilityBin[] => coreReliability(labels, probabilities, { bins });
export const expectedCalibrationError = (labels: ArrayLike<number>, probabilities: ArrayLike<number>, bins = 10): number => coreEce(labels, probabilities, { bins });
export const liftAtTop = (labels: ArrayLike<number>, scores: ArrayLike<number>, fraction: number): LiftPoint => coreLift(labels, scores, fraction);

/**
 * Platt scaling on margins, `p = σ(a · margin + c)`: core's `fitPlatt` works on the logit of probabilities,
 * which for σ(margin) is the margin itself.
 */
export function fitPlattOnMargins(labels: ArrayLike<number>, margins: ArrayLike<number>): { a: number; c: number } {
  const probabilities = Float64Array.from({ length: margins.length }, (_, i) => sigmoid(margins[i] as number));
  const { params } = fitPlatt(labels, probabilities);
  return { a: params.a, c: params.b };
}
