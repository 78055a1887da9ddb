/** An IntersectionObserver the test moves by hand: `showAt(0.5)` tells every live observer the slot is half visible. */
export interface FakeIntersection {
  readonly Observer: new (callback: IntersectionObserverCallback, options?: IntersectionObserverInit) => IntersectionObserver;
  showAt(ratio: number): void;
  /** Observers observing something and not disconnected. */
  live(): number;
  readonly thresholds: (number | number[] | undefined)[];
}

export function createFakeIntersection(): FakeIntersection {
  const observers = new Set<{ callback: IntersectionObserverCallback; targets: Element[]; self: IntersectionObserver }>();
  const thresholds: FakeIntersection['thresholds'] = [];
  class Observer {
    readonly root = null;
    readonly rootMargin = '0px';
    readonly thresholds: readonly number[] = [];
    readonly #entry;
    constructor(callback: IntersectionObserverCallback, options?: IntersectionObserverInit) {
      thresholds.push(options?.threshold);
      this.#entry = { callback, targets: [] as Element[], self: this as unknown as IntersectionObserver };
      observers.add(this.#entry);
    }
    observe(target: Element) {
      this.#entry.targets.push(target);
    }
    unobserve() {}
    disconnect() {
      observers.delete(this.#entry);
    }
    takeRecords() {
      return [];
    }
  }
  return {
    Observer: Observer as unknown as FakeIntersection['Observer'],
    thresholds,
    showAt(ratio) {
      for (const observer of [...observers]) {
        const entries = observer.targets.map((target) => ({ target, intersectionRatio: ratio, isIntersecting: ratio > 0 }) as unknown as IntersectionObserverEntry);
        observer.callback(entries, observer.self);
      }
    },
    live: () => [...observers].filter((observer) => observer.targets.length > 0).length,
  };
}
