/**
 * The browser's decision API (`@tailor/browser/decisions`), as UI bindings see it. `createDecisions(client)`
 * builds one; it decides on the device from the cached decision config and models, falls back to the
 * collector's `POST /v1/decide`, and re-decides when the person's on-device profile changes (a viewed
 * product, a cart update), so a placement's offers follow behaviour within the page view.
 */
import type { ExperimentAssignment } from '@tailor/core';

/** One offer chosen for a placement slot. */
export interface OfferItem {
  readonly offerId: string;
  /** 1 for the first slot. */
  readonly rank: number;
  readonly score: number;
  /** The exact probability this offer was shown in this slot (exploration), for off-policy evaluation. */
  readonly selectionProbability: number;
  /** Why it was chosen (rule and model reasons, `default`, `non-personalized`, ...). */
  readonly reasons: readonly string[];
  /** The offer's creative payload from the catalog (title, image, copy, link, ...). */
  readonly creative: Readonly<Record<string, unknown>>;
}

export type PlacementStatus = 'idle' | 'loading' | 'ready' | 'error';

/** What a placement shows now; replaced (never mutated) when it changes, so it works as a React snapshot. */
export interface PlacementState {
  readonly status: PlacementStatus;
  readonly offers: readonly OfferItem[];
  /** Undefined until the first decision. Outcomes must carry it. */
  readonly decisionId: string | undefined;
  /** Reasons of the decision as a whole (`no-consent: non-personalized`, `holdout`, `server-fallback`, ...). */
  readonly reasons: readonly string[];
  readonly error: Error | undefined;
  /** Where the decision was made. */
  readonly source: 'device' | 'server' | 'default' | undefined;
}

export type OutcomeType = 'impression' | 'click' | 'convert' | 'dismiss';

export interface OutcomeInput {
  readonly decisionId: string;
  readonly placementId: string;
  readonly offerId: string;
  readonly type: OutcomeType;
  /** Revenue for `convert`. */
  readonly value?: number;
}

export interface TailorDecisions {
  /**
   * Decides a placement now (device first, server fallback) and updates its snapshot. `context` is merged
   * into the decision context (page type, product, cart ...); its JSON is part of the snapshot key. Never rejects:
   * a failure yields `status: 'error'` with default offers where the config has them.
   */
  decide(placementId: string, context?: Readonly<Record<string, unknown>>): Promise<PlacementState>;
  /** The current state of a placement for a context, `idle` before the first `decide`. Stable between changes. */
  getPlacement(placementId: string, context?: Readonly<Record<string, unknown>>): PlacementState;
  /** Called whenever any placement's state or an experiment assignment changes. */
  subscribe(listener: () => void): () => void;
  /** Records an impression/click/convert/dismiss: tracked as an event and applied to the contact policies. */
  recordOutcome(outcome: OutcomeInput): void;
  /** The person's assignment in an experiment of the decision config (deterministic, sticky); undefined if unknown. */
  getExperiment(key: string): ExperimentAssignment | undefined;
  /** Fetches the decision config (and models) again, then re-decides every placement in use. */
  refresh(): Promise<void>;
  close(): void;
}

/** The state every placement starts in. */
export const IDLE_PLACEMENT: PlacementState = Object.freeze({
  status: 'idle',
  offers: Object.freeze([]) as readonly OfferItem[],
  decisionId: undefined,
  reasons: Object.freeze([]) as readonly string[],
  error: undefined,
  source: undefined,
});
