/**
 * Exactly one tab of an origin sends at a time: the one holding a Web Lock named after the write key.
 * When the lock holder closes, the browser hands the lock to a waiting tab. Where Web Locks are missing,
 * a BroadcastChannel heartbeat elects a leader (a tab that hears no leader for 3 s takes over); where both
 * are missing there is one tab as far as we can tell, and it leads.
 * Returns a function that gives up leadership.
 */
export function electLeader(name: string, onChange: (leader: boolean) => void): () => void {
  const locks = typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { locks?: LockManager }).locks;
  if (locks?.request) {
    let release: (() => void) | undefined;
    let stopped = false;
    locks
      .request(name, () => {
        if (stopped) return undefined;
        onChange(true);
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      })
      .catch(() => onChange(true));
    return () => {
      stopped = true;
      release?.();
      onChange(false);
    };
  }
  if (typeof BroadcastChannel === 'undefined') {
    onChange(true);
    return () => onChange(false);
  }
  return electByHeartbeat(name, onChange);
}

function electByHeartbeat(name: string, onChange: (leader: boolean) => void): () => void {
  const channel = new BroadcastChannel(`${name}:leader`);
  const me = Math.random().toString(36).slice(2);
  let leader = false;
  let lastHeard = Date.now();
  channel.onmessage = (message: MessageEvent<{ leader?: string }>) => {
    const other = message.data?.leader;
    if (typeof other !== 'string' || other === me) return;
    lastHeard = Date.now();
    // Two leaders after a partition: the smaller id keeps it.
    if (leader && other < me) {
      leader = false;
      onChange(false);
    }
  };
  const tick = setInterval(() => {
    if (leader) channel.postMessage({ leader: me });
    else if (Date.now() - lastHeard > 3_000) {
      leader = true;
      onChange(true);
      channel.postMessage({ leader: me });
    }
  }, 1_000);
  return () => {
    clearInterval(tick);
    channel.close();
    if (leader) onChange(false);
  };
}
