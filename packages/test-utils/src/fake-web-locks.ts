/**
 * A minimal in-memory Web Locks API (exclusive locks only), for happy-dom tests of leader election.
 * Several "tabs" in one test share it, as tabs of one origin share the browser's lock manager.
 */
export function createFakeLockManager(): LockManager {
  const queues = new Map<string, Array<() => void>>();
  const held = new Set<string>();
  const grant = (name: string) => {
    if (held.has(name)) return;
    const next = queues.get(name)?.shift();
    if (next) {
      held.add(name);
      next();
    }
  };
  return {
    request(name: string, ...rest: unknown[]) {
      const callback = rest[rest.length - 1] as (lock: Lock | null) => Promise<unknown> | unknown;
      return new Promise<unknown>((resolve, reject) => {
        const queue = queues.get(name) ?? [];
        queues.set(name, queue);
        queue.push(() => {
          Promise.resolve()
            .then(() => callback({ name, mode: 'exclusive' } as Lock))
            .then(resolve, reject)
            .finally(() => {
              held.delete(name);
              grant(name);
            });
        });
        grant(name);
      });
    },
    query: async () => ({ held: [...held].map((name) => ({ name, mode: 'exclusive' as const })), pending: [] }),
  } as LockManager;
}
