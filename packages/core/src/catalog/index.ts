import type * as z from 'zod';
import { DECISION_EVENTS } from './decisioning';
import { ECOMMERCE_EVENTS } from './ecommerce';
import { POS_LOYALTY_EVENTS } from './pos-loyalty';
import type { productSchema } from './product';

export { DECISION_EVENTS } from './decisioning';
export { ECOMMERCE_EVENTS } from './ecommerce';
export { CHANNELS, channelSchema, POS_LOYALTY_EVENTS } from './pos-loyalty';
export type { Channel } from './pos-loyalty';
export {
  currencySchema,
  moneySchema,
  productSchema,
  productsSchema,
  signedMoneySchema,
} from './product';

/**
 * Every built-in retail event (Segment E-commerce v2, POS, loyalty, offer outcomes) by name, mapped to the schema of
 * its `properties`. A tracking plan starts from this and adds the retailer's own events.
 * @example RETAIL_EVENTS['Product Added'].safeParse({ sku: 'G-32', quantity: 1 }).success // true
 */
export const RETAIL_EVENTS = Object.freeze({ ...ECOMMERCE_EVENTS, ...POS_LOYALTY_EVENTS, ...DECISION_EVENTS });

/** The name of a built-in retail event, e.g. `'Order Completed'`. */
export type RetailEventName = keyof typeof RETAIL_EVENTS;

/**
 * The `properties` a producer may send for each built-in event. Import it with `import type` so
 * browser code gets `track()` types without shipping zod.
 * @example const props: RetailEvents['Products Searched'] = { query: 'blue roses' };
 */
export type RetailEvents = { [K in RetailEventName]: z.input<(typeof RETAIL_EVENTS)[K]> };

/** A product as a producer sends it, e.g. an item of `properties.products`. */
export type Product = z.input<typeof productSchema>;

/**
 * Whether `name` is a built-in retail event. Use it instead of `name in RETAIL_EVENTS`, which is
 * true for inherited keys such as `'constructor'` and `'toString'`.
 * @example isRetailEventName('Order Completed') // true
 */
export function isRetailEventName(name: string): name is RetailEventName {
  return Object.hasOwn(RETAIL_EVENTS, name);
}
