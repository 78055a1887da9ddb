import { recordOutcome, type InteractionHistory, type InteractionOutcome } from '@tailor/core';
import { outcomeOf } from '../collector/projection-batch';
import type { IngestedEvent } from '../collector/types';

/** An outcome a collector accepted, before (or after) the projector folds it into the profile. */
export interface RecentOutcome {
  readonly outcome: InteractionOutcome;
  /** Event time, epoch ms. */
  readonly at: number;
}

/** Who a decide request is about, as the request names them. */
export interface PersonRef {
  readonly userId?: string;
  readonly anonymousId?: string;
}

/** The Redis commands the counters use, as ioredis spells them. */
export interface RecentOutcomesRedis {
  pipeline(): {
    rpush(key: string, ...values: string[]): unknown;
    ltrim(key: string, start: number, stop: number): unknown;
    pexpire(key: string, ms: number): unknown;
    lrange(key: string, start: number, stop: number): unknown;
    exec(): Promise<Array<[Error | null, unknown]> | null>;
  };
}

export interface RecentOutcomes {
  /** Records the offer outcomes among freshly stored events, under the ids they carry (never fails ingestion). */
  record(sourceId: string, events: readonly IngestedEvent[]): Promise<void>;
  /** The recorded outcomes of a person (their userId's and anonymousId's), oldest first. */
  read(sourceId: string, person: PersonRef): Promise<RecentOutcome[]>;
}

/** Outcomes kept per id: more than any contact policy of a day counts. */
const MAX_PER_ID = 256;

/**
 * Frequency-cap counters in Redis for cluster mode. A shown or dismissed offer reaches a profile only once a
 * processor has projected it; until then a decision on any collector would not count it. So collectors
 * also push each accepted outcome to Redis lists keyed by the event's userId and anonymousId (kept for
 * `ttlMs`, longer than the projector's lag), and decisions count those the profile does not hold yet
 * (see {@link withRecentOutcomes}).
 *
 * @example
 * const recent = createRecentOutcomes(redis, { keyPrefix: 'tailor:tailor:outcomes:', ttlMs: 600_000 });
 */
export function createRecentOutcomes(redis: RecentOutcomesRedis, options: { readonly keyPrefix: string; readonly ttlMs: number; readonly onError?: (error: unknown) => void }): RecentOutcomes {
  const key = (sourceId: string, kind: 'userId' | 'anonymousId', id: string) => `${options.keyPrefix}${JSON.stringify([sourceId, kind, id])}`;
  const report = options.onError ?? (() => undefined);
  const keysOf = (sourceId: string, person: PersonRef) => [
    ...(person.userId === undefined ? [] : [key(sourceId, 'userId', person.userId)]),
    ...(person.anonymousId === undefined ? [] : [key(sourceId, 'anonymousId', person.anonymousId)]),
  ];
  return {
    async record(sourceId, events) {
      const batch = redis.pipeline();
      let pushed = 0;
      for (const { messageId, event } of events) {
        const happened = outcomeOf(event, Date.now());
        if (happened === undefined) continue;
        const e = event as { userId?: unknown; anonymousId?: unknown };
        const person = { ...(typeof e.userId === 'string' ? { userId: e.userId } : {}), ...(typeof e.anonymousId === 'string' ? { anonymousId: e.anonymousId } : {}) };
        for (const listKey of keysOf(sourceId, person)) {
          batch.rpush(listKey, JSON.stringify({ id: messageId, o: happened.outcome, at: happened.at }));
          batch.ltrim(listKey, -MAX_PER_ID, -1);
          batch.pexpire(listKey, options.ttlMs);
          pushed++;
        }
      }
      if (pushed === 0) return;
      try {
        const results = await batch.exec();
        const failed = results?.find(([error]) => error !== null);
        if (failed !== undefined) report(failed[0]);
      } catch (error) {
        report(error);
      }
    },

    async read(sourceId, person) {
      const keys = keysOf(sourceId, person);
      if (keys.length === 0) return [];
      try {
        const batch = redis.pipeline();
        for (const listKey of keys) batch.lrange(listKey, 0, -1);
        const results = (await batch.exec()) ?? [];
        const seen = new Set<string>();
        const outcomes: RecentOutcome[] = [];
        for (const [error, values] of results) {
          if (error !== null || !Array.isArray(values)) continue;
          for (const raw of values as string[]) {
            // The same event is listed under its userId and its anonymousId: count it once.
            if (seen.has(raw)) continue;
            seen.add(raw);
            const { o, at } = JSON.parse(raw) as { o: InteractionOutcome; at: number };
            outcomes.push({ outcome: o, at });
          }
        }
        return outcomes.sort((a, b) => a.at - b.at);
      } catch (error) {
        report(error);
        return [];
      }
    },
  };
}

/**
 * A profile's interaction history with the recent outcomes it does not hold yet: those after its last
 * projected event (`lastSeen`, event time). An outcome that arrived out of order, older than an event already
 * projected, is left to the projector; it may go uncounted for the projector's lag.
 */
export function withRecentOutcomes(history: InteractionHistory | undefined, lastSeen: number | undefined, recent: readonly RecentOutcome[]): InteractionHistory | undefined {
  let merged = history;
  for (const { outcome, at } of recent) {
    if (lastSeen !== undefined && at <= lastSeen) continue;
    merged = recordOutcome(merged, outcome, at);
  }
  return merged;
}
