import type { DecisionLogRecord } from '../decision/decision-log';
import type { OutcomeRecord } from '../decision/outcome-record';
import { checkOpenRange } from './checks';
import type { LoggedInteraction } from './ope';

/**
 * What a target policy sees about one logged slot. Slots are filled one after another, and the logged
 * selection probability of slot k is conditional on slots 1..k−1, so the policy is asked the same
 * question: which offer for this slot, given what is already shown.
 */
export interface LoggedSlotContext {
  readonly decision: DecisionLogRecord;
  readonly placementId: string;
  /** 1-based. */
  readonly rank: number;
  /** Offers already shown in earlier slots of this placement. */
  readonly shownBefore: readonly string[];
  /** Offers that qualified for the placement (shown or passed over), earlier slots included. */
  readonly eligible: readonly string[];
}

/** `click`/`convert`: 1 if the outcome happened, else 0. `value`: the summed value of conversions. */
export type OutcomeReward = 'click' | 'convert' | 'value';

export interface ToLoggedInteractionsOptions {
  readonly reward: OutcomeReward;
  /** Outcomes later than this after the decision are not credited to it. Unlimited by default. */
  readonly attributionWindowMs?: number;
  /** Only slots up to this rank (1: the top slot of each placement). All by default. */
  readonly maxRank?: number;
}

function key(decisionId: string, placementId: string, offerId: string): string {
  return `${decisionId}\u0000${placementId}\u0000${offerId}`;
}

/**
 * Turns decision log records and their outcomes into (context, action, propensity, reward) rows for
 * {@link evaluatePolicy}: one row per shown item, with the item's logged `selectionProbability` as the
 * propensity. Only outcomes for the same decision, placement and offer, within the attribution window,
 * count. Records of one decision should be passed once.
 *
 * @example
 * const rows = toLoggedInteractions(decisionLog, outcomeLog, { reward: 'convert', attributionWindowMs: 86_400_000 });
 * evaluatePolicy(rows, (x) => [{ action: x.eligible[0] as string, probability: 1 }]);
 */
export function toLoggedInteractions(
  decisions: Iterable<DecisionLogRecord>,
  outcomes: Iterable<OutcomeRecord>,
  options: ToLoggedInteractionsOptions,
): LoggedInteraction<LoggedSlotContext>[] {
  const window = options.attributionWindowMs ?? Number.POSITIVE_INFINITY;
  if (options.attributionWindowMs !== undefined) checkOpenRange('toLoggedInteractions', 'attributionWindowMs', window, 0, Number.POSITIVE_INFINITY);
  const maxRank = options.maxRank ?? Number.POSITIVE_INFINITY;
  const wanted = options.reward === 'click' ? 'click' : 'convert';

  const byItem = new Map<string, OutcomeRecord[]>();
  for (const outcome of outcomes) {
    if (outcome.type !== wanted) continue;
    const k = key(outcome.decisionId, outcome.placementId, outcome.offerId);
    const list = byItem.get(k);
    if (list) list.push(outcome);
    else byItem.set(k, [outcome]);
  }

  const rows: LoggedInteraction<LoggedSlotContext>[] = [];
  for (const decision of decisions) {
    const credited = (outcome: OutcomeRecord) => outcome.timestamp >= decision.timestamp && outcome.timestamp - decision.timestamp <= window;
    for (const placement of decision.placements) {
      const eligible = decision.candidates
        .filter((candidate) => candidate.placementId === placement.placementId && candidate.status !== 'excluded')
        .map((candidate) => candidate.offerId);
      const items = [...placement.items].sort((a, b) => a.rank - b.rank);
      const shownBefore: string[] = [];
      for (const item of items) {
        if (item.rank > maxRank) break;
        const matched = (byItem.get(key(decision.decisionId, placement.placementId, item.offerId)) ?? []).filter(credited);
        const reward = options.reward === 'value' ? matched.reduce((total, outcome) => total + (outcome.value ?? 0), 0) : matched.length > 0 ? 1 : 0;
        rows.push({
          context: { decision, placementId: placement.placementId, rank: item.rank, shownBefore: [...shownBefore], eligible },
          action: item.offerId,
          propensity: item.selectionProbability,
          reward,
        });
        shownBefore.push(item.offerId);
      }
    }
  }
  return rows;
}
