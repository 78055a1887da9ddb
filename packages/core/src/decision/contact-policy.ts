/**
 * Contact policies: frequency caps and suppression after rejects, per offer, placement or channel, over a
 * bounded history of what a person was shown and dismissed. Everything here is pure; where the history
 * lives is up to the platform ({@link InteractionHistoryStore}).
 */

/** A window: milliseconds, or a count with a unit: `"30m"`, `"24h"`, `"7d"`, `"2w"`. */
export type Duration = number | string;

/** What a policy counts over: one offer anywhere, one placement (any offer), or one channel. */
export type ContactPolicyScope = 'offer' | 'placement' | 'channel';

/** A contact policy as written in decision config. */
export interface ContactPolicy {
  readonly id: string;
  readonly scope: ContactPolicyScope;
  /** At most `count` impressions within `window`, counted over the scope. */
  readonly maxImpressions?: { readonly count: number; readonly window: Duration };
  /** No more impressions once the person dismissed `count` times within `window`. */
  readonly suppressAfterRejects?: { readonly count: number; readonly window: Duration };
  /** Which (offer, placement) pairs the policy applies to; every list given must match. Default: all. */
  readonly match?: {
    readonly offers?: readonly string[];
    /** The offer has at least one of these tags. */
    readonly tags?: readonly string[];
    readonly placements?: readonly string[];
    readonly channels?: readonly string[];
  };
}

/** A policy with its windows in milliseconds and its filters as sets, ready for the hot path. */
export interface CompiledContactPolicy {
  readonly id: string;
  readonly scope: ContactPolicyScope;
  readonly maxImpressions?: { readonly count: number; readonly windowMs: number };
  readonly suppressAfterRejects?: { readonly count: number; readonly windowMs: number };
  readonly match: {
    readonly offers?: ReadonlySet<string>;
    readonly tags?: readonly string[];
    readonly placements?: ReadonlySet<string>;
    readonly channels?: ReadonlySet<string>;
  };
  /** Precomputed reasons, so a refusal allocates nothing. */
  readonly reasons: { readonly maxImpressions: string; readonly suppressed: string };
}

/** Timestamps (epoch ms, ascending) of what one scope saw. */
export interface HistoryEntry {
  readonly impressions: readonly number[];
  readonly rejects: readonly number[];
}

/**
 * A person's interaction history, keyed by `offer:<id>`, `placement:<id>` and `channel:<name>`
 * ({@link historyKey}). Bounded by {@link HISTORY_LIMITS}; plain JSON, so it stores and ships as is.
 */
export interface InteractionHistory {
  readonly version: 1;
  readonly entries: Readonly<Record<string, HistoryEntry>>;
}

/** Where histories live, by profile id. The browser keeps one in IndexedDB; the collector in its store. */
export interface InteractionHistoryStore {
  get(profileId: string): Promise<InteractionHistory | undefined>;
  put(profileId: string, history: InteractionHistory): Promise<void>;
}

/** What happened to a shown offer, as far as contact policies care. */
export interface InteractionOutcome {
  readonly type: 'impression' | 'click' | 'convert' | 'dismiss';
  readonly offerId: string;
  readonly placementId?: string;
  readonly channel?: string;
}

export type ContactPolicyResult = { readonly allowed: true } | { readonly allowed: false; readonly reason: string; readonly policyId: string };

export const HISTORY_LIMITS = Object.freeze({
  /** Timestamps kept per list; policies may count at most this many. */
  maxTimestamps: 32,
  /** Older timestamps are dropped; policy windows may be at most this long. */
  maxAgeMs: 90 * 86_400_000,
  /** Keys kept; the least recently touched go first. */
  maxEntries: 512,
});

export const EMPTY_HISTORY: InteractionHistory = Object.freeze({ version: 1, entries: Object.freeze({}) });

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const ALLOWED: ContactPolicyResult = Object.freeze({ allowed: true });

/**
 * A window in milliseconds, or undefined when it is not a positive whole duration.
 * @example parseDuration('7d') // 604800000
 */
export function parseDuration(value: Duration): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = /^([1-9]\d{0,9})(ms|s|m|h|d|w)$/.exec(value);
  const ms = match ? Number(match[1]) * (UNIT_MS[match[2] as string] as number) : Number.NaN;
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** @example historyKey('offer', 'free-shipping') // 'offer:free-shipping' */
export function historyKey(scope: ContactPolicyScope, id: string): string {
  return `${scope}:${id}`;
}

/**
 * Prepares policies for {@link checkContactPolicies}. Windows must parse (decision config is validated
 * before it gets here); a bad one makes the policy inert rather than throwing on a hot path.
 */
export function compileContactPolicies(policies: readonly ContactPolicy[]): CompiledContactPolicy[] {
  return policies.map((policy) => {
    const window = (rule: { count: number; window: Duration } | undefined) => {
      const windowMs = rule ? parseDuration(rule.window) : undefined;
      return rule && windowMs !== undefined ? { count: rule.count, windowMs } : undefined;
    };
    const match = policy.match ?? {};
    const maxImpressions = window(policy.maxImpressions);
    const suppressAfterRejects = window(policy.suppressAfterRejects);
    return {
      id: policy.id,
      scope: policy.scope,
      ...(maxImpressions && { maxImpressions }),
      ...(suppressAfterRejects && { suppressAfterRejects }),
      match: {
        ...(match.offers && { offers: new Set(match.offers) }),
        ...(match.tags && { tags: [...match.tags] }),
        ...(match.placements && { placements: new Set(match.placements) }),
        ...(match.channels && { channels: new Set(match.channels) }),
      },
      reasons: { maxImpressions: `contact-policy:${policy.id}:max-impressions`, suppressed: `contact-policy:${policy.id}:suppressed` },
    };
  });
}

/** Whether a policy applies to showing this offer in this placement (static: decide() precomputes it). */
export function policyApplies(
  policy: CompiledContactPolicy,
  offer: { readonly id: string; readonly tags: readonly string[] },
  placement: { readonly id: string; readonly channel: string },
): boolean {
  const { match } = policy;
  if (match.offers && !match.offers.has(offer.id)) return false;
  if (match.tags && !match.tags.some((tag) => offer.tags.includes(tag))) return false;
  if (match.placements && !match.placements.has(placement.id)) return false;
  if (match.channels && !match.channels.has(placement.channel)) return false;
  return true;
}

/** The history key a policy counts for this pair. */
export function policyKey(policy: CompiledContactPolicy, offerId: string, placement: { readonly id: string; readonly channel: string }): string {
  return historyKey(policy.scope, policy.scope === 'offer' ? offerId : policy.scope === 'placement' ? placement.id : placement.channel);
}

/** Checks one policy against the entry it counts. Never throws. */
export function checkPolicyEntry(policy: CompiledContactPolicy, entry: HistoryEntry | undefined, now: number): ContactPolicyResult {
  if (entry === undefined) return ALLOWED;
  const rejects = policy.suppressAfterRejects;
  if (rejects && countSince(entry.rejects, now - rejects.windowMs) >= rejects.count) {
    return { allowed: false, reason: policy.reasons.suppressed, policyId: policy.id };
  }
  const cap = policy.maxImpressions;
  if (cap && countSince(entry.impressions, now - cap.windowMs) >= cap.count) {
    return { allowed: false, reason: policy.reasons.maxImpressions, policyId: policy.id };
  }
  return ALLOWED;
}

/**
 * Whether the policies allow showing `offer` in `placement` now. The first policy that refuses names
 * itself in `reason` (`contact-policy:<id>:max-impressions` or `contact-policy:<id>:suppressed`).
 *
 * @example
 * const policies = compileContactPolicies([{ id: 'daily', scope: 'offer', maxImpressions: { count: 3, window: '1d' } }]);
 * checkContactPolicies(history, { id: 'o1', tags: [] }, { id: 'hero', channel: 'web' }, policies, Date.now());
 */
export function checkContactPolicies(
  history: InteractionHistory | undefined,
  offer: { readonly id: string; readonly tags: readonly string[] },
  placement: { readonly id: string; readonly channel: string },
  policies: readonly CompiledContactPolicy[],
  now: number,
): ContactPolicyResult {
  const entries = history?.entries;
  if (entries === undefined) return ALLOWED;
  for (const policy of policies) {
    if (!policyApplies(policy, offer, placement)) continue;
    const result = checkPolicyEntry(policy, readEntry(entries, policyKey(policy, offer.id, placement)), now);
    if (!result.allowed) return result;
  }
  return ALLOWED;
}

/** An own entry only: history comes from storage, and `constructor` is not a key we wrote. */
export function readEntry(entries: Readonly<Record<string, HistoryEntry>>, key: string): HistoryEntry | undefined {
  return Object.hasOwn(entries, key) ? entries[key] : undefined;
}

/**
 * The history after an outcome. Impressions and dismissals are counted under the offer, the placement and
 * the channel; clicks and conversions do not change contact counts. Returns a new object; old timestamps,
 * extra timestamps and the least recently touched keys are dropped to stay within {@link HISTORY_LIMITS}.
 *
 * @example
 * let history = recordOutcome(undefined, { type: 'impression', offerId: 'o1', placementId: 'hero', channel: 'web' }, now);
 */
export function recordOutcome(history: InteractionHistory | undefined, outcome: InteractionOutcome, now: number): InteractionHistory {
  const base = history ?? EMPTY_HISTORY;
  if (outcome.type !== 'impression' && outcome.type !== 'dismiss') return base;
  const list = outcome.type === 'impression' ? 'impressions' : 'rejects';
  const keys = [historyKey('offer', outcome.offerId)];
  if (outcome.placementId !== undefined) keys.push(historyKey('placement', outcome.placementId));
  if (outcome.channel !== undefined) keys.push(historyKey('channel', outcome.channel));

  const oldest = now - HISTORY_LIMITS.maxAgeMs;
  const entries: Record<string, HistoryEntry> = Object.create(null) as Record<string, HistoryEntry>;
  for (const [key, entry] of Object.entries(base.entries)) {
    const pruned = prune(entry, oldest);
    if (pruned) entries[key] = pruned;
  }
  for (const key of keys) {
    const entry = entries[key] ?? { impressions: [], rejects: [] };
    entries[key] = { ...entry, [list]: insertSorted(entry[list], now) };
  }
  return { version: 1, entries: keepMostRecent(entries) };
}

function prune(entry: HistoryEntry, oldest: number): HistoryEntry | undefined {
  const impressions = entry.impressions.filter((at) => at >= oldest);
  const rejects = entry.rejects.filter((at) => at >= oldest);
  if (impressions.length === 0 && rejects.length === 0) return undefined;
  return { impressions, rejects };
}

function insertSorted(list: readonly number[], at: number): number[] {
  const next = [...list];
  let i = next.length;
  while (i > 0 && (next[i - 1] as number) > at) i--;
  next.splice(i, 0, at);
  return next.length > HISTORY_LIMITS.maxTimestamps ? next.slice(next.length - HISTORY_LIMITS.maxTimestamps) : next;
}

function keepMostRecent(entries: Record<string, HistoryEntry>): Record<string, HistoryEntry> {
  const keys = Object.keys(entries);
  if (keys.length <= HISTORY_LIMITS.maxEntries) return { ...entries };
  const last = (entry: HistoryEntry) => Math.max(entry.impressions.at(-1) ?? -Infinity, entry.rejects.at(-1) ?? -Infinity);
  keys.sort((a, b) => last(entries[b] as HistoryEntry) - last(entries[a] as HistoryEntry));
  return Object.fromEntries(keys.slice(0, HISTORY_LIMITS.maxEntries).map((key) => [key, entries[key] as HistoryEntry]));
}

/** How many timestamps are ≥ `since`. Lists are ascending and short, so a scan from the end is enough. */
function countSince(list: readonly number[], since: number): number {
  let count = 0;
  for (let i = list.length - 1; i >= 0 && (list[i] as number) >= since; i--) count++;
  return count;
}
