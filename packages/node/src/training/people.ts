import { createHash } from 'node:crypto';
import { createIdentityGraph, type FeatureEvent, type IdentityEvent, type IdentityGraphOptions } from '@tailor/core';

/** The slice of an event a training set reads: what the feature spec reads, at a time in epoch ms. */
export interface TimedEvent extends FeatureEvent {
  readonly timestamp: number;
}

/** One person's events, oldest first (equal times keep log order). */
export interface PersonHistory {
  readonly personId: string;
  readonly events: readonly TimedEvent[];
}

export interface GroupByPersonOptions {
  /** Events after this time (epoch ms) are left out, as if the log ended there. */
  readonly untilMs?: number;
  /** Identity graph settings; by default those of the collector (email and phone keys hashed with SHA-256). */
  readonly identity?: IdentityGraphOptions;
}

export interface GroupByPersonResult {
  /** Sorted by person id. */
  readonly people: PersonHistory[];
  readonly stats: {
    /** Events read. */
    readonly events: number;
    /** Events with no usable identifier (or a deleted person's): not in any history. */
    readonly unresolved: number;
    /** Events with no parsable time. */
    readonly untimed: number;
    /** Events after `untilMs`. */
    readonly afterWindow: number;
  };
}

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Resolves the events' people with core's identity graph (as the collector's profile projector does:
 * identify, alias and shared identifiers join, guards apply) and groups each person's events in time order.
 * A merge that happens after some of a person's events were seen still puts those events in one history:
 * each event keeps the profile id it resolved to, and ids retired by merges are followed at the end.
 * Person ids are `p-` + 16 hex digits of SHA-256 of the profile's oldest identifier key: stable across runs.
 *
 * @example
 * const { people } = groupEventsByPerson(events(store.scan({ sourceId: 'shop' })), { untilMs: Date.parse('2026-06-01') });
 */
export function groupEventsByPerson(events: Iterable<IdentityEvent & FeatureEvent>, options: GroupByPersonOptions = {}): GroupByPersonResult {
  const graph = createIdentityGraph({
    hash: sha256Hex,
    createProfileId: (key) => `p-${sha256Hex(key).slice(0, 16)}`,
    ...options.identity,
  });
  const untilMs = options.untilMs ?? Number.POSITIVE_INFINITY;
  const kept: Array<{ profileId: string; event: TimedEvent; order: number }> = [];
  let count = 0;
  let unresolved = 0;
  let untimed = 0;
  let afterWindow = 0;
  for (const event of events) {
    count++;
    const at = eventTimeMs(event);
    if (at === undefined) {
      untimed++;
      continue;
    }
    if (at > untilMs) {
      afterWindow++;
      continue;
    }
    const result = graph.addEvent(event);
    if (result.status !== 'resolved') {
      unresolved++;
      continue;
    }
    kept.push({ profileId: result.profileId, event: slim(event, at), order: kept.length });
  }
  const byPerson = new Map<string, Array<{ event: TimedEvent; order: number }>>();
  const current = new Map<string, string>();
  for (const entry of kept) {
    let personId = current.get(entry.profileId);
    if (personId === undefined) {
      personId = graph.resolveProfile(entry.profileId)?.profileId ?? entry.profileId;
      current.set(entry.profileId, personId);
    }
    let list = byPerson.get(personId);
    if (list === undefined) byPerson.set(personId, (list = []));
    list.push({ event: entry.event, order: entry.order });
  }
  const people = [...byPerson.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([personId, list]) => ({
      personId,
      events: list.sort((a, b) => a.event.timestamp - b.event.timestamp || a.order - b.order).map((entry) => entry.event),
    }));
  return { people, stats: { events: count, unresolved, untimed, afterWindow } };
}

/** When the event happened, as the feature spec reads it: `timestamp`, else `originalTimestamp`, else `receivedAt`. */
export function eventTimeMs(event: FeatureEvent): number | undefined {
  for (const value of [event.timestamp, event.originalTimestamp, event.receivedAt]) {
    const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

/** Only what features and labels read, so a history of millions of events stays small. */
function slim(event: FeatureEvent, at: number): TimedEvent {
  const channel = event.context?.channel;
  return {
    ...(event.type === undefined ? {} : { type: event.type }),
    ...(event.event === undefined ? {} : { event: event.event }),
    timestamp: at,
    ...(event.properties === undefined ? {} : { properties: event.properties }),
    ...(typeof channel === 'string' ? { context: { channel } } : {}),
  };
}
