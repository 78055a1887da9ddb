import { describe, expect, it } from 'vitest';
import { createProfileRegistry } from './profiles';

describe('createProfileRegistry', () => {
  const registry = () => {
    let n = 0;
    return createProfileRegistry(() => `p${++n}`);
  };

  it('keeps the older id on a merge and resolves the younger one to it', () => {
    const profiles = registry();
    const older = profiles.create(0, `k0`);
    const younger = profiles.create(5, `k5`);
    const { survivor, absorbed } = profiles.merge(younger, older, (record) => record.node);
    expect([survivor.id, absorbed.id]).toEqual(['p1', 'p2']);
    expect(profiles.current('p2')?.id).toBe('p1');
    expect(profiles.live).toBe(1);
  });

  it('flattens chains: an id merged twice still resolves in one step', () => {
    const profiles = registry();
    const [a, b, c] = [profiles.create(0, `k0`), profiles.create(1, `k1`), profiles.create(2, `k2`)];
    profiles.merge(b, c, (record) => record.node);
    profiles.merge(a, b, (record) => record.node);
    expect(profiles.current('p3')).toBe(a);
    expect(c.mergedInto).toBe(a);
    expect(a.aliases.map((alias) => alias.id).sort()).toEqual(['p2', 'p3']);
  });

  it('gives a retired id back to the part whose oldest node it had', () => {
    const profiles = registry();
    const a = profiles.create(0, `k0`);
    const b = profiles.create(7, `k7`);
    profiles.merge(a, b, () => 7);
    expect(profiles.revive(a, 3)).toBeUndefined();
    expect(profiles.revive(a, 7)).toBe(b);
    expect(profiles.current('p2')).toBe(b);
    expect(a.aliases).toEqual([]);
    expect(profiles.live).toBe(2);
  });

  it('removes a profile with every id merged into it', () => {
    const profiles = registry();
    const a = profiles.create(0, `k0`);
    profiles.merge(a, profiles.create(1, `k1`), () => 1);
    expect(profiles.remove(a)).toEqual(['p1', 'p2']);
    expect(profiles.current('p1')).toBeUndefined();
    expect(profiles.current('p2')).toBeUndefined();
    expect(profiles.live).toBe(0);
  });

  it('never hands out the same id twice, even if the source repeats', () => {
    const profiles = createProfileRegistry(() => 'same');
    expect(profiles.create(0, `k0`).id).not.toBe(profiles.create(1, `k1`).id);
  });
});
