import { afterEach, describe, expect, it } from 'vitest';
import { createFakeLockManager } from '../../test-utils/src/fake-web-locks';
import { electLeader } from './leader';

describe('electLeader', () => {
  const stops: Array<() => void> = [];
  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
  });

  it('with Web Locks: one leader at a time, and the next tab takes over when it leaves', async () => {
    Object.defineProperty(navigator, 'locks', { value: createFakeLockManager(), configurable: true });
    const states: Record<string, boolean[]> = { a: [], b: [] };
    const stopA = electLeader('tailor:k', (leader) => states.a?.push(leader));
    stops.push(electLeader('tailor:k', (leader) => states.b?.push(leader)));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(states).toEqual({ a: [true], b: [] });
    stopA();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(states).toEqual({ a: [true, false], b: [true] });
  });

  it('without Web Locks: a BroadcastChannel heartbeat elects exactly one leader', async () => {
    Object.defineProperty(navigator, 'locks', { value: undefined, configurable: true });
    const leaders = new Map<string, boolean>();
    for (const tab of ['a', 'b', 'c']) stops.push(electLeader('tailor:hb', (leader) => leaders.set(tab, leader)));
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    expect([...leaders.values()].filter(Boolean)).toHaveLength(1);
  }, 10_000);
});
