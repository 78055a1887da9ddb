import catalog from './catalog.json';

export interface Product {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly brand: string;
  readonly category: string;
  readonly price: number;
  readonly color: string;
  readonly description: string;
}

export interface Category {
  readonly id: string;
  readonly name: string;
}

export const CURRENCY = catalog.currency;
export const CATEGORIES: readonly Category[] = catalog.categories;
export const PRODUCTS: readonly Product[] = catalog.products;

export const findProduct = (id: string): Product | undefined => PRODUCTS.find((product) => product.id === id);
export const findCategory = (id: string): Category | undefined => CATEGORIES.find((category) => category.id === id);
export const productsIn = (categoryId: string): readonly Product[] => PRODUCTS.filter((product) => product.category === categoryId);

export const formatPrice = (amount: number): string =>
  new Intl.NumberFormat('en-IE', { style: 'currency', currency: CURRENCY }).format(amount);

/**
 * A product as the E-commerce v2 events carry it (`products[]` items, Product Viewed/Added properties).
 * A type alias, not an interface, so it fits the events' open (`[key: string]: unknown`) property types.
 */
export type EventProduct = {
  readonly product_id: string;
  readonly sku: string;
  readonly name: string;
  readonly brand: string;
  readonly category: string;
  readonly price: number;
  readonly url: string;
  readonly quantity?: number;
  readonly position?: number;
};

export function toEventProduct(product: Product, extra: { quantity?: number; position?: number } = {}): EventProduct {
  return {
    product_id: product.id,
    sku: product.sku,
    name: product.name,
    brand: product.brand,
    category: findCategory(product.category)?.name ?? product.category,
    price: product.price,
    url: `#/product/${product.id}`,
    ...extra,
  };
}
