/** What an event may be used for. Events for a purpose the person has not allowed never leave the device. */
export type Purpose = 'measurement' | 'personalization' | 'advertising';

export const PURPOSES: readonly Purpose[] = ['measurement', 'personalization', 'advertising'];

export interface ConsentState {
  readonly purposes: Readonly<Record<Purpose, boolean>>;
  /** Where the current purposes came from: the configured mode, the person through `set()`, or the CMP. */
  readonly source: 'default' | 'user' | 'tcf';
  /** True when Global Privacy Control is honoured and the browser sends it (then `advertising` is false). */
  readonly gpc: boolean;
  /** The CMP's TC string, from the last TCF event that applied. */
  readonly tcString?: string;
  readonly updatedAt: number;
}

export interface ConsentOptions {
  /** Purposes before any signal. Default `'default-allow'`. */
  readonly mode?: 'default-deny' | 'default-allow';
  /** Read IAB TCF v2 through `window.__tcfapi('addEventListener', 2, cb)` when a CMP is present. Default true. */
  readonly tcf?: boolean;
  /** Honour `navigator.globalPrivacyControl`. Default true. */
  readonly gpc?: boolean;
  /** Starting purposes on top of the mode, e.g. restored from storage. The source stays `'default'`. */
  readonly initial?: Partial<Record<Purpose, boolean>>;
}

export interface ConsentManager {
  get(): ConsentState;
  /** Records the person's choice on top of the current purposes; the source becomes `'user'`. */
  set(update: Partial<Record<Purpose, boolean>>): ConsentState;
  allows(purpose: Purpose): boolean;
  /** Called after each change of purposes, GPC or TC string, with the state before it. Returns unsubscribe. */
  subscribe(listener: (state: ConsentState, previous: ConsentState) => void): () => void;
  /** Attaches the TCF listener if a CMP (or its stub) exists. Idempotent. */
  start(): void;
  /** Removes the TCF listener. */
  stop(): void;
}

export interface ConsentEnv {
  now(): number;
  /** Where `__tcfapi` and `navigator` are read. Default: `globalThis` at call time. */
  window?: unknown;
  /** Receives errors from a listener or the CMP; they never reach the caller. */
  onError?(error: unknown): void;
}

type Purposes = Record<Purpose, boolean>;
interface TcData {
  eventStatus?: string;
  gdprApplies?: boolean;
  tcString?: string;
  listenerId?: number;
  purpose?: { consents?: Record<number, boolean | undefined> };
}
type TcfApi = (command: string, version: 2, callback: (data: TcData, success: boolean) => void, arg?: unknown) => void;
type Listener = (state: ConsentState, previous: ConsentState) => void;

/**
 * Keeps the person's consent per purpose, from three signals; the most recent one wins, GPC caps it.
 *
 * - Mode: `default-allow` starts with every purpose true, `default-deny` with every purpose false;
 *   `initial` is applied on top.
 * - GPC (`navigator.globalPrivacyControl === true`, read when the state is computed) is an opt-out of
 *   sale/sharing: `advertising` is false whatever the user or the CMP says, and `gpc` is true.
 * - TCF v2: on `tcloaded` and `useractioncomplete` (not `cmpuishown`), unless `gdprApplies === false`
 *   (then TCF does not apply and the state is kept), purposes come from `purpose.consents`:
 *   nothing without purpose 1 "Store and/or access information on a device"; then
 *   `measurement` ← 8 "Measure content performance" or 9 "Understand audiences through statistics…"
 *   (7 "Measure advertising performance" and 10 "Develop and improve services" are not enough);
 *   `personalization` ← 5 "Create profiles to personalise content" and 6 "Use profiles to select
 *   personalised content"; `advertising` ← 2 "Use limited data to select advertising", 3 "Create profiles
 *   for personalised advertising" and 4 "Use profiles to select personalised advertising".
 *   Legitimate interest is not consent and is ignored. The TC string is kept and the source is `'tcf'`.
 * - `set()` by the person overrides what the CMP said, until the CMP sends a new event.
 *
 * A state with the same purposes, GPC and TC string as the current one is not a change: nothing is
 * notified and `get()` keeps returning the current object. Nothing here throws into the page: a CMP
 * that throws leaves the state as it was, a listener that throws does not stop the others.
 *
 * @example
 * const consent = createConsentManager({ mode: 'default-deny' }, { now: Date.now });
 * consent.subscribe((state, previous) => audit(consentChangeEvent(state, previous)));
 * consent.start();
 * if (consent.allows('measurement')) send();
 */
export function createConsentManager(options: ConsentOptions, env: ConsentEnv): ConsentManager {
  const listeners = new Set<Listener>();
  const win = () => (env.window ?? globalThis) as { __tcfapi?: TcfApi; navigator?: { globalPrivacyControl?: unknown } };
  const report = (error: unknown) => {
    try {
      env.onError?.(error);
    } catch {}
  };
  const remove = (api: TcfApi, id: number | undefined) => {
    try {
      if (id !== undefined) api('removeEventListener', 2, () => {}, id);
    } catch (error) {
      report(error);
    }
  };
  const readGpc = () => {
    try {
      return options.gpc !== false && win().navigator?.globalPrivacyControl === true;
    } catch {
      return false;
    }
  };
  const next = (base: Readonly<Purposes>, update: Partial<Purposes> | undefined, gpc: boolean): Purposes => {
    const purposes = {} as Purposes;
    // Only booleans count: `update` may come from storage or a CMP.
    for (const p of PURPOSES) purposes[p] = typeof update?.[p] === 'boolean' ? update[p] : base[p];
    if (gpc) purposes.advertising = false;
    return Object.freeze(purposes);
  };
  const make = (purposes: Purposes, source: ConsentState['source'], gpc: boolean, tcString?: string): ConsentState =>
    Object.freeze(
      tcString === undefined
        ? { purposes, source, gpc, updatedAt: env.now() }
        : { purposes, source, gpc, tcString, updatedAt: env.now() },
    );

  const allow = options.mode !== 'default-deny';
  const gpc = readGpc();
  const base = { measurement: allow, personalization: allow, advertising: allow };
  let state = make(next(base, options.initial, gpc), 'default', gpc);
  // The live TCF attachment; callbacks from an older one are stale.
  let attached: { api: TcfApi; id?: number } | undefined;

  const commit = (update: Partial<Purposes>, source: ConsentState['source'], tcString: string | undefined) => {
    const previous = state;
    const gpc = readGpc();
    const purposes = next(previous.purposes, update, gpc);
    const same = PURPOSES.every((p) => purposes[p] === previous.purposes[p]);
    if (same && gpc === previous.gpc && tcString === previous.tcString) return previous;
    const current = (state = make(purposes, source, gpc, tcString));
    for (const listener of [...listeners]) {
      try {
        listener(current, previous);
      } catch (error) {
        report(error);
      }
    }
    return current;
  };

  return {
    get: () => state,
    set: (update) => commit(update, 'user', state.tcString),
    allows: (purpose) => state.purposes[purpose] === true,
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    start() {
      const api = win().__tcfapi;
      if (attached || options.tcf === false || typeof api !== 'function') return;
      const attachment: { api: TcfApi; id?: number } = (attached = { api });
      const callback = (data: TcData, success: boolean) => {
        try {
          // Stopped before the CMP told us our listener id: remove it now that we know it.
          if (attached !== attachment) return remove(api, data?.listenerId);
          if (!success || !data) return;
          attachment.id ??= data.listenerId;
          const status = data.eventStatus;
          if ((status !== 'tcloaded' && status !== 'useractioncomplete') || data.gdprApplies === false) return;
          const consents = data.purpose?.consents ?? {};
          const has = (...ids: number[]) => ids.every((id) => consents[id] === true);
          const device = has(1);
          commit(
            {
              measurement: device && (has(8) || has(9)),
              personalization: device && has(5, 6),
              advertising: device && has(2, 3, 4),
            },
            'tcf',
            typeof data.tcString === 'string' ? data.tcString : undefined,
          );
        } catch (error) {
          report(error);
        }
      };
      try {
        api('addEventListener', 2, callback);
      } catch (error) {
        // A broken CMP: keep the current state, and let a later start() try again.
        attached = undefined;
        report(error);
      }
    },
    stop() {
      const attachment = attached;
      attached = undefined;
      if (attachment) remove(attachment.api, attachment.id);
    },
  };
}

/**
 * The Segment-compatible `context.consent` every event carries.
 *
 * @example
 * toContextConsent(consent.get());
 * // { categoryPreferences: { measurement: true, … }, source: 'tcf', gpc: false, tcString: 'CP…' }
 */
export function toContextConsent(state: ConsentState): {
  categoryPreferences: Record<string, boolean>;
  source: string;
  gpc: boolean;
  tcString?: string;
} {
  const context = { categoryPreferences: { ...state.purposes }, source: state.source, gpc: state.gpc };
  return state.tcString === undefined ? context : { ...context, tcString: state.tcString };
}

/**
 * The audit-trail event for a consent change: purposes before and after, the purposes that changed,
 * source and GPC. The TC string itself is not copied into properties (it runs to hundreds of bytes and is
 * already in the event's `context.consent`); `hasTcString`/`tcStringChanged` say whether there is one and
 * whether it changed.
 *
 * @example
 * consent.subscribe((state, previous) => {
 *   const { event, properties } = consentChangeEvent(state, previous);
 *   tailor.track(event, properties);
 * });
 */
export function consentChangeEvent(
  state: ConsentState,
  previous: ConsentState,
): { event: 'Consent Updated'; properties: Record<string, unknown> } {
  return {
    event: 'Consent Updated',
    properties: {
      purposes: { ...state.purposes },
      previousPurposes: { ...previous.purposes },
      changed: PURPOSES.filter((p) => state.purposes[p] !== previous.purposes[p]),
      source: state.source,
      previousSource: previous.source,
      gpc: state.gpc,
      hasTcString: state.tcString !== undefined,
      tcStringChanged: state.tcString !== previous.tcString,
    },
  };
}
