import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  consentChangeEvent,
  createConsentManager,
  toContextConsent,
  type ConsentOptions,
  type ConsentState,
} from './consent';

type Callback = (data: unknown, success: boolean) => void;

/** A CMP that keeps its listeners and lets the test send crafted tcData to them. */
function fakeCmp() {
  const listeners = new Map<number, Callback>();
  let nextId = 7;
  const api = vi.fn((command: string, version: number, callback: Callback, arg?: unknown) => {
    expect(version).toBe(2);
    if (command === 'addEventListener') listeners.set(nextId++, callback);
    if (command === 'removeEventListener') (callback as (ok: boolean) => void)(listeners.delete(arg as number));
  });
  const emit = (data: Record<string, unknown>, success = true) => {
    for (const [listenerId, callback] of [...listeners]) callback({ listenerId, ...data }, success);
  };
  return { api, emit, listeners };
}

function tcData(eventStatus: string, purposes: number[], tcString = `CP-${purposes.join('.')}`) {
  const consents = Object.fromEntries(purposes.map((id) => [id, true]));
  return { eventStatus, gdprApplies: true, tcString, purpose: { consents, legitimateInterests: {} } };
}

function setup(options: ConsentOptions = {}, windowProps: Record<string, unknown> = {}) {
  const cmp = fakeCmp();
  let time = 1_000;
  const errors: unknown[] = [];
  const window = { __tcfapi: cmp.api, navigator: {}, ...windowProps };
  const consent = createConsentManager(options, { now: () => time, window, onError: (e) => errors.push(e) });
  const changes: [ConsentState, ConsentState][] = [];
  consent.subscribe((state, previous) => changes.push([state, previous]));
  return { consent, cmp, changes, errors, tick: (ms: number) => (time += ms) };
}

const ALL = { measurement: true, personalization: true, advertising: true };
const NONE = { measurement: false, personalization: false, advertising: false };

describe('createConsentManager: defaults', () => {
  it('default-allow (the default mode) starts with every purpose allowed', () => {
    const { consent } = setup();
    expect(consent.get()).toEqual({ purposes: ALL, source: 'default', gpc: false, updatedAt: 1_000 });
    expect(consent.allows('advertising')).toBe(true);
  });

  it('default-deny starts with every purpose denied', () => {
    const { consent } = setup({ mode: 'default-deny' });
    expect(consent.get().purposes).toEqual(NONE);
    expect(consent.allows('measurement')).toBe(false);
  });

  it('applies `initial` on top of the mode and ignores values that are not booleans', () => {
    const initial = { measurement: true, personalization: 'yes' } as unknown as ConsentOptions['initial'];
    const { consent } = setup({ mode: 'default-deny', initial });
    expect(consent.get()).toMatchObject({ purposes: { ...NONE, measurement: true }, source: 'default' });
  });
});

describe('createConsentManager: Global Privacy Control', () => {
  const gpcOn = { navigator: { globalPrivacyControl: true } };

  it('forces advertising off and reports gpc', () => {
    const { consent } = setup({}, gpcOn);
    expect(consent.get()).toMatchObject({ purposes: { ...ALL, advertising: false }, gpc: true });
  });

  it('wins over the user and over TCF', () => {
    const { consent, cmp } = setup({}, gpcOn);
    consent.start();
    cmp.emit(tcData('tcloaded', [1, 2, 3, 4, 5, 6, 8]));
    expect(consent.get().purposes).toEqual({ ...ALL, advertising: false });
    expect(consent.set({ advertising: true }).purposes.advertising).toBe(false);
    expect(consent.allows('advertising')).toBe(false);
  });

  it('is ignored with gpc: false, and only `=== true` counts', () => {
    expect(setup({ gpc: false }, gpcOn).consent.get()).toMatchObject({ purposes: ALL, gpc: false });
    const truthy = setup({}, { navigator: { globalPrivacyControl: 'true' } });
    expect(truthy.consent.get()).toMatchObject({ purposes: ALL, gpc: false });
  });
});

describe('createConsentManager: IAB TCF v2', () => {
  it.each([
    ['every purpose', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], ALL],
    ['everything but purpose 1', [2, 3, 4, 5, 6, 7, 8, 9, 10], NONE],
    ['1 + 8 (measure content)', [1, 8], { ...NONE, measurement: true }],
    ['1 + 9 (audience statistics)', [1, 9], { ...NONE, measurement: true }],
    ['1 + 7 + 10 (ad measurement, product development)', [1, 7, 10], NONE],
    ['1 + 5 only', [1, 5], NONE],
    ['1 + 5 + 6', [1, 5, 6], { ...NONE, personalization: true }],
    ['1 + 2 + 3 (no 4)', [1, 2, 3], NONE],
    ['1 + 2 + 3 + 4', [1, 2, 3, 4], { ...NONE, advertising: true }],
  ])('maps %s', (_, purposes, expected) => {
    const { consent, cmp } = setup();
    consent.start();
    cmp.emit(tcData('useractioncomplete', purposes));
    expect(consent.get().purposes).toEqual(expected);
  });

  it('applies tcloaded and useractioncomplete, records the TC string, and ignores cmpuishown', () => {
    const { consent, cmp, changes, tick } = setup({ mode: 'default-deny' });
    consent.start();
    expect(cmp.api).toHaveBeenCalledTimes(1);
    cmp.emit(tcData('cmpuishown', [1, 2, 3, 4, 5, 6, 8]));
    expect(consent.get()).toMatchObject({ purposes: NONE, source: 'default' });
    tick(5);
    cmp.emit(tcData('tcloaded', [1, 8], 'CP-first'));
    expect(consent.get()).toEqual({
      purposes: { ...NONE, measurement: true },
      source: 'tcf',
      gpc: false,
      tcString: 'CP-first',
      updatedAt: 1_005,
    });
    cmp.emit(tcData('useractioncomplete', [1, 5, 6], 'CP-second'));
    expect(consent.get()).toMatchObject({ purposes: { ...NONE, personalization: true }, tcString: 'CP-second' });
    expect(changes).toHaveLength(2);
  });

  it('keeps the state when gdprApplies is false, or the CMP reports failure', () => {
    const { consent, cmp, changes } = setup({ mode: 'default-deny' });
    consent.start();
    cmp.emit({ ...tcData('tcloaded', [1, 2, 3, 4]), gdprApplies: false });
    cmp.emit(tcData('tcloaded', [1, 2, 3, 4]), false);
    expect(consent.get()).toMatchObject({ purposes: NONE, source: 'default' });
    expect(consent.get().tcString).toBeUndefined();
    expect(changes).toEqual([]);
  });

  it('lets a later set() override TCF-derived values, and a later TCF event override the user', () => {
    const { consent, cmp } = setup();
    consent.start();
    cmp.emit(tcData('tcloaded', [1, 8], 'CP-a'));
    const state = consent.set({ advertising: true });
    expect(state).toMatchObject({ purposes: { ...NONE, measurement: true, advertising: true }, source: 'user' });
    expect(state.tcString).toBe('CP-a');
    cmp.emit(tcData('useractioncomplete', [1, 5, 6], 'CP-b'));
    expect(consent.get()).toMatchObject({ purposes: { ...NONE, personalization: true }, source: 'tcf' });
  });

  it('start() is idempotent and stop() removes the listener by its id', () => {
    const { consent, cmp, changes } = setup();
    consent.start();
    consent.start();
    expect(cmp.api).toHaveBeenCalledTimes(1);
    cmp.emit(tcData('tcloaded', [1, 8]));
    consent.stop();
    expect(cmp.api).toHaveBeenLastCalledWith('removeEventListener', 2, expect.any(Function), 7);
    expect(cmp.listeners.size).toBe(0);
    consent.stop();
    expect(cmp.api).toHaveBeenCalledTimes(2);
    consent.start();
    expect(cmp.listeners.size).toBe(1);
    expect(changes).toHaveLength(1);
  });

  it('ignores, then removes, a listener stopped before the CMP told its id', () => {
    const { consent, cmp } = setup({ mode: 'default-deny' });
    consent.start();
    consent.stop();
    expect(cmp.api).toHaveBeenCalledTimes(1);
    cmp.emit(tcData('tcloaded', [1, 2, 3, 4]));
    expect(consent.get().purposes).toEqual(NONE);
    expect(cmp.api).toHaveBeenLastCalledWith('removeEventListener', 2, expect.any(Function), 7);
    expect(cmp.listeners.size).toBe(0);
  });

  it('survives a CMP that throws: defaults stay, nothing is thrown, the error is reported', () => {
    const broken = new Error('cmp broke');
    const { consent, errors } = setup({}, {
      __tcfapi: () => {
        throw broken;
      },
    });
    expect(() => consent.start()).not.toThrow();
    expect(consent.get()).toMatchObject({ purposes: ALL, source: 'default' });
    expect(errors).toEqual([broken]);
    expect(() => consent.stop()).not.toThrow();
  });

  it('survives a CMP that calls back with garbage', () => {
    const { consent, cmp, errors } = setup();
    consent.start();
    const callback = cmp.listeners.get(7)!;
    expect(() => callback(null, true)).not.toThrow();
    expect(() => callback({ eventStatus: 'tcloaded', purpose: 5 }, true)).not.toThrow();
    expect(consent.get().purposes).toEqual(NONE);
    expect(errors).toEqual([]);
  });

  it('does nothing without a CMP, or with tcf: false', () => {
    const without = setup({}, { __tcfapi: undefined });
    expect(() => without.consent.start()).not.toThrow();
    expect(without.consent.get().source).toBe('default');
    const off = setup({ tcf: false });
    off.consent.start();
    expect(off.cmp.api).not.toHaveBeenCalled();
  });
});

describe('createConsentManager: listeners', () => {
  it('are called only when purposes, gpc or the TC string change, with the previous state', () => {
    const { consent, cmp, changes } = setup();
    const initial = consent.get();
    expect(consent.set({ measurement: true })).toBe(initial);
    expect(changes).toEqual([]);
    const denied = consent.set({ advertising: false });
    expect(changes).toEqual([[denied, initial]]);
    consent.start();
    cmp.emit(tcData('tcloaded', [1, 5, 6, 8], 'CP-1'));
    cmp.emit(tcData('tcloaded', [1, 5, 6, 8], 'CP-1'));
    expect(changes).toHaveLength(2);
    cmp.emit(tcData('tcloaded', [1, 5, 6, 8], 'CP-2'));
    expect(changes).toHaveLength(3);
    expect(changes[2]?.[1].tcString).toBe('CP-1');
  });

  it('stop being called after unsubscribe', () => {
    const { consent } = setup();
    const listener = vi.fn();
    const unsubscribe = consent.subscribe(listener);
    consent.set({ advertising: false });
    unsubscribe();
    consent.set({ advertising: true });
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('that throw do not break the others or the caller', () => {
    const { consent, changes, errors } = setup();
    const boom = new Error('listener broke');
    consent.subscribe(() => {
      throw boom;
    });
    const after = vi.fn();
    consent.subscribe(after);
    expect(consent.set({ personalization: false }).purposes.personalization).toBe(false);
    expect(changes).toHaveLength(1);
    expect(after).toHaveBeenCalledTimes(1);
    expect(errors).toEqual([boom]);
  });
});

describe('createConsentManager: globals', () => {
  afterEach(() => vi.unstubAllGlobals());

  it('reads __tcfapi and navigator from globalThis when the manager is used, not at import', () => {
    const cmp = fakeCmp();
    vi.stubGlobal('__tcfapi', cmp.api);
    vi.stubGlobal('navigator', { globalPrivacyControl: true });
    const consent = createConsentManager({}, { now: () => 0 });
    expect(consent.get()).toMatchObject({ purposes: { ...ALL, advertising: false }, gpc: true });
    consent.start();
    cmp.emit(tcData('tcloaded', [1, 8]));
    expect(consent.get()).toMatchObject({ purposes: { ...NONE, measurement: true }, source: 'tcf' });
  });
});

describe('toContextConsent and consentChangeEvent', () => {
  const before: ConsentState = { purposes: ALL, source: 'default', gpc: false, updatedAt: 1 };
  const after: ConsentState = {
    purposes: { ...ALL, advertising: false },
    source: 'tcf',
    gpc: true,
    tcString: 'CPlong',
    updatedAt: 2,
  };

  it('gives the Segment context.consent shape', () => {
    expect(toContextConsent(after)).toEqual({
      categoryPreferences: { measurement: true, personalization: true, advertising: false },
      source: 'tcf',
      gpc: true,
      tcString: 'CPlong',
    });
    expect(toContextConsent(before)).toEqual({ categoryPreferences: ALL, source: 'default', gpc: false });
    expect('tcString' in toContextConsent(before)).toBe(false);
  });

  it('describes a change without copying the TC string', () => {
    expect(consentChangeEvent(after, before)).toEqual({
      event: 'Consent Updated',
      properties: {
        purposes: { measurement: true, personalization: true, advertising: false },
        previousPurposes: ALL,
        changed: ['advertising'],
        source: 'tcf',
        previousSource: 'default',
        gpc: true,
        hasTcString: true,
        tcStringChanged: true,
      },
    });
  });
});
