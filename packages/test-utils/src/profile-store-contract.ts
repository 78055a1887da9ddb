import type { IdentityEvent } from '@tailor/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEntry } from '../../node/src/collector/profile-store';
import type { Profile } from '../../node/src/collector/types';
import type { AsyncCollectorStore } from '../../node/src/storage/async-store';
import { trackEvent } from './event-store-contract';

export interface ProfileStoreHarness {
  /** The event store and its profile store (the profile store's `removeLog` deletes from this log). */
  readonly store: AsyncCollectorStore;
  /** Opens the same data again. The suite closes the previous store first. */
  readonly reopen: () => Promise<AsyncCollectorStore>;
  /** Removes what the store left behind. Runs after the suite closed every store it opened. */
  readonly cleanup: () => Promise<void>;
}

export interface ProfileStoreContractOptions {
  /** Titles of cases this store is known to fail, each with an issue to fix it; they run as `it.fails`. */
  readonly knownFailures?: readonly string[];
}

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);

/** A profile with every field set; `extra` overrides any field. */
export function sampleProfile(sourceId: string, id: string, extra: Partial<Profile> = {}): Profile {
  return {
    id,
    sourceId,
    identifiers: [`userId:${id}-user`, `email:${'ab'.repeat(32)}`],
    mergedIds: [],
    userId: `${id}-user`,
    anonymousIds: ['anon-1', 'anon-2'],
    traits: { name: 'Zoë Ø', plan: { tier: 'gold', since: T0 }, tags: ['a', 'b'], vip: true, score: 0.25, nothing: null },
    firstSeen: T0,
    lastSeen: T0 + 60_000,
    counts: { track: 3, page: 1 },
    events: { 'Product Viewed': 2, 'Order Completed': 1 },
    history: [{ type: 'merged', at: T0, profileIds: ['p_old'], rule: 'userId', eventId: 'm1', identifier: 'userId:u1' }],
    ...extra,
  };
}

function journalEvent(messageId: string, userId: string): IdentityEvent {
  return { messageId, userId, anonymousId: `anon-${messageId}`, type: 'identify' } as unknown as IdentityEvent;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/**
 * The behaviour every profile store promises (`ProfileStore`, seen through `AsyncProfileStore`): atomic
 * projection writes, reads that follow merges, a replayable identity journal in (source, seq) order, and
 * values that come back exactly as written, whatever characters their ids hold. Run it from each
 * implementation's test file; synchronous stores go through `toAsyncCollectorStore`.
 *
 * @example
 * runProfileStoreContract('lmdb', async () => {
 *   const dataDir = mkdtempSync(join(tmpdir(), 'tailor-lmdb-'));
 *   const make = async () => toAsyncCollectorStore(createLmdbStore({ dataDir }));
 *   return { store: await make(), reopen: make, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
 * });
 */
export function runProfileStoreContract(name: string, makeStore: () => Promise<ProfileStoreHarness>, options: ProfileStoreContractOptions = {}): void {
  /** A case listed in `knownFailures` runs as `it.fails`: it is reported, and turns red once the store is fixed. */
  const caseOf = (title: string) => (options.knownFailures?.includes(title) ? it.fails : it);
  describe(`ProfileStore contract: ${name}`, () => {
    let opened: AsyncCollectorStore[] = [];
    let cleanups: Array<() => Promise<void>> = [];

    afterEach(async () => {
      for (const store of opened) await store.close().catch(() => undefined);
      for (const cleanup of cleanups) await cleanup();
      opened = [];
      cleanups = [];
    });

    async function setup() {
      const harness = await makeStore();
      opened.push(harness.store);
      cleanups.push(harness.cleanup);
      const reopen = async (current: AsyncCollectorStore) => {
        await current.close();
        const next = await harness.reopen();
        opened.push(next);
        return next;
      };
      return { store: harness.store, reopen };
    }

    it('starts empty', async () => {
      const { profiles } = (await setup()).store;
      expect(await profiles.getProfile('shop', 'p_1')).toBeUndefined();
      expect(await profiles.findProfile('shop', 'userId:u1')).toBeUndefined();
      expect(await profiles.appliedSeq()).toBe(0);
      expect(await profiles.count()).toBe(0);
      expect(await collect(profiles.journal())).toEqual([]);
      expect(await collect(profiles.tombstones())).toEqual([]);
      expect(await profiles.eventSeqs('shop', 'userId:u1')).toEqual([]);
    });

    it('returns a committed profile exactly as written, by id and by identifier key, per source', async () => {
      const { profiles } = (await setup()).store;
      const profile = sampleProfile('shop', 'p_1', {
        interactions: { shown: { 'offer-1': [T0, T0 + 5] }, dismissed: {} } as unknown as Profile['interactions'],
        features: { specVersion: 'v3', state: { views: { count: 2 } } as unknown as NonNullable<Profile['features']>['state'] },
      });
      await profiles.commit({ putProfiles: [profile], putKeys: [{ sourceId: 'shop', key: 'userId:u1', profileId: 'p_1' }], appliedSeq: 4 });
      expect(await profiles.getProfile('shop', 'p_1')).toEqual(profile);
      expect(await profiles.findProfile('shop', 'userId:u1')).toEqual(profile);
      expect(await profiles.getProfile('other-shop', 'p_1')).toBeUndefined();
      expect(await profiles.findProfile('other-shop', 'userId:u1')).toBeUndefined();
      expect(await profiles.count()).toBe(1);
      expect(await profiles.appliedSeq()).toBe(4);
    });

    it('resolves a retired (merged-away) id and its identifier keys to the surviving profile', async () => {
      const { profiles } = (await setup()).store;
      const survivor = sampleProfile('shop', 'p_keep', { mergedIds: ['p_gone'] });
      await profiles.commit({
        putProfiles: [survivor],
        putKeys: [
          { sourceId: 'shop', key: 'userId:u1', profileId: 'p_keep' },
          { sourceId: 'shop', key: 'anonymousId:a1', profileId: 'p_gone' },
        ],
        putAliases: [{ sourceId: 'shop', retiredId: 'p_gone', profileId: 'p_keep' }],
      });
      expect((await profiles.getProfile('shop', 'p_gone'))?.id).toBe('p_keep');
      expect((await profiles.findProfile('shop', 'anonymousId:a1'))?.id).toBe('p_keep');
      await profiles.commit({ removeAliases: [{ sourceId: 'shop', retiredId: 'p_gone' }] });
      expect(await profiles.getProfile('shop', 'p_gone')).toBeUndefined();
      expect(await profiles.findProfile('shop', 'anonymousId:a1')).toBeUndefined();
    });

    it('applies removes before puts within one commit, and removes what an earlier commit put', async () => {
      const { profiles } = (await setup()).store;
      await profiles.commit({ putProfiles: [sampleProfile('shop', 'p_1'), sampleProfile('shop', 'p_2')], putKeys: [{ sourceId: 'shop', key: 'userId:u1', profileId: 'p_1' }] });
      const replaced = sampleProfile('shop', 'p_1', { traits: { replaced: true } });
      await profiles.commit({
        removeProfiles: [
          { sourceId: 'shop', id: 'p_1' },
          { sourceId: 'shop', id: 'p_2' },
        ],
        putProfiles: [replaced],
        removeKeys: [{ sourceId: 'shop', key: 'userId:u1' }],
        putKeys: [{ sourceId: 'shop', key: 'userId:u1', profileId: 'p_1' }],
      });
      expect(await profiles.getProfile('shop', 'p_1')).toEqual(replaced);
      expect(await profiles.getProfile('shop', 'p_2')).toBeUndefined();
      expect(await profiles.findProfile('shop', 'userId:u1')).toEqual(replaced);
      expect(await profiles.count()).toBe(1);
      await profiles.commit({ removeKeys: [{ sourceId: 'shop', key: 'userId:u1' }] });
      expect(await profiles.findProfile('shop', 'userId:u1')).toBeUndefined();
    });

    it('never moves appliedSeq backwards', async () => {
      const { profiles } = (await setup()).store;
      await profiles.commit({ appliedSeq: 10 });
      await profiles.commit({ appliedSeq: 7 });
      expect(await profiles.appliedSeq()).toBe(10);
      await profiles.commit({ appliedSeq: 11 });
      expect(await profiles.appliedSeq()).toBe(11);
    });

    it('refuses a write whose expectAppliedSeq is not the applied seq, writing nothing of it (stale_projection)', async () => {
      const { store } = await setup();
      const { profiles } = store;
      await store.append('shop', [trackEvent('a'), trackEvent('b')], T0);
      await profiles.commit({ putProfiles: [sampleProfile('shop', 'p_1')], appliedSeq: 5, expectAppliedSeq: 0 }, { durable: false });
      expect(await profiles.appliedSeq()).toBe(5);
      // A projector that started from 3 (another one applied up to 5 since) must not apply its range again.
      const stale = profiles.commit(
        {
          appliedSeq: 8,
          expectAppliedSeq: 3,
          putProfiles: [sampleProfile('shop', 'p_2')],
          removeProfiles: [{ sourceId: 'shop', id: 'p_1' }],
          putKeys: [{ sourceId: 'shop', key: 'userId:u2', profileId: 'p_2' }],
          putJournal: [{ sourceId: 'shop', seq: 8, event: journalEvent('m8', 'u2') }],
          putEventIndex: [{ sourceId: 'shop', key: 'userId:u2', seq: 8 }],
          putTombstones: [{ sourceId: 'shop', key: 'userId:u9', at: T0 }],
          removeLog: [1],
        },
        { durable: false },
      );
      await expect(stale).rejects.toMatchObject({ name: 'TailorError', code: 'stale_projection' });
      expect(await profiles.appliedSeq()).toBe(5);
      expect(await profiles.getProfile('shop', 'p_1')).toEqual(sampleProfile('shop', 'p_1'));
      expect(await profiles.getProfile('shop', 'p_2')).toBeUndefined();
      expect(await profiles.findProfile('shop', 'userId:u2')).toBeUndefined();
      expect(await collect(profiles.journal())).toEqual([]);
      expect(await profiles.eventSeqs('shop', 'userId:u2')).toEqual([]);
      expect(await collect(profiles.tombstones())).toEqual([]);
      expect((await store.read(0, 10)).map((e) => e.event.messageId)).toEqual(['a', 'b']);
      // From the right seq it commits; a seq ahead of the store is as stale as one behind it.
      await expect(profiles.commit({ appliedSeq: 9, expectAppliedSeq: 6 })).rejects.toMatchObject({ code: 'stale_projection' });
      await profiles.commit({ appliedSeq: 9, expectAppliedSeq: 5, putProfiles: [sampleProfile('shop', 'p_2')] });
      expect(await profiles.appliedSeq()).toBe(9);
      expect((await profiles.getProfile('shop', 'p_2'))?.id).toBe('p_2');
    });

    it('lets only one of two commits from the same applied seq through', async () => {
      const { profiles } = (await setup()).store;
      await profiles.commit({ appliedSeq: 2 });
      const results = await Promise.allSettled([
        profiles.commit({ appliedSeq: 4, expectAppliedSeq: 2, putProfiles: [sampleProfile('shop', 'p_a')] }),
        profiles.commit({ appliedSeq: 6, expectAppliedSeq: 2, putProfiles: [sampleProfile('shop', 'p_b')] }),
      ]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const refused = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      expect(refused?.reason).toMatchObject({ code: 'stale_projection' });
      expect(await profiles.count()).toBe(1);
      expect([4, 6]).toContain(await profiles.appliedSeq());
    });

    it('replays the identity journal in (source, seq) order and forgets removed entries', async () => {
      const { profiles } = (await setup()).store;
      const entry = (sourceId: string, seq: number): JournalEntry => ({ sourceId, seq, event: journalEvent(`m${seq}`, `u${seq}`) });
      await profiles.commit({ putJournal: [entry('shop-b', 2), entry('shop-a', 10), entry('shop-a', 3), entry('shop-b', 1)] });
      await profiles.commit({ removeJournal: [{ sourceId: 'shop-a', seq: 10 }], putJournal: [entry('shop-a', 12)] });
      const replayed = await collect(profiles.journal());
      expect(replayed.map((e) => [e.sourceId, e.seq])).toEqual([
        ['shop-a', 3],
        ['shop-a', 12],
        ['shop-b', 1],
        ['shop-b', 2],
      ]);
      expect(replayed[0]?.event).toMatchObject(journalEvent('m3', 'u3') as unknown as Record<string, unknown>);
    });

    it('indexes the seqs that carried an identifier, ascending, per source and key', async () => {
      const { profiles } = (await setup()).store;
      await profiles.commit({
        putEventIndex: [
          { sourceId: 'shop', key: 'userId:u1', seq: 9 },
          { sourceId: 'shop', key: 'userId:u1', seq: 2 },
          { sourceId: 'shop', key: 'userId:u2', seq: 5 },
          { sourceId: 'shop-b', key: 'userId:u1', seq: 4 },
        ],
      });
      await profiles.commit({ removeEventIndex: [{ sourceId: 'shop', key: 'userId:u1', seq: 9 }], putEventIndex: [{ sourceId: 'shop', key: 'userId:u1', seq: 11 }] });
      expect(await profiles.eventSeqs('shop', 'userId:u1')).toEqual([2, 11]);
      expect(await profiles.eventSeqs('shop', 'userId:u2')).toEqual([5]);
      expect(await profiles.eventSeqs('shop-b', 'userId:u1')).toEqual([4]);
    });

    async function expectVerbatim(profiles: AsyncCollectorStore['profiles'], keys: readonly string[]) {
      await profiles.commit({
        putProfiles: keys.map((key, i) => sampleProfile('shop', `p_${i}`, { userId: key })),
        putKeys: keys.map((key, i) => ({ sourceId: 'shop', key, profileId: `p_${i}` })),
        putTombstones: keys.map((key, i) => ({ sourceId: 'shop', key: `${key}-gone`, at: T0 + i })),
        putEventIndex: keys.map((key, i) => ({ sourceId: 'shop', key, seq: i + 1 })),
      });
      for (const [i, key] of keys.entries()) {
        expect((await profiles.findProfile('shop', key))?.userId).toBe(key);
        expect(await profiles.eventSeqs('shop', key)).toEqual([i + 1]);
      }
      const tombstones = await collect(profiles.tombstones());
      expect(tombstones.map((t) => t.key).sort()).toEqual(keys.map((key) => `${key}-gone`).sort());
      expect(tombstones.find((t) => t.key === `${keys[0]}-gone`)).toEqual({ sourceId: 'shop', key: `${keys[0]}-gone`, at: T0 });
    }

    it('keeps ids and keys holding NUL, escape characters and unicode distinct and verbatim', async () => {
      const { profiles } = (await setup()).store;
      await expectVerbatim(profiles, ['userId:a\u0000b', 'userId:a\u0001b', 'userId:a\u0001\u0001b', 'userId:a\u0001\u0002b', 'userId:ünï ✓']);
    });

    const LONG_KEYS = 'keeps identifier keys over 250 characters distinct and verbatim (stores hash them)';
    caseOf(LONG_KEYS)(LONG_KEYS, async () => {
      const { profiles } = (await setup()).store;
      await expectVerbatim(profiles, [`userId:${'x'.repeat(1_000)}`, `userId:${'x'.repeat(999)}y`, `userId:${'é'.repeat(300)}`]);
    });

    it('deletes log entries named by removeLog in the same commit (erasure)', async () => {
      const { store } = await setup();
      await store.append('shop', [trackEvent('a'), trackEvent('b'), trackEvent('c')], T0);
      await store.profiles.commit({ removeLog: [2, 3], putTombstones: [{ sourceId: 'shop', key: 'userId:u1', at: T0 }] });
      expect((await store.read(0, 10)).map((e) => e.event.messageId)).toEqual(['a']);
      expect(await collect(store.profiles.tombstones())).toEqual([{ sourceId: 'shop', key: 'userId:u1', at: T0 }]);
    });

    it('keeps everything and the same id salt across a restart', async () => {
      const harness = await setup();
      const salt = await harness.store.profiles.idSalt();
      expect(salt).toMatch(/^[0-9a-f]{32}$/);
      expect(await harness.store.profiles.idSalt()).toBe(salt);
      const profile = sampleProfile('shop', 'p_1');
      await harness.store.profiles.commit({
        putProfiles: [profile],
        putKeys: [{ sourceId: 'shop', key: 'userId:u1', profileId: 'p_1' }],
        putJournal: [{ sourceId: 'shop', seq: 1, event: journalEvent('m1', 'u1') }],
        appliedSeq: 1,
      });
      const { profiles } = await harness.reopen(harness.store);
      expect(await profiles.idSalt()).toBe(salt);
      expect(await profiles.findProfile('shop', 'userId:u1')).toEqual(profile);
      expect(await profiles.appliedSeq()).toBe(1);
      expect((await collect(profiles.journal())).map((e) => e.seq)).toEqual([1]);
    });

  });
}
