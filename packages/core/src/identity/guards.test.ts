import { describe, expect, it } from 'vitest';
import { DEFAULT_GUARDS, addPeer, checkMerge, resolveGuards } from './guards';

const limits = [
  { type: 'userId', max: 1 },
  { type: 'email', max: 5 },
];
const side = (size: number, userIds = 0, emails = 0) => ({ size, counts: [userIds, emails] });
const identify = { rule: 'identify', priority: 100 };
const sharedDevice = { rule: 'shared-identifier', priority: 30 };

describe('checkMerge', () => {
  it('allows a merge within every limit', () => {
    expect(checkMerge(side(3, 1, 2), side(2, 0, 3), identify, limits, DEFAULT_GUARDS)).toBeUndefined();
  });

  it('refuses a second userId: the shared-tablet guard', () => {
    expect(checkMerge(side(3, 1), side(1, 1), identify, limits, DEFAULT_GUARDS)).toEqual({ reason: 'max-values', detail: 'userId: 1 + 1 > 1' });
  });

  it('refuses a merge beyond the cluster-size cap', () => {
    const guards = resolveGuards({ maxClusterSize: 10, weakestLink: false });
    expect(checkMerge(side(6), side(5), identify, limits, guards)?.reason).toBe('cluster-size');
    expect(checkMerge(side(5), side(5), identify, limits, guards)).toBeUndefined();
  });

  it('weakest link: two big clusters join only through a strong, high-priority edge', () => {
    const guards = resolveGuards({ weakestLink: { minClusterSize: 20, strongRules: ['identify', 'alias'], minPriority: 100 } });
    expect(checkMerge(side(21), side(21), sharedDevice, limits, guards)?.reason).toBe('weakest-link');
    expect(checkMerge(side(21), side(21), { rule: 'identify', priority: 80 }, limits, guards)?.reason).toBe('weakest-link');
    expect(checkMerge(side(21), side(21), { rule: 'probabilistic', priority: 100 }, limits, guards)?.reason).toBe('weakest-link');
    expect(checkMerge(side(21), side(21), identify, limits, guards)).toBeUndefined();
    // One small side is not a weak link between two big clusters.
    expect(checkMerge(side(20), side(400), sharedDevice, limits, guards)).toBeUndefined();
  });

  it('is monotone: whatever it allows, it allows for smaller sides', () => {
    const guards = resolveGuards({ maxClusterSize: 12, weakestLink: { minClusterSize: 4 } });
    for (let a = 1; a <= 12; a++) {
      for (let b = 1; b <= 12; b++) {
        for (const edge of [identify, sharedDevice]) {
          if (checkMerge(side(a), side(b), edge, limits, guards) !== undefined) continue;
          for (let a2 = 1; a2 <= a; a2++) for (let b2 = 1; b2 <= b; b2++) expect(checkMerge(side(a2), side(b2), edge, limits, guards)).toBeUndefined();
        }
      }
    }
  });

  it('rejects impossible options at construction', () => {
    expect(() => resolveGuards({ maxClusterSize: 0 })).toThrow(/maxClusterSize/);
  });
});

describe('addPeer', () => {
  it('counts distinct peers of one type and says when they exceed the limit', () => {
    const typeOf = [0, 1, 1, 1, 2];
    const peers: number[] = [];
    expect(addPeer(peers, 1, 1, typeOf, 2)).toBe(false);
    expect(addPeer(peers, 1, 1, typeOf, 2)).toBe(false);
    expect(addPeer(peers, 4, 2, typeOf, 2)).toBe(false);
    expect(addPeer(peers, 2, 1, typeOf, 2)).toBe(false);
    expect(addPeer(peers, 3, 1, typeOf, 2)).toBe(true);
    expect(peers).toEqual([1, 4, 2, 3]);
  });
});
