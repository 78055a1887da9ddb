import { createIdentityGraph } from '@tailor/core';
import { createUnionFind, type IdentityEvent } from '../packages/core/src/identity/index';
import { median, type Benchmark } from './harness';

const RECORDS = 1_000_000;
const TIMED = 100_000;
const CHUNKS = 10;
const PEOPLE = 400_000;
const BUDGET = 20_000;

/** mulberry32: a small seeded generator, so every run stitches the same records. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A retail event stream: ~2.5 events per person, mixing anonymous browsing (new and returning cookies),
 * logins with email, app sessions with a device id, and till transactions with email and loyalty card.
 */
function retailEvents(count: number, offset: number, next: () => number): IdentityEvent[] {
  const events: IdentityEvent[] = [];
  for (let i = 0; i < count; i++) {
    const person = Math.floor(next() * PEOPLE);
    const cookie = `anon-${person}-${Math.floor(next() * 3)}`;
    const kind = next();
    const messageId = `m-${offset + i}`;
    if (kind < 0.4) events.push({ type: 'page', messageId, anonymousId: kind < 0.1 ? `anon-new-${offset + i}` : cookie });
    else if (kind < 0.7) events.push({ type: 'identify', messageId, userId: `user-${person}`, anonymousId: cookie, traits: { email: `Shopper.${person}@example.org` } });
    else if (kind < 0.9) events.push({ type: 'track', event: 'Product Viewed', messageId, userId: `user-${person}`, anonymousId: cookie, context: { device: { id: `device-${person}` } } });
    else events.push({ type: 'track', event: 'POS Transaction Completed', messageId, traits: { email: `shopper.${person}@example.org` }, context: { loyaltyId: `L-${person}` } });
  }
  return events;
}

/** The same events stitched by a bare union-find: raw values as keys, no normalization, provenance or guards. */
function createBareStitcher() {
  const sets = createUnionFind(1 << 20);
  const ids = new Map<string, number>();
  const node = (key: string) => {
    let id = ids.get(key);
    if (id === undefined) {
      id = sets.add();
      ids.set(key, id);
    }
    return id;
  };
  return (event: IdentityEvent) => {
    const keys: string[] = [];
    if (typeof event.userId === 'string') keys.push(`userId:${event.userId}`);
    if (typeof event.anonymousId === 'string') keys.push(`anonymousId:${event.anonymousId}`);
    const email = (event.traits as { email?: string } | undefined)?.email;
    if (email) keys.push(`email:${email.toLowerCase()}`);
    const context = event.context as { loyaltyId?: string; device?: { id?: string } } | undefined;
    if (context?.loyaltyId) keys.push(`loyaltyId:${context.loyaltyId}`);
    if (context?.device?.id) keys.push(`deviceId:${context.device.id}`);
    const first = node(keys[0] as string);
    for (let i = 1; i < keys.length; i++) sets.union(first, node(keys[i] as string));
  };
}

const benchmark: Benchmark = {
  name: 'identity',
  description: `Deterministic identity stitching: events/s added to a graph that already holds ${RECORDS.toLocaleString('en-US')} records (retail mix: browsing, logins, app sessions, till transactions over ${PEOPLE.toLocaleString('en-US')} people), timing ${TIMED.toLocaleString('en-US')} more in ${CHUNKS} chunks interleaved with a bare union-find (Map + union by size, no normalization, provenance or guards) stitching the same events.`,
  async run() {
    const next = random(42);
    const graph = createIdentityGraph({ clock: { now: () => 0 } });
    const bare = createBareStitcher();
    const heapBefore = process.memoryUsage().heapUsed;
    const buildStart = process.hrtime.bigint();
    for (let done = 0; done < RECORDS; done += 100_000) {
      // Generated in slices so the event objects of the build never all live at once.
      for (const event of retailEvents(100_000, done, next)) {
        graph.addEvent(event);
        bare(event);
      }
    }
    const buildSeconds = Number(process.hrtime.bigint() - buildStart) / 1e9;
    globalThis.gc?.();
    const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const built = graph.stats();

    const timed = retailEvents(TIMED, RECORDS, next);
    const chunk = TIMED / CHUNKS;
    const rates = { graph: [] as number[], bare: [] as number[] };
    for (let c = 0; c < CHUNKS; c++) {
      const slice = timed.slice(c * chunk, (c + 1) * chunk);
      for (const [name, add] of [
        ['bare', bare],
        ['graph', (event: IdentityEvent) => graph.addEvent(event)],
      ] as const) {
        const start = process.hrtime.bigint();
        for (const event of slice) add(event);
        rates[name].push(chunk / (Number(process.hrtime.bigint() - start) / 1e9));
      }
    }
    const baseRate = median(rates.bare);
    const graphRate = median(rates.graph);
    const after = graph.stats();
    return [
      { name: 'bare union-find, same events', value: baseRate, unit: 'events/s', note: `graph + baseline built from ${RECORDS.toLocaleString('en-US')} records in ${buildSeconds.toFixed(1)} s` },
      {
        name: `identity graph, ${RECORDS.toLocaleString('en-US')} records in the graph`,
        value: graphRate,
        unit: 'events/s',
        baseline: { name: 'bare union-find', value: baseRate },
        ratio: graphRate / baseRate,
        budget: { text: `≥ ${BUDGET.toLocaleString('en-US')} records/s on one core with 1M records in the graph`, met: graphRate >= BUDGET },
        note: `${built.nodes.toLocaleString('en-US')} identifiers, ${built.edges.toLocaleString('en-US')} edges, ${built.clusters.toLocaleString('en-US')} profiles; heap ≈ ${heapMb.toFixed(0)} MB for both structures; after the timed events: ${after.refused} refused, ${after.demoted} demoted`,
      },
    ];
  },
};

export default benchmark;
