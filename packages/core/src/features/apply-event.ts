import { addAffinity, addDecayed, createDecayedSum, DAY_MS } from './decay';
import {
  getEventTime,
  getLineValue,
  getOrderRevenue,
  getProducts,
  isDiscounted,
  normalizeFeatureKey,
  readAmount,
} from './event-fields';
import type { FeatureEvent, FeatureSpec, FeatureState, SessionState } from './types';

type Role = 'order' | 'productView' | 'productAdd' | 'productRemove' | 'search' | 'cartView' | 'other';

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * An empty feature state for `spec`.
 * @example const state = createFeatureState(DEFAULT_RETAIL_FEATURE_SPEC);
 */
export function createFeatureState(spec: FeatureSpec): FeatureState {
  return {
    v: 1,
    specVersion: spec.version,
    lastEventAt: null,
    ignored: 0,
    rfm: {
      orders: 0,
      revenue: 0,
      firstOrderAt: null,
      lastOrderAt: null,
      ordersDecayed: createDecayedSum(),
      revenueDecayed: createDecayedSum(),
      recent: [],
    },
    affinity: Object.fromEntries(spec.affinity.dimensions.map((dimension) => [dimension, { total: createDecayedSum(), keys: {} }])),
    session: null,
    price: { orders: 0, discountedOrders: 0, paidSum: 0, paidUnits: 0, viewedSum: 0, viewedCount: 0 },
    channel: { events: {}, orders: {}, totalEvents: 0, totalOrders: 0 },
  };
}

/**
 * Folds one event into `state`, **in place**, and returns the same object (so it can be chained or
 * reduced). Cost is constant per event, apart from an affinity eviction (linear in `maxKeys`) and a
 * late order's insertion among the recent ones (linear in `maxRecentOrders`).
 *
 * Events may arrive late or out of order (POS uploads, offline devices):
 * - counts, sums, decayed sums, affinities and channel and price mixes do not depend on arrival order
 *   (decayed values up to float rounding; affinities while a dimension has at most `maxKeys` values);
 * - first/last times keep the min/max, and the recent-order list keeps the latest by time;
 * - session features follow the current session only: a late event older than the session's start
 *   (by more than the timeout) belongs to a past session and is left out of them.
 *
 * It is not idempotent: deduplicate on `messageId` first (the collector does). Only `track`, `page` and
 * `screen` calls count; events without a usable time are counted in `ignored` and skipped.
 *
 * @example
 * for (const event of events) applyEvent(state, event, spec);
 * const features = readFeatures(state, spec, Date.now());
 */
export function applyEvent(state: FeatureState, event: FeatureEvent, spec: FeatureSpec): FeatureState {
  const type = event.type ?? 'track';
  if (type !== 'track' && type !== 'page' && type !== 'screen') return state;
  const at = getEventTime(event);
  if (at === undefined) {
    state.ignored += 1;
    return state;
  }
  const role = type === 'track' && typeof event.event === 'string' ? roleOf(event.event, spec) : 'other';
  const properties = event.properties ?? EMPTY;
  const channel = event.context?.channel;
  const inSession = touchSession(state, at, spec.session.timeoutMinutes * 60_000);

  state.lastEventAt = state.lastEventAt === null ? at : Math.max(state.lastEventAt, at);
  countChannel(state.channel.events, channel, spec);
  state.channel.totalEvents += 1;

  switch (role) {
    case 'order':
      applyOrder(state, properties, at, channel, spec);
      if (inSession) snapshotCart(state.session!, at, 0);
      break;
    case 'productView': {
      const price = readAmount(properties.price);
      if (price !== undefined) {
        state.price.viewedSum += price;
        state.price.viewedCount += 1;
      }
      scoreProduct(state, properties, spec.affinity.weights.view, at, spec);
      if (inSession) state.session!.productViews += 1;
      break;
    }
    case 'productAdd':
      scoreProduct(state, properties, spec.affinity.weights.add, at, spec);
      if (inSession) {
        state.session!.addToCarts += 1;
        if (at >= state.session!.cartAt) state.session!.cartValue += getLineValue(properties);
      }
      break;
    case 'productRemove':
      if (inSession && at >= state.session!.cartAt) {
        state.session!.cartValue = Math.max(0, state.session!.cartValue - getLineValue(properties));
      }
      break;
    case 'search':
      if (inSession) state.session!.searches += 1;
      break;
    case 'cartView':
      if (inSession && Array.isArray(properties.products)) {
        snapshotCart(state.session!, at, getProducts(properties).reduce((sum, product) => sum + getLineValue(product), 0));
      }
      break;
    case 'other':
      break;
  }
  return state;
}

function roleOf(name: string, spec: FeatureSpec): Role {
  const { events } = spec;
  if (events.order.includes(name)) return 'order';
  if (events.productView.includes(name)) return 'productView';
  if (events.productAdd.includes(name)) return 'productAdd';
  if (events.productRemove.includes(name)) return 'productRemove';
  if (events.search.includes(name)) return 'search';
  if (events.cartView.includes(name)) return 'cartView';
  return 'other';
}

/**
 * Puts the event in the current session, or starts a new one; false when the event is older than the
 * current session and belongs to an earlier one.
 */
function touchSession(state: FeatureState, at: number, timeoutMs: number): boolean {
  const session = state.session;
  if (session === null || at > session.lastAt + timeoutMs) {
    state.session = newSession(at);
    return true;
  }
  if (at < session.startAt - timeoutMs) return false;
  session.startAt = Math.min(session.startAt, at);
  session.lastAt = Math.max(session.lastAt, at);
  session.events += 1;
  return true;
}

function newSession(at: number): SessionState {
  return { startAt: at, lastAt: at, events: 1, productViews: 0, searches: 0, addToCarts: 0, cartValue: 0, cartAt: 0 };
}

/** A cart snapshot replaces the running value, unless a later one is already in. */
function snapshotCart(session: SessionState, at: number, value: number): void {
  if (at < session.cartAt) return;
  session.cartValue = value;
  session.cartAt = at;
}

function applyOrder(state: FeatureState, properties: Readonly<Record<string, unknown>>, at: number, channel: string | undefined, spec: FeatureSpec): void {
  const revenue = getOrderRevenue(properties);
  const { rfm, price } = state;
  rfm.orders += 1;
  rfm.revenue += revenue;
  rfm.firstOrderAt = rfm.firstOrderAt === null ? at : Math.min(rfm.firstOrderAt, at);
  rfm.lastOrderAt = rfm.lastOrderAt === null ? at : Math.max(rfm.lastOrderAt, at);
  const halfLifeMs = spec.rfm.halfLifeDays * DAY_MS;
  addDecayed(rfm.ordersDecayed, 1, at, halfLifeMs);
  addDecayed(rfm.revenueDecayed, revenue, at, halfLifeMs);
  insertRecent(rfm.recent, at, revenue, spec.rfm.maxRecentOrders);

  price.orders += 1;
  if (isDiscounted(properties)) price.discountedOrders += 1;
  for (const product of getProducts(properties)) {
    const unitPrice = readAmount(product.price);
    if (unitPrice === undefined) continue;
    const quantity = readAmount(product.quantity) ?? 1;
    price.paidSum += unitPrice * quantity;
    price.paidUnits += quantity;
    scoreProduct(state, product, spec.affinity.weights.purchase, at, spec);
  }
  countChannel(state.channel.orders, channel, spec);
  state.channel.totalOrders += 1;
}

/** Keeps the `max` latest orders, oldest first; a late order is inserted in time order. */
function insertRecent(recent: [number, number][], at: number, revenue: number, max: number): void {
  let index = recent.length;
  while (index > 0 && recent[index - 1]![0] > at) index -= 1;
  if (recent.length >= max && index === 0) return;
  recent.splice(index, 0, [at, revenue]);
  if (recent.length > max) recent.shift();
}

function scoreProduct(state: FeatureState, product: Readonly<Record<string, unknown>>, weight: number, at: number, spec: FeatureSpec): void {
  if (weight <= 0) return;
  const halfLifeMs = spec.affinity.halfLifeDays * DAY_MS;
  for (const dimension of spec.affinity.dimensions) {
    const value = normalizeFeatureKey(product[dimension]);
    if (value === '') continue;
    const affinity = Object.hasOwn(state.affinity, dimension) ? state.affinity[dimension] : undefined;
    if (affinity === undefined) continue;
    addAffinity(affinity, `affinity.${dimension}.${value}`, weight, at, halfLifeMs, spec.affinity.maxKeys);
  }
}

function countChannel(counts: Record<string, number>, channel: string | undefined, spec: FeatureSpec): void {
  if (channel === undefined || !spec.channel.channels.includes(channel)) return;
  counts[channel] = (Object.hasOwn(counts, channel) ? counts[channel]! : 0) + 1;
}
