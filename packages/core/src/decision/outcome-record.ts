import * as z from 'zod';

/** What happened to a shown offer. */
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
