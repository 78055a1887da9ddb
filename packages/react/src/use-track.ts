'use client';
import type { EventMap, TailorClient } from '@tailor/browser';
import type { RetailEvents } from '@tailor/core';
import { useCallback } from 'react';
import { useTailor } from './provider';

/**
 * `track` of the provider's client as a stable callback: the same function for as long as the client is
 * the same, so it can go in dependency arrays and to memoized children without re-rendering them.
 *
 * @example
 * const track = useTrack();
 * <button onClick={() => track('Product Added', { product_id: sku, price, quantity: 1 })}>Add to cart</button>
 */
export function useTrack<Events extends EventMap = RetailEvents>(): TailorClient<Events>['track'] {
  const client = useTailor<Events>();
  return useCallback<TailorClient<Events>['track']>((event, properties, options) => client.track(event, properties, options), [client]);
}

/**
 * `identify` of the provider's client as a stable callback (sign-in, newsletter sign-up).
 *
 * @example
 * const identify = useIdentify();
 * identify(account.id, { email: account.email });
 */
export function useIdentify(): TailorClient['identify'] {
  const client = useTailor();
  return useCallback<TailorClient['identify']>((userId, traits, options) => client.identify(userId, traits, options), [client]);
}
