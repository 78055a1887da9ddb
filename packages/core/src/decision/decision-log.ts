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

/** Candidates a trimmed record keeps besides the shown ones (the best scored first). */
const TRIMMED_CANDIDATES = 20;

/**
 * A record small enough to travel as an event (a decision made on a device, logged through the collector):
 * every shown candidate, the best-scored others, and for the excluded ones only a count per reason.
 */
export function trimDecisionLogRecord(record: DecisionLogRecord): DecisionLogRecord & { readonly excluded?: Readonly<Record<string, number>> } {
  const shown = record.candidates.filter((candidate) => candidate.status === 'shown');
  const passed = record.candidates
    .filter((candidate) => candidate.status === 'passed')
    .sort((a, b) => (b.score ?? 0) - (a.score ?? 0))
    .slice(0, TRIMMED_CANDIDATES);
  const excluded: Record<string, number> = {};
  for (const candidate of record.candidates) {
    if (candidate.status !== 'excluded') continue;
    const reason = (candidate.reason ?? 'excluded').split(':')[0] as string;
    excluded[reason] = (excluded[reason] ?? 0) + 1;
  }
  return { ...record, candidates: [...shown, ...passed], excluded };
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
