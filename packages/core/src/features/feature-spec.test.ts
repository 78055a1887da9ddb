import { describe, expect, it } from 'vitest';
import { applyEvent, createFeatureState } from './apply-event';
import { DEFAULT_RETAIL_FEATURE_SPEC } from './default-spec';
import { parseFeatureSpec, parseFeatureState } from './feature-spec';

describe('parseFeatureSpec', () => {
  it('turns {} into the default retail spec', () => {
    expect(parseFeatureSpec({})).toEqual({ ok: true, spec: DEFAULT_RETAIL_FEATURE_SPEC });
  });

  it('fills in whatever an override leaves out, without sharing objects between results', () => {
    const first = parseFeatureSpec({ session: { timeoutMinutes: 20 }, affinity: { maxKeys: 5 } });
    expect(first.ok && first.spec.session).toEqual({ timeoutMinutes: 20 });
    expect(first.ok && first.spec.affinity).toEqual({ ...DEFAULT_RETAIL_FEATURE_SPEC.affinity, maxKeys: 5 });
    const second = parseFeatureSpec({});
    if (!first.ok || !second.ok) throw new Error('both should parse');
    expect(first.spec.events.order).not.toBe(second.spec.events.order);
  });

  it('reports problems as data, with paths', () => {
    const result = parseFeatureSpec({
      rfm: { windowsDays: [30, 30], halfLifeDays: 0 },
      affinity: { dimensions: ['Category', '__proto__'], maxKeys: 0 },
      session: { timeoutMinutes: -1 },
      channel: { channels: ['web', 'constructor', 'web'] },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((issue) => issue.path)).toEqual([
      'rfm.windowsDays',
      'rfm.halfLifeDays',
      'affinity.dimensions[0]',
      'affinity.dimensions[1]',
      'affinity.maxKeys',
      'session.timeoutMinutes',
      'channel.channels',
    ]);
  });
});

describe('parseFeatureState', () => {
  const spec = DEFAULT_RETAIL_FEATURE_SPEC;

  it('accepts a stored state of the same spec version', () => {
    const state = createFeatureState(spec);
    applyEvent(state, { type: 'track', event: 'Order Completed', timestamp: '2025-06-01T00:00:00Z', properties: { revenue: 5 } }, spec);
    expect(parseFeatureState(JSON.parse(JSON.stringify(state)), spec)).toEqual({ ok: true, state });
  });

  it('asks for a rebuild when the spec version differs', () => {
    const state = createFeatureState({ ...spec, version: 'retail.v0' });
    const result = parseFeatureState(state, spec);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toEqual([{ path: 'specVersion', code: 'spec_mismatch', message: 'built for spec "retail.v0", not "retail.v1": rebuild it from the event log' }]);
  });

  it('reports a corrupted state', () => {
    const state = { ...createFeatureState(spec), rfm: { orders: 'many' } };
    const result = parseFeatureState(state, spec);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues[0]!.path).toBe('rfm.orders');
  });
});
