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
