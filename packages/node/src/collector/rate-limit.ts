/**
 * A token bucket per key: `perSecond` tokens are added each second up to `burst`; each request takes one.
 * When empty, `take` says how long until a token is back, for `Retry-After`.
 */
export interface RateLimiter {
  /** 0 when allowed; otherwise the milliseconds until the next token. */
  take(key: string, now: number, cost?: number): number;
}

export function createRateLimiter(limits: (key: string) => { perSecond: number; burst: number }): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, now, cost = 1) {
      const { perSecond, burst } = limits(key);
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        bucket = { tokens: burst, at: now };
        buckets.set(key, bucket);
      }
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
      bucket.at = now;
      if (bucket.tokens >= cost) {
        bucket.tokens -= cost;
        return 0;
      }
      return Math.ceil(((cost - bucket.tokens) / perSecond) * 1000);
    },
  };
}
