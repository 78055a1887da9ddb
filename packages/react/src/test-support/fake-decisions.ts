import { IDLE_PLACEMENT, type OfferItem, type OutcomeInput, type PlacementState, type TailorDecisions } from '@tailor/browser/decisions';
import type { ExperimentAssignment } from '@tailor/core';

/** A `TailorDecisions` the test drives by hand: `decide` waits until the test calls `answer`. */
export interface FakeDecisions extends TailorDecisions {
  readonly decided: { placement: string; context: Readonly<Record<string, unknown>> | undefined }[];
  readonly outcomes: OutcomeInput[];
  /** Settles the pending (or a fresh) decision of a placement with these offer ids. */
  answer(placement: string, context: Readonly<Record<string, unknown>> | undefined, offerIds: readonly string[], decisionId: string): void;
  setExperiment(assignment: ExperimentAssignment): void;
  listenerCount(): number;
}

export function offerItem(offerId: string, rank = 1): OfferItem {
  return Object.freeze({ offerId, rank, score: 1, selectionProbability: 1, reasons: ['test'], creative: { title: `Offer ${offerId}` } });
}

const keyOf = (placement: string, context: unknown) => `${placement}\u0000${JSON.stringify(context ?? null)}`;

export function createFakeDecisions(): FakeDecisions {
  const states = new Map<string, PlacementState>();
  const pending = new Map<string, { promise: Promise<PlacementState>; resolve: (state: PlacementState) => void }>();
  const listeners = new Set<() => void>();
  const experiments = new Map<string, ExperimentAssignment>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  const decided: FakeDecisions['decided'] = [];
  const outcomes: OutcomeInput[] = [];

  return {
    decided,
    outcomes,
    decide(placement, context) {
      decided.push({ placement, context });
      const key = keyOf(placement, context);
      const running = pending.get(key);
      if (running !== undefined) return running.promise;
      let resolve!: (state: PlacementState) => void;
      const promise = new Promise<PlacementState>((done) => (resolve = done));
      pending.set(key, { promise, resolve });
      states.set(key, Object.freeze({ ...(states.get(key) ?? IDLE_PLACEMENT), status: 'loading' as const }));
      notify();
      return promise;
    },
    getPlacement: (placement, context) => states.get(keyOf(placement, context)) ?? IDLE_PLACEMENT,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    recordOutcome: (outcome) => void outcomes.push(outcome),
    getExperiment: (key) => experiments.get(key),
    refresh: async () => {},
    close: () => listeners.clear(),
    answer(placement, context, offerIds, decisionId) {
      const key = keyOf(placement, context);
      const state: PlacementState = Object.freeze({
        status: 'ready',
        offers: Object.freeze(offerIds.map((id, index) => offerItem(id, index + 1))),
        decisionId,
        reasons: Object.freeze(['test']),
        error: undefined,
        source: 'device',
      });
      states.set(key, state);
      const running = pending.get(key);
      pending.delete(key);
      notify();
      running?.resolve(state);
    },
    setExperiment(assignment) {
      experiments.set(assignment.experimentKey, assignment);
      notify();
    },
    listenerCount: () => listeners.size,
  };
}
