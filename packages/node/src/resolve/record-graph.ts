import { createHash } from 'node:crypto';
import { createIdentityGraph, parseIdentifier, type IdentityChange } from '@tailor/core';
import type { IdentifierField } from './mapping';

const RECORD_TYPE = 'custom:record';
const RECORD_PREFIX = `${RECORD_TYPE}:`;

/**
 * A profile's public id: `p-` and the first 16 hex digits of the SHA-256 of the smallest record id in it
 * (UTF-16 code unit order). The same input gives the same ids; a profile keeps its id across runs as long
 * as its smallest record stays in it.
 *
 * @example profileIdOf('c01') // 'p-' + 16 hex digits
 */
export function profileIdOf(smallestRecordId: string): string {
  return `p-${createHash('sha256').update(smallestRecordId).digest('hex').slice(0, 16)}`;
}

export interface RecordGraph {
  /** Adds a record and joins it to its identifiers (field → raw value) through the graph's guards. */
  addRecord(id: string, line: number, identifiers: Readonly<Partial<Record<IdentifierField, string>>>): void;
  /** Offers a probabilistic link between two records; true when it merged two profiles. */
  link(a: string, b: string, probability: number, edgeId: string): boolean;
  /** Profile merges: by identifier type for deterministic joins, and `probabilistic`. */
  readonly merges: Readonly<Record<string, number>>;
  /** Values demoted for linking too many people, by type. */
  readonly demoted: Readonly<Record<string, number>>;
  /** Joins refused by a guard, by `<reason> (<deterministic|probabilistic>)`. A full scan. */
  refusedJoins(): Record<string, number>;
  /** The profile id of every record, by index, and the profile counts. A full scan. */
  assign(recordIds: readonly string[], indexOf: ReadonlyMap<string, number>): { profileIds: string[]; profiles: number; singletons: number; largestProfile: number };
}

const increment = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * The identity graph with one node per record (a `custom:record` identifier) besides the identifier
 * values: a record is the anchor of its event, so each of its identifiers joins it, and the graph's
 * guards (per-type value limits, cluster size, weakest link, demotion of values seen with too many
 * people) apply to every join, deterministic or probabilistic. Times are 0: the output must not depend
 * on the clock.
 */
export function createRecordGraph(countryCode: string | undefined): RecordGraph {
  const graph = createIdentityGraph({
    // Record ids are taken as they are: "0000" or "test" is a fine id, whatever the placeholder list says.
    rules: { [RECORD_TYPE]: { priority: 1_000, blocked: [] } },
    events: {
      paths: {
        userId: ['traits.userId'],
        anonymousId: [],
        email: ['traits.email'],
        phone: ['traits.phone'],
        loyaltyId: ['traits.loyaltyId'],
        posCustomerId: ['traits.posCustomerId'],
        deviceId: ['traits.deviceId'],
        [RECORD_TYPE]: ['traits.record'],
      },
    },
    ...(countryCode === undefined ? {} : { normalize: { defaultCountryCode: countryCode } }),
  });
  const merges: Record<string, number> = {};
  const demoted: Record<string, number> = {};
  const count = (changes: readonly IdentityChange[]): boolean => {
    let merged = false;
    for (const change of changes) {
      if (change.type === 'merged') {
        merged = true;
        const { a, b, rule } = change.edge;
        const other = a.startsWith(RECORD_PREFIX) ? b : a;
        increment(merges, rule === 'probabilistic' ? 'probabilistic' : (parseIdentifier(other)?.type ?? rule));
      } else if (change.type === 'demoted') {
        increment(demoted, parseIdentifier(change.identifier)?.type ?? 'unknown');
      }
    }
    return merged;
  };

  return {
    merges,
    demoted,
    addRecord(id, line, identifiers) {
      const messageId = `line ${line}`;
      // The record gets its profile first, so that joining an existing profile counts as a merge by that identifier.
      graph.addEvent({ type: 'track', messageId, timestamp: 0, traits: { record: id } });
      count(graph.addEvent({ type: 'track', messageId, timestamp: 0, traits: { ...identifiers, record: id } }).changes);
    },
    link(a, b, probability, edgeId) {
      const added = graph.addEdge({ id: edgeId, a: { type: RECORD_TYPE, value: a }, b: { type: RECORD_TYPE, value: b }, rule: 'probabilistic', weight: probability, at: 0 });
      return (added.status === 'accepted' || added.status === 'refused') && count(added.changes);
    },
    refusedJoins() {
      const refused: Record<string, number> = {};
      for (const edge of graph.edges()) {
        if (edge.status === 'refused') increment(refused, `${edge.reason ?? 'refused'} (${edge.rule === 'probabilistic' ? 'probabilistic' : 'deterministic'})`);
      }
      return refused;
    },
    assign(recordIds, indexOf) {
      const profileIds = new Array<string>(recordIds.length);
      let profiles = 0;
      let singletons = 0;
      let largestProfile = 0;
      const members: number[] = [];
      for (const profile of graph.profiles()) {
        members.length = 0;
        let smallest: string | undefined;
        for (const key of profile.identifiers) {
          if (!key.startsWith(RECORD_PREFIX)) continue;
          const id = key.slice(RECORD_PREFIX.length);
          const index = indexOf.get(id);
          if (index === undefined) continue;
          members.push(index);
          if (smallest === undefined || id < smallest) smallest = id;
        }
        if (smallest === undefined) continue; // identifier values whose join to a record was refused
        const profileId = profileIdOf(smallest);
        for (const index of members) profileIds[index] = profileId;
        profiles++;
        if (members.length === 1) singletons++;
        largestProfile = Math.max(largestProfile, members.length);
      }
      return { profileIds, profiles, singletons, largestProfile };
    },
  };
}
