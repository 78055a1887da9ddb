import * as z from 'zod';
import type { CandidateRecord, DecisionMode, DecisionRequest, DecisionResponse } from './decide';
import type { SelectionKind } from './exploration';
import type { ExperimentAssignment } from './types';

/**
 * One decision as off-policy evaluation and bandit learning need it later: every candidate with its
 * exclusion reason or score parts, what was shown with the exact probability it was selected, and the
 * policy, model, config and experiment that produced it.
 */
export interface DecisionLogRecord {
  readonly type: 'decision';
  readonly schemaVersion: 1;
  readonly decisionId: string;
  /** Epoch ms: the request's `now`. */
  readonly timestamp: number;
  /** Only with personalization consent: without it the decision used no profile and logs none. */
  readonly profileId?: string;
  readonly consent: { readonly personalization: boolean };
  readonly mode: DecisionMode;
  readonly context: Readonly<Record<string, unknown>>;
  readonly configVersion: string;
  readonly configHash: string;
  readonly policy: DecisionResponse['policy'];
  readonly models: DecisionResponse['models'];
  readonly experiments: readonly ExperimentAssignment[];
  readonly placements: readonly {
    readonly placementId: string;
    readonly requestedSlots?: number;
    readonly items: readonly {
      readonly offerId: string;
      readonly rank: number;
      readonly score: number;
      readonly selectionProbability: number;
      readonly selection: SelectionKind | 'default';
    }[];
  }[];
  readonly candidates: readonly CandidateRecord[];
}

/**
 * Builds the log record of a decision from what {@link decideWithCandidates} returned.
 *
 * @example
 * const { response, candidates } = decideWithCandidates(request, inputs);
 * log.write(toDecisionLogRecord(request, response, candidates, { profileId: profile.id }));
 */
export function toDecisionLogRecord(
  request: DecisionRequest,
  response: DecisionResponse,
  candidates: readonly CandidateRecord[],
  options: { readonly profileId?: string } = {},
): DecisionLogRecord {
  const selection = new Map<string, SelectionKind | 'default'>();
  for (const candidate of candidates) {
    if (candidate.status === 'shown' && candidate.selection) selection.set(`${candidate.placementId}\u0000${candidate.offerId}`, candidate.selection);
  }
  const personalized = request.consent.personalization === true;
  return {
    type: 'decision',
    schemaVersion: 1,
    decisionId: response.decisionId,
    timestamp: request.now,
    ...(personalized && options.profileId !== undefined && { profileId: options.profileId }),
    consent: { personalization: personalized },
    mode: response.policy.mode,
    context: request.context ?? {},
    configVersion: response.configVersion,
    configHash: response.configHash,
    policy: response.policy,
    models: response.models,
    experiments: response.experiments,
    placements: response.placements.map((placement) => {
      const asked = request.placements.find((ask) => ask.id === placement.placementId);
      return {
        placementId: placement.placementId,
        ...(asked?.slots !== undefined && { requestedSlots: asked.slots }),
        items: placement.items.map((item) => ({
          offerId: item.offerId,
          rank: item.rank,
          score: item.score,
          selectionProbability: item.selectionProbability,
          selection: selection.get(`${placement.placementId}\u0000${item.offerId}`) ?? (item.reasons[0] === 'default' ? 'default' : 'greedy'),
        })),
      };
    }),
    candidates,
  };
}

export const OUTCOME_TYPES = ['impression', 'click', 'convert', 'dismiss'] as const;
export type OutcomeType = (typeof OUTCOME_TYPES)[number];

/**
 * What happened after a decision, reported by the client with the decisionId: feeds contact policies
 * (impressions, dismissals) and the decision log (rewards).
 */
export const outcomeRecordSchema = z.object({
  type: z.enum(OUTCOME_TYPES),
  decisionId: z.string().min(1).max(128),
  offerId: z.string().min(1).max(256),
  placementId: z.string().min(1).max(256),
  /** Epoch ms. */
  timestamp: z.number().int().min(0),
  /** Revenue or margin of a conversion. */
  value: z.number().optional(),
});

export type OutcomeRecord = z.output<typeof outcomeRecordSchema>;
