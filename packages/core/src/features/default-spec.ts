import type { FeatureSpec } from './types';

// No zod here: the browser reads the default spec and computes features without shipping a validator.

/**
 * The retail feature spec Tailor starts from: Segment E-commerce v2 events plus in-store POS
 * transactions, 30/90/365-day windows, 90-day decay for RFM, 30-day decay for affinities,
 * 30-minute sessions, and the catalog's channels.
 *
 * @example parseFeatureSpec({ ...DEFAULT_RETAIL_FEATURE_SPEC, session: { timeoutMinutes: 20 } })
 */
export const DEFAULT_RETAIL_FEATURE_SPEC: FeatureSpec = Object.freeze({
  version: 'retail.v1',
  events: {
    order: ['Order Completed', 'POS Transaction Completed'],
    productView: ['Product Viewed'],
    productAdd: ['Product Added', 'Wishlist Product Added to Cart'],
    productRemove: ['Product Removed'],
    search: ['Products Searched'],
    cartView: ['Cart Viewed'],
  },
  rfm: { windowsDays: [30, 90, 365], halfLifeDays: 90, recencyCapDays: 730, maxRecentOrders: 100 },
  affinity: {
    dimensions: ['category', 'brand'],
    halfLifeDays: 30,
    maxKeys: 20,
    weights: { view: 1, add: 3, purchase: 5 },
  },
  session: { timeoutMinutes: 30 },
  channel: { channels: ['web', 'app', 'pos', 'callcenter', 'email', 'kiosk'] },
});
