import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithClusterService, postgresGap, redisGap } from '../../test-utils/src/cluster-services';
import { natsGap } from '../../test-utils/src/services';
import { createClusterFixture, outOfOrder, SECRET, sendRoundRobin, shopperEvent, shopperLanes, type ClusterFixture } from './cluster-harness';
import { basicAuth, WRITE_KEY } from './collector-harness';
import { killHard } from './collector-process';
import { waitFor } from './nats-helpers';
import { privatePostgresGap, startPrivatePostgres, type PrivatePostgres } from './private-postgres';

/*
 * Cluster mode with real processes and servers: two `tailor collector --mode cluster` and two `tailor
 * processor` child processes on the machine's NATS JetStream, PostgreSQL and Redis.
 */

const gap = (await natsGap()) ?? (await postgresGap()) ?? (await redisGap());

async function profile(url: string, identifier: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/v1/profiles/${encodeURIComponent(identifier)}`, { headers: { authorization: basicAuth(SECRET) } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Every acknowledged event is in the shared log exactly once, and each shopper's events are in the order sent. */
function expectExactlyOnceInOrder(rows: Awaited<ReturnType<ClusterFixture['storedEvents']>>, acked: ReadonlySet<string>): void {
  const ids = rows.map((row) => row.messageId);
  expect(new Set(ids).size).toBe(ids.length);
  const stored = new Set(ids);
  expect([...acked].filter((id) => !stored.has(id))).toEqual([]);
  expect(outOfOrder(rows)).toEqual([]);
}

describeWithClusterService(gap, 'cluster mode: two collectors, two processors (real NATS, PostgreSQL, Redis)', () => {
  let cluster: ClusterFixture;

  beforeAll(async () => {
    cluster = await createClusterFixture({ partitions: 8 });
    await Promise.all([cluster.startCollector(), cluster.startCollector(), cluster.startProcessor(), cluster.startProcessor()]);
  }, 120_000);

  afterAll(async () => {
    await cluster?.destroy();
  }, 60_000);

  const urls = () => cluster.collectors.filter((c) => c.child.exitCode === null && c.child.signalCode === null).map((c) => c.url);

  it('stores events sent round-robin to both collectors exactly once, in each shopper’s order, with retries as duplicates', async () => {
    const lanes = shopperLanes('rr', 60, 20, 6, 25);
    const acked = await sendRoundRobin(urls, lanes);
    expect(acked.size).toBe(1_200);
    // A client that never saw its answers sends everything again, to the other collectors: nothing new is stored.
    await sendRoundRobin(() => [...urls()].reverse(), lanes.slice(0, 2));
    await waitFor('1,200 events in the shared log', async () => (await cluster.storedEvents()).length >= 1_200, 60_000, 200);
    const rows = (await cluster.storedEvents()).filter((row) => row.messageId.startsWith('rr-'));
    expect(rows).toHaveLength(1_200);
    expectExactlyOnceInOrder(rows, acked);
    // Both processors take part: the partitions are split between them (rebalancing runs every second, so a
    // processor that started last may still be taking its share), and exactly one holds the projector lease.
    const health = () => Promise.all(cluster.processors.map(async (p) => (await fetch(`${p.url}/healthz`)).json() as Promise<{ partitions: number[]; projecting: boolean }>));
    await waitFor(
      'the partitions split between both processors, one projector',
      async () => {
        const now = await health();
        const all = now.flatMap((h) => h.partitions).sort((a, b) => a - b);
        return now.every((h) => h.partitions.length > 0) && all.join() === '0,1,2,3,4,5,6,7' && now.filter((h) => h.projecting).length === 1;
      },
      15_000,
      200,
    );
    // Prometheus on both kinds of process: what the collector acked, what the processors appended.
    const collectorMetrics = await (await fetch(`${cluster.collectors[0]!.url}/metrics`)).text();
    expect(collectorMetrics).toMatch(/tailor_events_accepted_total\{source="shop"\} \d+/);
    expect(collectorMetrics).not.toMatch(/tailor_log_events/); // it keeps no local log
    const appended = await Promise.all(cluster.processors.map(async (p) => Number(/tailor_processor_events_applied_total (\d+)/.exec(await (await fetch(`${p.url}/metrics`)).text())?.[1])));
    expect(appended.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1_200);
  }, 120_000);

  it('shows on any collector the profile and decision built from events sent to another', async () => {
    const [a, b] = cluster.collectors.map((c) => c.url) as [string, string];
    const events = Array.from({ length: 5 }, (_, i) => shopperEvent(999, i, 'fresh'));
    const sent = await fetch(`${a}/v1/batch`, { method: 'POST', headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' }, body: JSON.stringify({ batch: events }) });
    expect(sent.status).toBe(200);
    // shopperEvent gives the 5th event (i = 4) a userId: the anonymous id and the user id are one person now.
    let seen: Record<string, unknown> = {};
    await waitFor(
      'the profile on the other collector',
      async () => {
        const found = await profile(b, 'userId:user-fresh-999');
        seen = found.body;
        return found.status === 200 && (found.body.counts as Record<string, number> | undefined)?.track === 5;
      },
      30_000,
      50,
    );
    expect(seen.anonymousIds).toEqual(['anon-fresh-999']);
    const decided = await fetch(`${b}/v1/decide`, {
      method: 'POST',
      headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 'user-fresh-999', placements: [{ id: 'home-hero' }] }),
    });
    expect(decided.status).toBe(200);
    expect(((await decided.json()) as { profileId?: string }).profileId).toBe(seen.id);
  }, 60_000);

  it('erases a person through any collector (the projector-lease holder does it)', async () => {
    const [a, b] = cluster.collectors.map((c) => c.url) as [string, string];
    const erased = await fetch(`${a}/v1/profiles/${encodeURIComponent('userId:user-fresh-999')}`, { method: 'DELETE', headers: { authorization: basicAuth(SECRET) } });
    expect(erased.status).toBe(200);
    expect(((await erased.json()) as { events: number }).events).toBe(5);
    expect((await profile(b, 'anonymousId:anon-fresh-999')).status).toBe(404);
    expect((await cluster.storedEvents()).filter((row) => row.messageId.startsWith('fresh-'))).toEqual([]);
  }, 60_000);

  it('finishes a processor’s work after it is SIGKILLed mid-stream: nothing lost, nothing applied twice, order kept', async () => {
    const lanes = shopperLanes('kill', 80, 25, 8, 20);
    let killed: Promise<void> | undefined;
    const victim = cluster.processors[0]!;
    const acked = await sendRoundRobin(urls, lanes, {
      // Kill the first processor once a third of the stream is acknowledged (asynchronously: sending goes on).
      onAck: (count) => {
        if (count >= 650) killed ??= killHard(victim.child);
      },
    });
    await killed;
    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(acked.size).toBe(2_000);
    await waitFor(
      'every event in the shared log after the kill',
      async () => (await cluster.storedEvents()).filter((row) => row.messageId.startsWith('kill-')).length >= 2_000,
      90_000,
      250,
    );
    const rows = (await cluster.storedEvents()).filter((row) => row.messageId.startsWith('kill-'));
    expectExactlyOnceInOrder(rows, acked);
    expect(rows).toHaveLength(2_000);
    // The survivor took over every partition (and the projector lease); a restarted processor rejoins.
    const survivor = cluster.processors[1]!;
    await waitFor('the survivor to own all 8 partitions', async () => ((await (await fetch(`${survivor.url}/healthz`)).json()) as { partitions: number[] }).partitions.length === 8, 30_000, 200);
    const restarted = await cluster.startProcessor();
    await waitFor('the restarted processor to take a share', async () => ((await (await fetch(`${restarted.url}/healthz`)).json()) as { partitions: number[] }).partitions.length > 0, 30_000, 200);
    // Profiles are complete: a shopper's profile counts all 25 of their events once.
    await waitFor('projection of the whole stream', async () => ((await profile(cluster.collectors[0]!.url, 'anonymousId:anon-kill-7')).body.counts as Record<string, number> | undefined)?.track === 25, 30_000, 100);
  }, 180_000);

  it('holds a frequency cap from the ack on, through Redis, even while no processor has projected the outcome', async () => {
    const [a, b] = cluster.collectors.map((c) => c.url) as [string, string];
    const send = async (url: string, batch: unknown[]) => {
      const response = await fetch(`${url}/v1/batch`, { method: 'POST', headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' }, body: JSON.stringify({ batch }) });
      expect(response.status).toBe(200);
    };
    const decideHero = async () => {
      const response = await fetch(`${b}/v1/decide`, {
        method: 'POST',
        headers: { authorization: basicAuth(WRITE_KEY), 'content-type': 'application/json' },
        body: JSON.stringify({ anonymousId: 'cap-1', placements: [{ id: 'home-hero' }] }),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { decisionId: string; placements: Array<{ items: Array<{ offerId: string }> }> };
      return { decisionId: body.decisionId, offerId: body.placements[0]?.items[0]?.offerId };
    };
    // A shopper browses shoes until the (projected) profile earns them the shoes offer.
    const views = Array.from({ length: 6 }, (_, i) => ({ type: 'track', event: 'Product Viewed', anonymousId: 'cap-1', messageId: `cap-1-view-${i}`, properties: { product_id: `shoe-${i}`, category: 'shoes', price: 90 } }));
    await send(a, views);
    let first = await decideHero();
    await waitFor('the shoes offer for the shopper', async () => (first = await decideHero()).offerId === 'shoes-20', 30_000, 100);
    // No processor from here on: whatever the decision counts now can only come from the collectors' Redis counters.
    await Promise.all(cluster.processors.map((p) => killHard(p.child)));
    // The shopper dismisses it on a page served by collector A; the example config suppresses an offer for 7
    // days after one dismissal. The next decision, on collector B, already respects that.
    await send(a, [{ type: 'track', event: 'Offer Dismissed', anonymousId: 'cap-1', messageId: 'cap-1-dismiss', properties: { decision_id: first.decisionId, offer_id: 'shoes-20', placement_id: 'home-hero' } }]);
    const second = await decideHero();
    expect(second.offerId).toBeDefined();
    expect(second.offerId).not.toBe('shoes-20');
  }, 60_000);
});

describeWithClusterService(gap ?? privatePostgresGap, 'cluster mode: PostgreSQL crashed and restarted under load', () => {
  let server: PrivatePostgres;
  let cluster: ClusterFixture;

  beforeAll(async () => {
    server = await startPrivatePostgres();
    cluster = await createClusterFixture({ connectionString: server.connectionString, partitions: 4 });
    await Promise.all([cluster.startCollector(), cluster.startCollector(), cluster.startProcessor(), cluster.startProcessor()]);
  }, 180_000);

  afterAll(async () => {
    await cluster?.destroy();
    server?.destroy();
  }, 60_000);

  it('loses no acknowledged event: collectors keep acking from JetStream, processors catch up after the restart', async () => {
    const urls = () => cluster.collectors.map((c) => c.url);
    const lanes = shopperLanes('pg', 40, 30, 4, 20);
    let outage: Promise<void> | undefined;
    let latest = 0;
    let ackedWhenDown = 0;
    let ackedWhenUp = 0;
    const acked = await sendRoundRobin(urls, lanes, {
      onAck: (count) => {
        latest = count;
        // Crash PostgreSQL a third of the way in, and start it again two seconds later, while sending goes on.
        if (count >= 400)
          outage ??= server
            .crash()
            .then(() => (ackedWhenDown = latest))
            .then(() => new Promise((resolve) => setTimeout(resolve, 2_000)))
            .then(() => (ackedWhenUp = latest))
            .then(() => server.start());
      },
    });
    await outage;
    // Collectors went on acknowledging while PostgreSQL was down: JetStream holds what processors cannot store yet.
    expect(ackedWhenUp).toBeGreaterThan(ackedWhenDown);
    expect(acked.size).toBe(1_200);
    await waitFor('every acknowledged event in PostgreSQL after the restart', async () => (await cluster.storedEvents().catch(() => [])).length >= 1_200, 120_000, 250);
    const rows = await cluster.storedEvents();
    expect(rows).toHaveLength(1_200);
    expectExactlyOnceInOrder(rows, acked);
  }, 240_000);
});
