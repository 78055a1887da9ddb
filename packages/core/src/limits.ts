/**
 * The Segment HTTP API limits, which Tailor keeps so existing clients behave the same against it.
 * Sizes are UTF-8 bytes of the JSON encoding.
 */
export const SEGMENT_LIMITS = {
  maxEventBytes: 32 * 1024,
  maxBatchBytes: 500 * 1024,
  maxBatchEvents: 2_500,
  /** Segment requires messageId to be shorter than 100 characters. */
  maxMessageIdLength: 99,
} as const;

export type SegmentLimits = { readonly [K in keyof typeof SEGMENT_LIMITS]: number };

/**
 * Tailor's own limits on top of Segment's. Retail events nest a few levels (properties → products → item);
 * anything much deeper is a bug or an attack, and would cost every consumer recursion depth.
 */
export const TAILOR_LIMITS = {
  maxEventDepth: 32,
} as const;
