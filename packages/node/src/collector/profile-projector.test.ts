import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IdentityChange } from '@tailor/core';
import { afterEach, describe, expect, it } from 'vitest';
import { toAsyncEventStore, toAsyncProfileStore } from '../storage/async-store';
import { createLmdbStore, type LmdbStore } from './lmdb-store';
import { createProfileProjector, createTargetResolver, type ProfileProjector } from './profile-projector';
import type { IngestedEvent } from './types';

const T0 = Date.UTC(2026, 10, 24, 10, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const SILENT = { info() {}, warn() {}, error() {} };
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

function ingest(event: Record<string, unknown>): IngestedEvent {
  return { messageId: event.messageId as string, event: { timestamp: iso(T0), ...event } as never };
}
const track = (messageId: string, extra: Record<string, unknown> = {}) => ingest({ type: 'track', messageId, event: 'Product Viewed', ...extra });

let dirs: string[] = [];
let stores: LmdbStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(dataDir = mkdtempSync(join(tmpdir(), 'tailor-profiles-'))) {
  if (!dirs.includes(dataDir)) dirs.push(dataDir);
  const store = createLmdbStore({ dataDir });
  stores.push(store);
  const changes: IdentityChange[] = [];
  const projector = createProfileProjector({ events: toAsyncEventStore(store), profiles: toAsyncProfileStore(store.profiles), logger: SILENT, now: () => T0 + 1_000_000, onChange: (_source, change) => changes.push(change) });
  const resolve = createTargetResolver();
  /** Appends and projects, as the outbox would. */
  async function feed(sourceId: string, events: IngestedEvent[], receivedAt = T0): Promise<void> {
    const before = store.lastSeq();
    await store.append(sourceId, events, receivedAt);
    await projector.send(store.read(before, 10_000));
  }
  const find = (sourceId: string, target: string) => {
    const resolved = resolve(target);
    if (resolved.kind === 'invalid') throw new Error(resolved.message);
    return resolved.kind === 'profile' ? store.profiles.getProfile(sourceId, resolved.value) : store.profiles.findProfile(sourceId, resolved.value);
  };
  return { dataDir, store, projector, feed, find, changes };
}

async function reopen(previous: { dataDir: string; store: LmdbStore; projector: ProfileProjector }) {
  await previous.projector.close();
  await previous.store.close();
  return open(previous.dataDir);
}

describe('profile projector', () => {
  it('builds an anonymous profile, then folds it into the known person on identify', async () => {
    const { feed, find, store } = open();
    await feed('shop', [
      track('m1', { anonymousId: 'a1', timestamp: iso(T0 + 5_000) }),
      track('m2', { anonymousId: 'a1', timestamp: iso(T0 + 1_000) }),
      ingest({ type: 'page', messageId: 'm3', anonymousId: 'a1', name: 'Home', timestamp: iso(T0 + 2_000) }),
    ]);
    const anonymous = find('shop', 'anonymousId:a1');
    expect(anonymous).toMatchObject({ sourceId: 'shop', anonymousIds: ['a1'], counts: { track: 2, page: 1 }, events: { 'Product Viewed': 2 }, firstSeen: T0 + 1_000, lastSeen: T0 + 5_000 });
    expect(anonymous?.id).toMatch(/^p_[0-9a-f]{20}$/);
    expect(anonymous?.userId).toBeUndefined();

    await feed('shop', [
      ingest({ type: 'identify', messageId: 'm4', userId: 'u1', traits: { email: 'Ada.Lovelace+shop@Gmail.com', plan: 'free' }, timestamp: iso(T0 + 20_000) }),
      ingest({ type: 'identify', messageId: 'm5', userId: 'u1', anonymousId: 'a1', traits: { plan: 'gold' }, timestamp: iso(T0 + 30_000) }),
      ingest({ type: 'group', messageId: 'm6', userId: 'u1', groupId: 'g1', traits: { plan: 'enterprise' }, timestamp: iso(T0 + 31_000) }),
    ]);
    const person = find('shop', 'userId:u1');
    // The anonymous profile was created first, so its id survives the merge; the user's id is retired into it.
    expect(person?.id).toBe(anonymous?.id);
    expect(person).toMatchObject({ userId: 'u1', anonymousIds: ['a1'], firstSeen: T0 + 1_000, lastSeen: T0 + 31_000 });
    expect(person?.counts).toEqual({ track: 2, page: 1, identify: 2, group: 1 });
    expect(person?.traits).toEqual({ email: 'Ada.Lovelace+shop@Gmail.com', plan: 'gold' });
    // Email keys are normalized (Gmail dots and +tags) and hashed: no plain address in the key.
    expect(person?.identifiers).toContain(`email:${sha('adalovelace@gmail.com')}`);
    expect(find('shop', 'email:ada.lovelace@gmail.com')?.id).toBe(person?.id);
    expect(find('shop', 'anonymousId:a1')?.id).toBe(person?.id);
    expect(person?.mergedIds).toHaveLength(1);
    expect(find('shop', person?.mergedIds[0] as string)?.id).toBe(person?.id);
    expect(person?.history).toMatchObject([{ type: 'merged', rule: 'identify', eventId: 'm5' }]);
    expect(store.profiles.count()).toBe(1);
  });

  it('folds the previousId profile on alias and scopes everything by source', async () => {
    const { feed, find } = open();
    await feed('shop', [
      track('m1', { anonymousId: 'a9', event: 'Product Added' }),
      ingest({ type: 'identify', messageId: 'm2', userId: 'new-user', traits: { name: 'Ada' } }),
      ingest({ type: 'alias', messageId: 'm3', previousId: 'a9', userId: 'new-user' }),
    ]);
    expect(find('shop', 'anonymousId:a9')).toMatchObject({ userId: 'new-user', counts: { track: 1, identify: 1, alias: 1 }, events: { 'Product Added': 1 } });
    expect(find('outlet', 'anonymousId:a9')).toBeUndefined();
    await feed('outlet', [track('m1', { anonymousId: 'a9' })]);
    expect(find('outlet', 'anonymousId:a9')).toMatchObject({ counts: { track: 1 } });
    expect(find('outlet', 'anonymousId:a9')?.id).not.toBe(find('shop', 'anonymousId:a9')?.id);
  });

  it('links an email hashed on the device (same normalization) to the same address sent in clear', async () => {
    const { feed, find } = open();
    await feed('shop', [
      ingest({ type: 'identify', messageId: 'm1', anonymousId: 'web-cookie', traits: { email: sha('annlee@gmail.com') } }),
      ingest({ type: 'identify', messageId: 'm2', userId: 'crm-7', traits: { email: 'Ann.Lee+offers@gmail.com' } }),
    ]);
    expect(find('shop', 'anonymousId:web-cookie')?.id).toBe(find('shop', 'userId:crm-7')?.id);
  });

  it('does not count an event twice when the outbox sends a batch again', async () => {
    const { feed, find, projector, store } = open();
    await feed('shop', [track('m1', { anonymousId: 'a1' }), ingest({ type: 'identify', messageId: 'm2', userId: 'u1', anonymousId: 'a1' })]);
    await projector.send(store.read(0, 100));
    await projector.send(store.read(1, 100));
    expect(find('shop', 'userId:u1')?.counts).toEqual({ track: 1, identify: 1 });
  });

  it('reads back from the log what a batch skipped (a cursor ahead of the last applied event)', async () => {
    const { store, projector, find } = open();
    await store.append('shop', [track('m1', { anonymousId: 'a1' }), ingest({ type: 'identify', messageId: 'm2', userId: 'u1', anonymousId: 'a1' }), track('m3', { userId: 'u1' })], T0);
    await projector.send(store.read(2, 10)); // only seq 3 arrives: 1 and 2 are read back first
    expect(find('shop', 'anonymousId:a1')).toMatchObject({ userId: 'u1', counts: { track: 2, identify: 1 } });
  });

  it('never applies a range twice when a second projector applied it first (stale_projection), and catches up from the store', async () => {
    const { store, projector, find } = open();
    const rival = createProfileProjector({ events: toAsyncEventStore(store), profiles: toAsyncProfileStore(store.profiles), logger: SILENT, now: () => T0 + 1_000_000 });
    await Promise.all([projector.start(), rival.start()]);
    await store.append('shop', [track('m1', { anonymousId: 'a1' }), ingest({ type: 'identify', messageId: 'm2', userId: 'u1', anonymousId: 'a1' })], T0);
    await rival.send(store.read(0, 10));
    // This projector still believes nothing is applied: its commit is refused and it rebuilds from the store.
    await expect(projector.send(store.read(0, 10))).rejects.toMatchObject({ code: 'stale_projection' });
    await projector.send(store.read(0, 10)); // the outbox's retry: already applied, skipped
    await store.append('shop', [track('m3', { userId: 'u1' })], T0);
    await projector.send(store.read(2, 10));
    expect(find('shop', 'anonymousId:a1')).toMatchObject({ userId: 'u1', counts: { track: 2, identify: 1 } });
    expect(store.profiles.appliedSeq()).toBe(3);
  });

  it('keeps a shared tablet from merging two signed-in people', async () => {
    const { feed, find, changes } = open();
    await feed('shop', [
      ingest({ type: 'identify', messageId: 'm1', userId: 'mum', anonymousId: 'tablet' }),
      ingest({ type: 'identify', messageId: 'm2', userId: 'son', anonymousId: 'tablet' }),
    ]);
    expect(find('shop', 'userId:mum')?.id).not.toBe(find('shop', 'userId:son')?.id);
    expect(changes.some((change) => change.type === 'refused')).toBe(true);
  });

  it('splits the people a shared device glued together and recounts each from its own events', async () => {
    const { feed, find, changes } = open();
    const users = ['u1', 'u2', 'u3', 'u4'];
    // Each person's own events, then the same in-store kiosk (device id) with each of them.
    await feed('shop', users.map((user) => track(`own-${user}`, { userId: user, event: `Viewed ${user}` })));
    await feed('shop', users.map((user) => ingest({ type: 'identify', messageId: `kiosk-${user}`, userId: user, context: { device: { id: 'kiosk-7' } } })));
    expect(changes.some((change) => change.type === 'demoted')).toBe(true);
    const ids = users.map((user) => find('shop', `userId:${user}`)?.id);
    expect(new Set(ids).size).toBe(4);
    for (const user of users) {
      const profile = find('shop', `userId:${user}`);
      expect(profile?.events).toEqual({ [`Viewed ${user}`]: 1 });
      expect(profile?.counts).toEqual({ track: 1, identify: 1 });
    }
  });

  it('rebuilds the graph from the journal after a restart: same ids, stitching goes on', async () => {
    const first = open();
    await first.feed('shop', [track('m1', { anonymousId: 'a1' }), ingest({ type: 'identify', messageId: 'm2', userId: 'u1', anonymousId: 'a1' })]);
    const id = first.find('shop', 'userId:u1')?.id;
    const second = await reopen(first);
    await second.feed('shop', [ingest({ type: 'identify', messageId: 'm3', userId: 'u1', anonymousId: 'a2', traits: { phone: '+44 20 7946 0018' } }), track('m4', { anonymousId: 'a2' })]);
    expect(second.find('shop', 'anonymousId:a2')?.id).toBe(id);
    expect(second.find('shop', 'phone:+442079460018')?.id).toBe(id);
    expect(second.find('shop', 'userId:u1')?.counts).toEqual({ track: 2, identify: 2 });
  });

  it('erases a person: profile, keys, journal and log entries, and tombstones keep replays out', async () => {
    const { feed, find, projector, store, dataDir } = open();
    await feed('shop', [
      track('m1', { anonymousId: 'a1' }),
      ingest({ type: 'identify', messageId: 'm2', userId: 'u1', anonymousId: 'a1', traits: { email: 'zoe@example.org' } }),
      track('m3', { anonymousId: 'someone-else' }),
    ]);
    const id = find('shop', 'email:zoe@example.org')?.id as string;
    expect(await projector.deleteProfile('shop', 'nobody:x')).toMatchObject({ status: 'bad-identifier' });
    expect(await projector.deleteProfile('shop', 'userId:nobody')).toEqual({ status: 'not-found' });
    const result = await projector.deleteProfile('shop', 'email:ZOE@example.org');
    expect(result).toMatchObject({ status: 'deleted', identifiers: 3, events: 2 });
    expect(result.status === 'deleted' && result.profileIds).toContain(id);
    expect(find('shop', id)).toBeUndefined();
    expect(find('shop', 'userId:u1')).toBeUndefined();
    expect([...store.scan()].map((stored) => stored.event.messageId)).toEqual(['m3']);
    expect([...store.profiles.journal()].map((entry) => entry.event.messageId)).toEqual(['m3']);
    expect(store.profiles.eventSeqs('shop', 'userId:u1')).toEqual([]);

    // A replay (new messageId, same person) is dropped from the log when projected, and brings nothing back.
    await feed('shop', [ingest({ type: 'identify', messageId: 'm2-replayed', userId: 'u1', anonymousId: 'a1' })]);
    expect(find('shop', 'userId:u1')).toBeUndefined();
    expect([...store.scan()].map((stored) => stored.event.messageId)).toEqual(['m3']);

    const again = await reopen({ dataDir, store, projector });
    await again.feed('shop', [track('m5', { userId: 'u1' })]);
    expect(again.find('shop', 'userId:u1')).toBeUndefined();
    expect([...again.store.scan()].map((stored) => stored.event.messageId)).toEqual(['m3']);
    expect(again.find('shop', 'anonymousId:someone-else')).toMatchObject({ counts: { track: 1 } });
  });
});

describe('createTargetResolver', () => {
  it('reads profile ids and typed identifiers, and names what is wrong', () => {
    const resolve = createTargetResolver();
    expect(resolve('p_0123456789abcdef0123')).toEqual({ kind: 'profile', value: 'p_0123456789abcdef0123' });
    expect(resolve('userId:u 1')).toEqual({ kind: 'identifier', value: 'userId:u 1' });
    expect(resolve('email:Ann@Example.com')).toEqual({ kind: 'identifier', value: `email:${sha('ann@example.com')}` });
    expect(createTargetResolver({ hashIdentifiers: false })('email:Ann@Example.com')).toEqual({ kind: 'identifier', value: 'email:ann@example.com' });
    expect(resolve('u1')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('neither a profile id') });
    expect(resolve('email:not-an-email')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('invalid_email') });
    expect(resolve('email:test@test.com')).toMatchObject({ kind: 'invalid', message: expect.stringContaining('blocked') });
  });

  it('reads a profile from the store only when it holds no copy: not for a new person, not for the next batch of a known one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'tailor-profiles-'));
    dirs.push(dataDir);
    const store = createLmdbStore({ dataDir });
    stores.push(store);
    const profiles = toAsyncProfileStore(store.profiles);
    let reads = 0;
    const counted = { ...profiles, getProfile: (sourceId: string, id: string) => (reads++, profiles.getProfile(sourceId, id)) };
    const make = (docCacheSize?: number) =>
      createProfileProjector({ events: toAsyncEventStore(store), profiles: counted, logger: SILENT, now: () => T0 + 1_000_000, ...(docCacheSize === undefined ? {} : { docCacheSize }) });
    const feed = async (projector: ProfileProjector, events: IngestedEvent[]) => {
      const before = store.lastSeq();
      await store.append('shop', events, T0);
      await projector.send(store.read(before, 10_000));
    };
    const projector = make();
    await feed(projector, [track('m1', { anonymousId: 'a1' }), track('m2', { anonymousId: 'a2' })]);
    expect(reads).toBe(0); // two new people
    await feed(projector, [track('m3', { anonymousId: 'a1' }), track('m4', { anonymousId: 'a1', userId: 'u1' })]);
    expect(reads).toBe(0); // a1 again, from the projector's copy
    expect(store.profiles.findProfile('shop', 'userId:u1')?.counts).toEqual({ track: 3 });
    // A projector that starts later (a restart, a new lease holder) holds no copies: it reads each person once.
    const later = make();
    await feed(later, [track('m5', { anonymousId: 'a2' }), track('m6', { anonymousId: 'a2' })]);
    expect(reads).toBe(1);
    await feed(later, [track('m7', { anonymousId: 'a2' })]);
    expect(reads).toBe(1);
    expect(store.profiles.findProfile('shop', 'anonymousId:a2')?.counts).toEqual({ track: 4 });
    // With no room for copies, every batch reads again, and the counts are the same.
    const small = make(0);
    await feed(small, [track('m8', { anonymousId: 'a1' })]);
    await feed(small, [track('m9', { anonymousId: 'a1' })]);
    expect(reads).toBe(3);
    expect(store.profiles.findProfile('shop', 'userId:u1')?.counts).toEqual({ track: 5 });
  });
});
