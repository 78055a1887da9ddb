import * as z from 'zod';
import { moneySchema, textSchema } from './product';

/**
 * A shown offer's fate, reported by `@tailor/browser/decisions`, `<Offer>` and backends. Every one carries the
 * `decision_id` of the decision that chose the offer: contact policies (frequency caps, suppression after
 * dismissals), the decision log and off-policy evaluation join on it.
 */
const outcomeShape = {
  decision_id: textSchema,
  offer_id: textSchema,
  placement_id: textSchema,
  /** Slot, 1-based. */
  rank: z.number().int().min(1).optional(),
};

export const DECISION_EVENTS = Object.freeze({
  /** The offer was visible (≥ 50% of it for ≥ 1 s by default). */
  'Offer Viewed': z.looseObject(outcomeShape),
  'Offer Clicked': z.looseObject(outcomeShape),
  /** The person bought because of it; `value` is the revenue attributed. */
  'Offer Converted': z.looseObject({ ...outcomeShape, value: moneySchema.optional() }),
  'Offer Dismissed': z.looseObject(outcomeShape),
});
