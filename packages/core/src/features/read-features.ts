import type { FeatureValues } from '../decision/types';
import { applyEvent, createFeatureState } from './apply-event';
import { DAY_MS, readDecayed } from './decay';
import { getEventTime } from './event-fields';
import type { FeatureEvent, FeatureSpec, FeatureState } from './types';

/**
 * The feature values of `state` at `nowMs`. Reading does not change the state, so values at a time do
 * not depend on when (or whether) earlier reads happened. Every name in {@link listFeatureNames} is
 * present; affinities add `affinity.<dimension>.<value>` for each value kept, as its share (0..1) of
 * the dimension's decayed activity.
 *
 * Families: `rfm.*` (recency, frequency, monetary: lifetime, trailing windows, decayed), `affinity.*`,
 * `session.*` (zero unless a session is active at `nowMs`), `price.*` (discount share, prices paid vs
 * viewed; the ratio is 1 until both are known), `channel.*` (share of events and orders per channel).
 *
 * @example readFeatures(state, spec, Date.now())['rfm.days_since_last_order'] // 12.5
 */
export function readFeatures(state: FeatureState, spec: FeatureSpec, nowMs: number): FeatureValues {
  const out: Record<string, number> = {};
  readRfm(state, spec, nowMs, out);
  readAffinity(state, spec, nowMs, out);
  readSession(state, spec, nowMs, out);
  readPrice(state, out);
  readChannel(state, spec, out);
  return out;
}

/**
 * The features as of `atMs` from an event history, for training sets: events after `atMs` are ignored
 * (no leakage from the future) and the rest are applied in time order, so the result equals applying
 * those events to a fresh state as they happened and reading at `atMs`.
 *
 * @example foldFeatures(eventsOfPerson, spec, Date.parse('2025-06-01T00:00:00Z'))
 */
export function foldFeatures(events: Iterable<FeatureEvent>, spec: FeatureSpec, atMs: number): FeatureValues {
  const timed: { at: number; index: number; event: FeatureEvent }[] = [];
  let index = 0;
  for (const event of events) {
    const at = getEventTime(event);
    if (at !== undefined && at <= atMs) timed.push({ at, index, event });
    index += 1;
  }
  // Stable by time: equal times keep their input order, as they would arriving live.
  timed.sort((a, b) => a.at - b.at || a.index - b.index);
  const state = createFeatureState(spec);
  for (const { event } of timed) applyEvent(state, event, spec);
  return readFeatures(state, spec, atMs);
}

/**
 * Every feature name `readFeatures` always returns for `spec`, in a stable order (affinity names depend
 * on the data and are not listed): the column list for a training set or a model's inputs.
 */
export function listFeatureNames(spec: FeatureSpec): string[] {
  const names = [
    'rfm.days_since_last_order',
    'rfm.days_since_first_order',
    'rfm.orders_total',
    'rfm.revenue_total',
    'rfm.avg_order_value',
    'rfm.orders_decayed',
    'rfm.revenue_decayed',
  ];
  for (const days of spec.rfm.windowsDays) names.push(`rfm.orders_${days}d`, `rfm.revenue_${days}d`);
  names.push(
    'session.active',
    'session.events',
    'session.duration_minutes',
    'session.product_views',
    'session.searches',
    'session.add_to_carts',
    'session.cart_value',
    'price.discount_share',
    'price.avg_paid_price',
    'price.avg_viewed_price',
    'price.paid_to_viewed_ratio',
  );
  for (const channel of spec.channel.channels) names.push(`channel.event_share.${channel}`);
  for (const channel of spec.channel.channels) names.push(`channel.order_share.${channel}`);
  return names;
}

function readRfm(state: FeatureState, spec: FeatureSpec, now: number, out: Record<string, number>): void {
  const { rfm } = state;
  const cap = spec.rfm.recencyCapDays;
  const daysSince = (at: number | null) => (at === null ? cap : Math.min(cap, Math.max(0, (now - at) / DAY_MS)));
  out['rfm.days_since_last_order'] = daysSince(rfm.lastOrderAt);
  out['rfm.days_since_first_order'] = daysSince(rfm.firstOrderAt);
  out['rfm.orders_total'] = rfm.orders;
  out['rfm.revenue_total'] = rfm.revenue;
  out['rfm.avg_order_value'] = rfm.orders === 0 ? 0 : rfm.revenue / rfm.orders;
  const halfLifeMs = spec.rfm.halfLifeDays * DAY_MS;
  out['rfm.orders_decayed'] = readDecayed(rfm.ordersDecayed, now, halfLifeMs);
  out['rfm.revenue_decayed'] = readDecayed(rfm.revenueDecayed, now, halfLifeMs);
  for (const days of spec.rfm.windowsDays) {
    const since = now - days * DAY_MS;
    let orders = 0;
    let revenue = 0;
    // Newest last: walk back until the window's start.
    for (let i = rfm.recent.length - 1; i >= 0; i--) {
      const [at, amount] = rfm.recent[i]!;
      if (at <= since) break;
      if (at > now) continue;
      orders += 1;
      revenue += amount;
    }
    out[`rfm.orders_${days}d`] = orders;
    out[`rfm.revenue_${days}d`] = revenue;
  }
}

function readAffinity(state: FeatureState, spec: FeatureSpec, now: number, out: Record<string, number>): void {
  const halfLifeMs = spec.affinity.halfLifeDays * DAY_MS;
  for (const dimension of spec.affinity.dimensions) {
    const affinity = Object.hasOwn(state.affinity, dimension) ? state.affinity[dimension] : undefined;
    if (affinity === undefined) continue;
    const total = readDecayed(affinity.total, now, halfLifeMs);
    if (!(total > 0)) continue;
    // The keys are the feature names already: building names here would cost more than the rest of the read.
    for (const name of Object.keys(affinity.keys)) out[name] = readDecayed(affinity.keys[name]!, now, halfLifeMs) / total;
  }
}

function readSession(state: FeatureState, spec: FeatureSpec, now: number, out: Record<string, number>): void {
  const session = state.session;
  const active = session !== null && now >= session.startAt && now - session.lastAt <= spec.session.timeoutMinutes * 60_000;
  out['session.active'] = active ? 1 : 0;
  out['session.events'] = active ? session.events : 0;
  out['session.duration_minutes'] = active ? (Math.min(now, session.lastAt) - session.startAt) / 60_000 : 0;
  out['session.product_views'] = active ? session.productViews : 0;
  out['session.searches'] = active ? session.searches : 0;
  out['session.add_to_carts'] = active ? session.addToCarts : 0;
  out['session.cart_value'] = active ? session.cartValue : 0;
}

function readPrice(state: FeatureState, out: Record<string, number>): void {
  const { price } = state;
  const paid = price.paidUnits === 0 ? 0 : price.paidSum / price.paidUnits;
  const viewed = price.viewedCount === 0 ? 0 : price.viewedSum / price.viewedCount;
  out['price.discount_share'] = price.orders === 0 ? 0 : price.discountedOrders / price.orders;
  out['price.avg_paid_price'] = paid;
  out['price.avg_viewed_price'] = viewed;
  out['price.paid_to_viewed_ratio'] = paid > 0 && viewed > 0 ? paid / viewed : 1;
}

function readChannel(state: FeatureState, spec: FeatureSpec, out: Record<string, number>): void {
  const { channel } = state;
  for (const name of spec.channel.channels) {
    const events = Object.hasOwn(channel.events, name) ? channel.events[name]! : 0;
    out[`channel.event_share.${name}`] = channel.totalEvents === 0 ? 0 : events / channel.totalEvents;
  }
  for (const name of spec.channel.channels) {
    const orders = Object.hasOwn(channel.orders, name) ? channel.orders[name]! : 0;
    out[`channel.order_share.${name}`] = channel.totalOrders === 0 ? 0 : orders / channel.totalOrders;
  }
}
