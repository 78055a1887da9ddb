import { useSyncExternalStore } from 'react';

/** Hash routes (`#/product/p-101`): they work from any static server, with no rewrite rules. */
export type Route =
  | { readonly name: 'home' }
  | { readonly name: 'category'; readonly id: string }
  | { readonly name: 'product'; readonly id: string }
  | { readonly name: 'cart' }
  | { readonly name: 'checkout' }
  | { readonly name: 'order'; readonly id: string };

export function parseRoute(hash: string): Route {
  const [, section, id] = hash.replace(/^#/, '').split('/');
  if (section === 'category' && id) return { name: 'category', id };
  if (section === 'product' && id) return { name: 'product', id };
  if (section === 'order' && id) return { name: 'order', id };
  if (section === 'cart') return { name: 'cart' };
  if (section === 'checkout') return { name: 'checkout' };
  return { name: 'home' };
}

const subscribe = (listener: () => void) => {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
};

/** The current location hash, re-rendering on navigation. */
export function useHash(): string {
  return useSyncExternalStore(subscribe, () => window.location.hash, () => '');
}

export function navigate(path: string): void {
  window.location.hash = path;
}
