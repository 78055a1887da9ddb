import * as z from 'zod';
import {
  currencySchema,
  freeTextSchema,
  moneySchema,
  positionSchema,
  productShape,
  productsSchema,
  requireOneOf,
  requireProductRef,
  signedMoneySchema,
  textSchema,
} from './product';

// Every schema here is a loose object: Segment clients and retailers add properties of their own,
// and the tracking plan decides whether to type them. Only the fields without which an event says
// nothing are required; everything present is checked strictly for type.

const filterSchema = z.looseObject({
  type: textSchema,
  // The spec says String; numeric facet values (sizes, price bands) are common enough to accept.
  value: z.union([textSchema, z.number()], { error: 'filter value must be a string or a number' }),
});

const sortSchema = z.looseObject({ type: textSchema, value: textSchema });

const listShape = {
  list_id: textSchema.optional(),
  category: textSchema.optional(),
  products: productsSchema.optional(),
};

const promotionSchema = requireOneOf(
  z.looseObject({
    promotion_id: textSchema.optional(),
    creative: textSchema.optional(),
    name: textSchema.optional(),
    // The spec says String ("home_banner_top"); GA-style clients send a slot index instead.
    position: z
      .union([textSchema, positionSchema], { error: 'promotion position must be a slot name or a 1-based index' })
      .optional(),
  }),
  ['promotion_id', 'name'],
  'a promotion needs promotion_id or name',
);

const orderShape = {
  order_id: textSchema,
  checkout_id: textSchema.optional(),
  affiliation: textSchema.optional(),
  subtotal: moneySchema.optional(),
  total: moneySchema.optional(),
  revenue: moneySchema.optional(),
  shipping: moneySchema.optional(),
  tax: moneySchema.optional(),
  discount: moneySchema.optional(),
  coupon: textSchema.optional(),
  currency: currencySchema.optional(),
  products: productsSchema.optional(),
};

const checkoutStepShape = {
  checkout_id: textSchema.optional(),
  order_id: textSchema.optional(),
  step: positionSchema,
  shipping_method: textSchema.optional(),
  payment_method: textSchema.optional(),
};

const couponShape = {
  order_id: textSchema.optional(),
  cart_id: textSchema.optional(),
  coupon_id: textSchema.optional(),
  coupon_name: textSchema.optional(),
  // Segment's own Coupon Denied example names the code `coupon`, not `coupon_id`.
  coupon: textSchema.optional(),
};

function couponEvent<T extends z.ZodObject>(schema: T): T {
  return requireOneOf(
    schema,
    ['coupon_id', 'coupon_name', 'coupon'],
    'a coupon event needs coupon_id, coupon_name or coupon',
  );
}

const wishlistShape = {
  ...productShape,
  wishlist_id: textSchema.optional(),
  wishlist_name: textSchema.optional(),
};

const shareShape = {
  share_via: textSchema.optional(),
  share_message: freeTextSchema.optional(),
  recipient: textSchema.optional(),
};

/**
 * The Segment E-commerce v2 events, by their exact Segment names, each mapped to the schema of its
 * `properties`. Names are Segment's so analytics.js and RudderStack producers validate unchanged.
 * @example ECOMMERCE_EVENTS['Order Completed'].safeParse({ order_id: 'o-1', total: 27.5, currency: 'USD' })
 */
export const ECOMMERCE_EVENTS = Object.freeze({
  // Browsing
  // The spec allows a structured query object (facets, filters) as well as a string. An empty
  // string is a real "browse all" search, so it is accepted.
  'Products Searched': z.looseObject({
    query: z.union([z.string().max(1024), z.record(z.string(), z.unknown())], {
      error: 'query must be a string or an object of search parameters',
    }),
  }),
  'Product List Viewed': z.looseObject(listShape),
  'Product List Filtered': z.looseObject({
    ...listShape,
    filters: z.array(filterSchema).optional(),
    sorts: z.array(sortSchema).optional(),
  }),

  // Promotions
  'Promotion Viewed': promotionSchema,
  'Promotion Clicked': promotionSchema,

  // Core ordering. `currency` and `value` on Product Added/Removed go beyond the spec's table; they
  // are typed because clients send them (GA4 add_to_cart) and an unchecked currency spoils revenue.
  'Product Clicked': requireProductRef(z.looseObject(productShape)),
  'Product Viewed': requireProductRef(
    z.looseObject({ ...productShape, currency: currencySchema.optional(), value: moneySchema.optional() }),
  ),
  'Product Added': requireProductRef(
    z.looseObject({
      ...productShape,
      cart_id: textSchema.optional(),
      currency: currencySchema.optional(),
      value: moneySchema.optional(),
    }),
  ),
  'Product Removed': requireProductRef(
    z.looseObject({
      ...productShape,
      cart_id: textSchema.optional(),
      currency: currencySchema.optional(),
      value: moneySchema.optional(),
    }),
  ),
  'Cart Viewed': z.looseObject({ cart_id: textSchema.optional(), products: productsSchema.optional() }),
  // A checkout usually has no order id yet, so nothing is required here.
  'Checkout Started': z.looseObject({
    ...orderShape,
    order_id: textSchema.optional(),
    value: moneySchema.optional(),
  }),
  'Checkout Step Viewed': z.looseObject(checkoutStepShape),
  'Checkout Step Completed': z.looseObject(checkoutStepShape),
  'Payment Info Entered': z.looseObject({ ...checkoutStepShape, step: positionSchema.optional() }),
  'Order Completed': z.looseObject(orderShape),
  'Order Updated': z.looseObject(orderShape),
  // Refund totals arrive positive or negative depending on the order system.
  'Order Refunded': z.looseObject({ ...orderShape, total: signedMoneySchema.optional() }),
  'Order Cancelled': z.looseObject(orderShape),

  // Coupons
  'Coupon Entered': couponEvent(z.looseObject(couponShape)),
  'Coupon Applied': couponEvent(z.looseObject({ ...couponShape, discount: moneySchema.optional() })),
  'Coupon Denied': couponEvent(z.looseObject({ ...couponShape, reason: textSchema.optional() })),
  'Coupon Removed': couponEvent(z.looseObject({ ...couponShape, discount: moneySchema.optional() })),

  // Wishlist
  'Product Added to Wishlist': requireProductRef(z.looseObject(wishlistShape)),
  'Product Removed from Wishlist': requireProductRef(z.looseObject(wishlistShape)),
  'Wishlist Product Added to Cart': requireProductRef(
    z.looseObject({ ...wishlistShape, cart_id: textSchema.optional() }),
  ),

  // Sharing
  'Product Shared': requireProductRef(z.looseObject({ ...productShape, ...shareShape })),
  'Cart Shared': z.looseObject({
    ...shareShape,
    cart_id: textSchema.optional(),
    products: productsSchema.optional(),
  }),

  // Reviewing. The spec types `rating` as String ("5"); numeric ratings are accepted too, but
  // only numbers, so "five stars" is rejected rather than silently unusable.
  'Product Reviewed': requireProductRef(
    z.looseObject({
      product_id: textSchema.optional(),
      sku: textSchema.optional(),
      review_id: textSchema.optional(),
      review_body: freeTextSchema.optional(),
      rating: z
        .union([
          z.number().min(0),
          z.string().regex(/^\d{1,3}(\.\d{1,2})?$/, { error: 'rating must be a number, e.g. 4 or "4.5"' }),
        ])
        .optional(),
    }),
  ),
});
