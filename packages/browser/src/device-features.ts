import {
  DEFAULT_RETAIL_FEATURE_SPEC,
  applyEvent,
  createFeatureState,
  readFeatures,
  type FeatureSpec,
  type FeatureState,
  type FeatureValues,
  type OutgoingEvent,
} from '@tailor/core';

/**
 * The device-local identity graph and the features of each person on this device. A person is a userId, or
 * an anonymousId not (yet) linked to one; an event carrying both links them (identify, alias, any call of a
 * signed-in visitor), and the anonymous person's features move to the known one. So after login the offers
 * use what the visitor did before it, and after logout (`reset()`, a new anonymousId) the next visitor of a
 * shared device starts from nothing. Features come from core's feature spec: the same numbers the collector
 * and training compute.
 */
export interface DeviceFeatures {
  /**
   * Applies an event to its person; true when it is one the feature spec scores (an order, a product view,
   * add or removal, a search, a cart view), so decisions are worth making again. Other events (offer outcomes,
   * decision records) still count in the session but do not trigger new decisions.
   */
  apply(event: OutgoingEvent): boolean;
  /** The features of the person identified by these ids, at `now`. */
  read(now: number, ids: { readonly anonymousId: string; readonly userId?: string | undefined }): FeatureValues;
  /** The profile id decisions use for this person on the device. */
  personOf(ids: { readonly anonymousId: string; readonly userId?: string | undefined }): string;
  /** Plain JSON, to persist. */
  state(): DeviceGraphState;
}

export interface DeviceGraphState {
  readonly version: 1;
  readonly specVersion: string;
  /** anonymousId → userId. */
  readonly links: Record<string, string>;
  /** `u:<userId>` or `a:<anonymousId>` → features, with the time each person was last seen. */
  readonly people: Record<string, { state: FeatureState; seenAt: number }>;
}

/** People kept on one device; the least recently seen go first (a kiosk sees many). */
const MAX_PEOPLE = 20;

export function createDeviceFeatures(saved: unknown, spec: FeatureSpec = DEFAULT_RETAIL_FEATURE_SPEC): DeviceFeatures {
  const graph: DeviceGraphState = isGraph(saved, spec) ? saved : { version: 1, specVersion: spec.version, links: {}, people: {} };
  const scored = new Set<string>(Object.values(spec.events).flat());

  const personOf = (ids: { readonly anonymousId: string; readonly userId?: string | undefined }) => {
    const user = ids.userId ?? graph.links[ids.anonymousId];
    return user === undefined ? `a:${ids.anonymousId}` : `u:${user}`;
  };

  function link(anonymousId: string, userId: string): void {
    if (graph.links[anonymousId] === userId) return;
    graph.links[anonymousId] = userId;
    const anonymous = graph.people[`a:${anonymousId}`];
    if (anonymous === undefined) return;
    delete graph.people[`a:${anonymousId}`];
    // The known person's own history on this device wins; a first login takes the anonymous features over.
    graph.people[`u:${userId}`] ??= anonymous;
  }

  function trim(): void {
    const keys = Object.keys(graph.people);
    if (keys.length <= MAX_PEOPLE) return;
    keys.sort((a, b) => (graph.people[a]?.seenAt ?? 0) - (graph.people[b]?.seenAt ?? 0));
    for (const key of keys.slice(0, keys.length - MAX_PEOPLE)) delete graph.people[key];
  }

  return {
    apply(event) {
      const anonymousId = typeof event.anonymousId === 'string' ? event.anonymousId : undefined;
      const userId = typeof event.userId === 'string' ? event.userId : undefined;
      if (anonymousId !== undefined && userId !== undefined) link(anonymousId, userId);
      if (event.type === 'alias' && typeof event.previousId === 'string' && userId !== undefined) link(event.previousId, userId);
      if (event.type !== 'track') return false;
      if (anonymousId === undefined && userId === undefined) return false;
      const key = personOf({ anonymousId: anonymousId ?? '', userId });
      const person = (graph.people[key] ??= { state: createFeatureState(spec), seenAt: 0 });
      person.state = applyEvent(person.state, event, spec);
      person.seenAt = Date.parse(event.timestamp) || person.seenAt;
      trim();
      return typeof event.event === 'string' && scored.has(event.event);
    },
    read(now, ids) {
      const person = graph.people[personOf(ids)];
      return readFeatures(person?.state ?? createFeatureState(spec), spec, now);
    },
    personOf,
    state: () => graph,
  };
}

function isGraph(value: unknown, spec: FeatureSpec): value is DeviceGraphState {
  if (typeof value !== 'object' || value === null) return false;
  const graph = value as Partial<DeviceGraphState>;
  // A state built under another spec version is dropped: the numbers would not mean the same.
  return graph.version === 1 && graph.specVersion === spec.version && typeof graph.links === 'object' && typeof graph.people === 'object';
}
