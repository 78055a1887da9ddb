import type { FeatureEvent } from './types';

// Defensive readers: the device applies events it has not validated, and a hot path never throws.

/**
 * When the event happened, in epoch ms: `timestamp` (the collector's skew-corrected time), else
 * `originalTimestamp`, else `receivedAt`; undefined when none parses.
 */
export function getEventTime(event: FeatureEvent): number | undefined {
  for (const value of [event.timestamp, event.originalTimestamp, event.receivedAt]) {
    const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return undefined;
}

/** A finite number ≥ 0, else undefined. */
export function readAmount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** A product line's value: price × quantity (quantity 1 when absent). */
export function getLineValue(product: Readonly<Record<string, unknown>>): number {
  const price = readAmount(product.price);
  if (price === undefined) return 0;
  return price * (readAmount(product.quantity) ?? 1);
}

/** `properties.products` as objects, skipping anything that is not one. */
export function getProducts(properties: Readonly<Record<string, unknown>>): Readonly<Record<string, unknown>>[] {
  const products = properties.products;
  if (!Array.isArray(products)) return [];
  return products.filter((item): item is Readonly<Record<string, unknown>> => item !== null && typeof item === 'object' && !Array.isArray(item));
}

/**
 * An order's revenue: `revenue`, else `subtotal`, else `total`, else the sum of its product lines.
 * Segment defines revenue without shipping and tax, which is what a propensity or value model wants.
 */
export function getOrderRevenue(properties: Readonly<Record<string, unknown>>): number {
  return (
    readAmount(properties.revenue) ??
    readAmount(properties.subtotal) ??
    readAmount(properties.total) ??
    getProducts(properties).reduce((sum, product) => sum + getLineValue(product), 0)
  );
}

/** Whether an order had a discount: a positive `discount`, or a coupon on the order or on a line. */
export function isDiscounted(properties: Readonly<Record<string, unknown>>): boolean {
  if ((readAmount(properties.discount) ?? 0) > 0) return true;
  if (isNonEmptyString(properties.coupon)) return true;
  return getProducts(properties).some((product) => isNonEmptyString(product.coupon));
}

function isNonEmptyString(value: unknown): boolean {
  return typeof value === 'string' && value.trim() !== '';
}

/**
 * A product field's value as a feature-name segment: lower case, runs of anything but letters and
 * digits as one `_`, trimmed, at most 64 characters. `"Men's Shoes"` → `men_s_shoes`. Empty when nothing is left.
 */
export function normalizeFeatureKey(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  return String(value)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64)
    .replace(/_+$/, '');
}
