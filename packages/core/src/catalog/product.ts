import * as z from 'zod';

// Field schemas shared by every retail event. Strings are non-empty because an empty id or name
// carries no information and usually means a template variable was not filled in.

/**
 * An id, name or code: non-empty, at most 1,024 characters.
 * @example textSchema.parse('507f1f77bcf86cd799439011')
 */
export const textSchema = z.string().min(1).max(1024);

/**
 * A page or image address. Not checked as a URL: storefronts send relative paths and CDN
 * placeholders, and rejecting a whole order event over an image link would lose the order.
 * @example urlSchema.parse('/products/monopoly')
 */
export const urlSchema = z.string().min(1).max(2048);

/**
 * Text a person typed (review body, share message). May be empty: the shopper may have left it blank.
 * @example freeTextSchema.parse('')
 */
export const freeTextSchema = z.string().max(10_000);

/**
 * A money amount: a finite number ≥ 0 (zod's number already rejects NaN and ±Infinity).
 * Amounts are in major units (19.99, not 1999), as Segment destinations expect.
 * @example moneySchema.parse(19.99)
 */
export const moneySchema = z.number().min(0);

/**
 * A money amount that may be negative. Only for refund and return totals, which POS and
 * order systems send with either sign.
 * @example signedMoneySchema.parse(-30)
 */
export const signedMoneySchema = z.number();

/**
 * ISO 4217 currency code, in either case: Segment's own examples send "usd", and existing clients must
 * keep working unchanged. Readers compare codes case-insensitively.
 * @example currencySchema.parse('EUR')
 */
export const currencySchema = z
  .string()
  .regex(/^[A-Za-z]{3}$/, { error: 'currency must be an ISO 4217 code: three letters, e.g. "USD"' });

/** A count of items: an integer ≥ 0. */
export const quantitySchema = z.number().int().min(0);

/** A 1-based position in a list or a checkout funnel. */
export const positionSchema = z.number().int().min(1);

/**
 * Adds "at least one of these keys is present" to an object schema, both as a runtime check and as
 * a JSON Schema `anyOf`, so producers in other languages enforce the same rule.
 * The issue points at the first key, which is where a person fixing the event should look.
 */
export function requireOneOf<T extends z.ZodObject>(
  schema: T,
  keys: readonly [string, ...string[]],
  message: string,
): T {
  return schema
    .refine((value) => keys.some((key) => (value as Record<string, unknown>)[key] !== undefined), {
      error: message,
      path: [keys[0]],
    })
    .meta({ anyOf: keys.map((key) => ({ required: [key] })) });
}

/**
 * The Segment E-commerce v2 product fields. Kept as a plain shape so single-product events can put
 * them at the top level of `properties`, as the spec does.
 */
export const productShape = {
  product_id: textSchema.optional(),
  sku: textSchema.optional(),
  category: textSchema.optional(),
  name: textSchema.optional(),
  brand: textSchema.optional(),
  variant: textSchema.optional(),
  price: moneySchema.optional(),
  quantity: quantitySchema.optional(),
  coupon: textSchema.optional(),
  position: positionSchema.optional(),
  url: urlSchema.optional(),
  image_url: urlSchema.optional(),
};

/** Without an id or sku a product cannot be joined to the catalog, so the event is noise. */
export function requireProductRef<T extends z.ZodObject>(schema: T): T {
  return requireOneOf(schema, ['product_id', 'sku'], 'a product needs product_id or sku');
}

/**
 * A product as Segment E-commerce v2 describes it. Unknown keys are kept: retailers add their own
 * (`size`, `margin`, `collection`), and dropping them would lose data the plan may type later.
 * @example productSchema.parse({ product_id: 'p-1', price: 19.99, quantity: 1, size: 'M' })
 */
export const productSchema = requireProductRef(z.looseObject(productShape));

/** A list of products, as in `properties.products`. */
export const productsSchema = z.array(productSchema);
