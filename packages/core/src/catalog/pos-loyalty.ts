import * as z from 'zod';
import {
  currencySchema,
  moneySchema,
  productsSchema,
  signedMoneySchema,
  textSchema,
} from './product';

/**
 * Where an interaction happened. The same person shops on several of these; identity resolution
 * and contact policies key on it.
 * @example CHANNELS.includes('pos') // true
 */
export const CHANNELS = ['web', 'app', 'pos', 'callcenter', 'email', 'kiosk'] as const;

/** One of {@link CHANNELS}. */
export type Channel = (typeof CHANNELS)[number];

/**
 * Validates a channel name, e.g. `context.channel` or a loyalty enrollment's `channel`.
 * @example channelSchema.parse('pos')
 */
export const channelSchema = z.enum(CHANNELS);

/** Points move in whole units; a zero-point movement is a bug upstream, not an event. */
const pointsSchema = z.number().int().min(1);

/** Loyalty ids come from the loyalty system and are the join key to a person, so they are required. */
const loyaltyShape = {
  loyalty_id: textSchema,
  program: textSchema.optional(),
};

const pointsShape = {
  ...loyaltyShape,
  points: pointsSchema,
  // Balances can go negative when points are clawed back after a return.
  balance: z.number().int().optional(),
  order_id: textSchema.optional(),
  transaction_id: textSchema.optional(),
  store_id: textSchema.optional(),
  reason: textSchema.optional(),
};

const storeShape = {
  transaction_id: textSchema,
  store_id: textSchema,
  register_id: textSchema.optional(),
  cashier_id: textSchema.optional(),
  loyalty_id: textSchema.optional(),
  currency: currencySchema.optional(),
  products: productsSchema.optional(),
};

/**
 * In-store (POS) and loyalty events, mapped to the schema of their `properties`. Segment has no spec
 * for these; field names follow its snake_case style so one warehouse table can hold both.
 * @example POS_LOYALTY_EVENTS['Store Visited'].safeParse({ store_id: 's-12' })
 */
export const POS_LOYALTY_EVENTS = Object.freeze({
  'Store Visited': z.looseObject({
    store_id: textSchema,
    store_name: textSchema.optional(),
    loyalty_id: textSchema.optional(),
  }),
  'POS Transaction Completed': z.looseObject({
    ...storeShape,
    subtotal: moneySchema.optional(),
    total: moneySchema.optional(),
    tax: moneySchema.optional(),
    discount: moneySchema.optional(),
    payment_method: textSchema.optional(),
  }),
  // original_transaction_id is optional: stores take returns without a receipt.
  'POS Return Processed': z.looseObject({
    ...storeShape,
    original_transaction_id: textSchema.optional(),
    // Returns are booked negative by some POS systems and positive by others.
    total: signedMoneySchema.optional(),
    reason: textSchema.optional(),
  }),
  'Loyalty Enrolled': z.looseObject({
    ...loyaltyShape,
    tier: textSchema.optional(),
    channel: channelSchema.optional(),
    store_id: textSchema.optional(),
  }),
  'Loyalty Points Earned': z.looseObject(pointsShape),
  'Loyalty Points Redeemed': z.looseObject(pointsShape),
  'Loyalty Tier Changed': z.looseObject({
    ...loyaltyShape,
    tier: textSchema,
    previous_tier: textSchema.optional(),
  }),
  'Loyalty Reward Redeemed': z.looseObject({
    ...loyaltyShape,
    reward_id: textSchema,
    reward_name: textSchema.optional(),
    points: pointsSchema.optional(),
    order_id: textSchema.optional(),
    transaction_id: textSchema.optional(),
    store_id: textSchema.optional(),
  }),
});
