/** What counts as "seen": the IAB/MRC display viewability rule by default (half the element, one second). */
export interface VisibilityRule {
  /** Share of the element that must be in the viewport, 0–1. Default 0.5. */
  readonly threshold: number;
  /** How long it must stay that visible, in ms. Default 1000. */
  readonly minVisibleMs: number;
  /**
   * Without IntersectionObserver (very old browsers) visibility is unknown: `'never'` (default) records no
   * impression; `'mounted'` counts the element as seen once it has been mounted for `minVisibleMs`.
   */
  readonly withoutObserver: 'never' | 'mounted';
}

export const DEFAULT_VISIBILITY: VisibilityRule = Object.freeze({ threshold: 0.5, minVisibleMs: 1000, withoutObserver: 'never' });

interface ObserverLike {
  observe(target: Element): void;
  disconnect(): void;
}
type ObserverConstructor = new (
  callback: (entries: readonly { readonly isIntersecting: boolean; readonly intersectionRatio: number }[]) => void,
  options: { threshold: number[] },
) => ObserverLike;

/**
 * Calls `onSeen` once, when `element` has stayed at least `threshold` visible for `minVisibleMs` without
 * interruption; a dip below the threshold restarts the clock. Returns a stop function. Reads
 * IntersectionObserver and the timers when called (never at import), so it is SSR-safe and fake timers work.
 */
export function watchVisibility(element: Element, rule: VisibilityRule, onSeen: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let observer: ObserverLike | undefined;
  const stop = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    observer?.disconnect();
    observer = undefined;
  };
  const startClock = () => {
    timer ??= setTimeout(() => {
      stop();
      onSeen();
    }, rule.minVisibleMs);
  };
  const Observer = (globalThis as { IntersectionObserver?: ObserverConstructor }).IntersectionObserver;
  if (Observer === undefined) {
    if (rule.withoutObserver === 'mounted') startClock();
    return stop;
  }
  observer = new Observer(
    (entries) => {
      // Entries come in time order; only the latest says where the element is now.
      const latest = entries[entries.length - 1];
      if (latest !== undefined && latest.isIntersecting && latest.intersectionRatio >= rule.threshold) {
        startClock();
      } else if (timer !== undefined) {
        clearTimeout(timer);
        timer = undefined;
      }
    },
    { threshold: [rule.threshold] },
  );
  observer.observe(element);
  return stop;
}
