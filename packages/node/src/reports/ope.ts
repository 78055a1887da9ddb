import {
  evaluatePolicy,
  toLoggedInteractions,
  type ActionProbability,
  type DecisionLogRecord,
  type LoggedSlotContext,
  type OutcomeRecord,
  type OutcomeReward,
  type PolicyEvaluation,
  type SegmentEvent,
  type TargetPolicy,
} from '@tailor/core';
import * as z from 'zod';

/** The outcome events OPE credits, by the outcome type decisions record. */
const OUTCOME_OF_EVENT: Readonly<Record<string, OutcomeRecord['type']>> = { 'Offer Clicked': 'click', 'Offer Converted': 'convert' };

/** A candidate policy given as a file: selection weights by offer id (offers left out get 0). */
export const weightsPolicySchema = z.strictObject({ weights: z.record(z.string(), z.number().min(0).refine(Number.isFinite, 'must be finite')) });

/**
 * The candidate policy to evaluate:
 * - `greedy`: the qualified offer with the highest logged score (the engine without exploration);
 * - `uniform`: every qualified offer alike;
 * - `weights`: offers in proportion to the given weights (uniform when all qualified offers have 0).
 * Offers already shown in earlier slots of the placement are never chosen again.
 */
export type CandidatePolicy = { readonly kind: 'greedy' } | { readonly kind: 'uniform' } | { readonly kind: 'weights'; readonly weights: Readonly<Record<string, number>> };

export interface OpeReport {
  readonly policy: string;
  readonly reward: OutcomeReward;
  readonly decisions: number;
  readonly rows: number;
  /** Mean reward per logged slot under the logging policy (what actually happened). */
  readonly logged: number;
  readonly evaluation: PolicyEvaluation;
}

/** Turns `Offer Clicked` / `Offer Converted` track events into the outcome records OPE joins on. */
export function toOutcomeRecord(event: SegmentEvent, receivedAt: number): OutcomeRecord | undefined {
  if (event.type !== 'track') return undefined;
  const type = OUTCOME_OF_EVENT[(event as { event?: string }).event ?? ''];
  if (type === undefined) return undefined;
  const p = ((event as { properties?: Record<string, unknown> }).properties ?? {}) as Record<string, unknown>;
  if (typeof p.decision_id !== 'string' || typeof p.offer_id !== 'string' || typeof p.placement_id !== 'string') return undefined;
  const stamp = typeof (event as { timestamp?: unknown }).timestamp === 'string' ? Date.parse((event as { timestamp: string }).timestamp) : Number.NaN;
  return {
    type,
    decisionId: p.decision_id,
    offerId: p.offer_id,
    placementId: p.placement_id,
    timestamp: Number.isFinite(stamp) ? stamp : receivedAt,
    ...(typeof p.value === 'number' && Number.isFinite(p.value) ? { value: p.value } : {}),
  };
}

function targetPolicy(policy: CandidatePolicy): TargetPolicy<LoggedSlotContext> {
  return (slot) => {
    const open = slot.eligible.filter((offer) => !slot.shownBefore.includes(offer));
    if (open.length === 0) return [];
    if (policy.kind === 'greedy') {
      let best: string | undefined;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (const candidate of slot.decision.candidates) {
        if (candidate.placementId !== slot.placementId || !open.includes(candidate.offerId)) continue;
        const score = candidate.score ?? Number.NEGATIVE_INFINITY;
        if (score > bestScore) [best, bestScore] = [candidate.offerId, score];
      }
      return best === undefined ? [] : [{ action: best, probability: 1 }];
    }
    const weights = open.map((offer) => (policy.kind === 'weights' ? (Object.hasOwn(policy.weights, offer) ? (policy.weights[offer] as number) : 0) : 1));
    const total = weights.reduce((a, b) => a + b, 0);
    return open.map((offer, i): ActionProbability => ({ action: offer, probability: total > 0 ? (weights[i] as number) / total : 1 / open.length }));
  };
}

/**
 * IPS, self-normalized IPS and doubly robust estimates of a candidate policy's mean reward per slot, from
 * logged decisions and their outcome events. DR's reward model is each (placement, offer)'s mean logged
 * reward: crude, but it only has to reduce variance; DR stays unbiased through the logged propensities.
 *
 * @example
 * reportOpe(decisionLog.scan({ sourceId }), outcomes, { kind: 'greedy' }, { reward: 'convert' });
 */
export function reportOpe(
  decisions: Iterable<DecisionLogRecord>,
  outcomes: Iterable<OutcomeRecord>,
  policy: CandidatePolicy,
  options: { readonly reward: OutcomeReward; readonly attributionWindowMs?: number; readonly maxRank?: number; readonly clip?: number },
): OpeReport {
  const records = [...decisions];
  const rows = toLoggedInteractions(records, outcomes, {
    reward: options.reward,
    ...(options.attributionWindowMs === undefined ? {} : { attributionWindowMs: options.attributionWindowMs }),
    ...(options.maxRank === undefined ? {} : { maxRank: options.maxRank }),
  });
  const sums = new Map<string, { n: number; sum: number }>();
  for (const row of rows) {
    const key = `${row.context.placementId}\u0000${row.action}`;
    const entry = sums.get(key) ?? { n: 0, sum: 0 };
    entry.n++;
    entry.sum += row.reward;
    sums.set(key, entry);
  }
  const logged = rows.length > 0 ? rows.reduce((total, row) => total + row.reward, 0) / rows.length : Number.NaN;
  const rewardModel = (slot: LoggedSlotContext, action: string) => {
    const entry = sums.get(`${slot.placementId}\u0000${action}`);
    return entry === undefined ? (Number.isFinite(logged) ? logged : 0) : entry.sum / entry.n;
  };
  const evaluation = evaluatePolicy(rows, targetPolicy(policy), { rewardModel, ...(options.clip === undefined ? {} : { clip: options.clip }) });
  return { policy: policy.kind, reward: options.reward, decisions: records.length, rows: rows.length, logged, evaluation };
}

const num = (value: number, digits = 4) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export function formatOpeReport(report: OpeReport): string {
  const lines = [
    `off-policy evaluation of the ${report.policy} policy (reward: ${report.reward})`,
    `  ${report.decisions} decisions, ${report.rows} shown slots; logged policy's mean reward ${num(report.logged)}`,
  ];
  for (const estimate of [report.evaluation.ips, report.evaluation.snips, report.evaluation.dr]) {
    if (estimate === undefined) continue;
    lines.push(
      `  ${estimate.estimator.toUpperCase().padEnd(6)} ${num(estimate.value)} [${num(estimate.lower)}, ${num(estimate.upper)}]  effective n ${num(estimate.effectiveSampleSize, 0)}, max weight ${num(estimate.maxWeight, 1)}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}
