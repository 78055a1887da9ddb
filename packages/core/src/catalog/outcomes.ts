/**
 * Outcome type (as decisions record it) → the track event that reports it. Kept apart from the zod schemas
 * of those events (`decisioning.ts`) so on-device decisions can name the events without shipping zod.
 */
export const OUTCOME_EVENTS = Object.freeze({ impression: 'Offer Viewed', click: 'Offer Clicked', convert: 'Offer Converted', dismiss: 'Offer Dismissed' } as const);
