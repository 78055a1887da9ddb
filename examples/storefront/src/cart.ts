import { useSyncExternalStore } from 'react';
import { findProduct, type Product } from './catalog';

export interface CartLine {
  readonly product: Product;
  readonly quantity: number;
}

const STORAGE_KEY = 'storefront.cart';
const listeners = new Set<() => void>();
let lines: readonly CartLine[] = load();

/** One cart id per browser, for `cart_id` in the cart events. */
export const CART_ID = readOrCreate('storefront.cartId', () => `cart-${crypto.randomUUID()}`);

export function useCart(): readonly CartLine[] {
  return useSyncExternalStore(subscribe, () => lines, () => lines);
}

export function addToCart(product: Product): void {
  const existing = lines.find((line) => line.product.id === product.id);
  update(existing ? lines.map((line) => (line === existing ? { ...line, quantity: line.quantity + 1 } : line)) : [...lines, { product, quantity: 1 }]);
}

export function removeFromCart(productId: string): void {
  update(lines.filter((line) => line.product.id !== productId));
}

export function clearCart(): void {
  update([]);
}

export const cartValue = (cart: readonly CartLine[]): number => cart.reduce((sum, line) => sum + line.product.price * line.quantity, 0);
export const cartCount = (cart: readonly CartLine[]): number => cart.reduce((sum, line) => sum + line.quantity, 0);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function update(next: readonly CartLine[]): void {
  lines = next;
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(next.map((line) => [line.product.id, line.quantity])));
  } catch {
    // Private mode or a full quota: the cart lives for this page only.
  }
  for (const listener of listeners) listener();
}

function load(): readonly CartLine[] {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]') as [string, number][];
    return saved.flatMap(([id, quantity]) => {
      const product = findProduct(id);
      return product && quantity > 0 ? [{ product, quantity }] : [];
    });
  } catch {
    return [];
  }
}

function readOrCreate(key: string, create: () => string): string {
  try {
    const value = localStorage.getItem(key) ?? create();
    localStorage.setItem(key, value);
    return value;
  } catch {
    return create();
  }
}
