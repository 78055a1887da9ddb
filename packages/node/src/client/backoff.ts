import type { AbortSignalLike, Timers } from '@tailor/core';

export { MAX_RETRY_AFTER_MS, backoffDelay, parseRetryAfter } from '@tailor/core';

/** Resolves after `ms` on the platform's timers (fake timers work), or early with false when `signal` aborts. */
export function sleep(timers: Timers, ms: number, signal?: AbortSignalLike): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const onAbort = () => {
      timers.clearTimeout(handle);
      resolve(false);
    };
    const handle = timers.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort);
  });
}
