'use client';
import { IDLE_PLACEMENT, type PlacementState } from '@tailor/browser/decisions';
import { useCallback, useEffect, useMemo, useSyncExternalStore } from 'react';
import { useDecisionsFor } from './provider';

/** What the page knows that a decision may use: page type, product, category, cart value ... (JSON). */
export type PlacementContext = Readonly<Record<string, unknown>>;

export interface NextBestOfferOptions {
  /**
   * Suspend (throw the pending decision to the nearest `<Suspense>`) until the placement has a first
   * decision. Later re-decisions keep showing the current offers. Never suspends on the server or while
   * hydrating: those render the idle state.
   */
  readonly suspense?: boolean;
}

/** `{ offers, status, decisionId, reasons, error, source }` of a placement: the decisions' own snapshot, unchanged. */
export type NextBestOffer = PlacementState;

const idleOnServer = (): PlacementState => IDLE_PLACEMENT;
const noSubscription = () => () => {};
const afterHydration = () => true;
const duringServerRender = () => false;

/**
 * The offers chosen for a placement, re-rendering only this component when they change (a viewed product,
 * a cart update or a consent change re-decides on the device). Decides when the placement or the context
 * changes; the context is compared by its JSON (key order ignored), so an inline object literal is fine.
 * On the server and while hydrating it returns the idle state and touches nothing.
 *
 * @example
 * const { offers, status, decisionId } = useNextBestOffer('product-sidebar', { productId: product.id });
 * if (status === 'ready' && offers[0]) return <Banner creative={offers[0].creative} />;
 */
export function useNextBestOffer(placement: string, context?: PlacementContext, options?: NextBestOfferOptions): NextBestOffer {
  const decisions = useDecisionsFor('useNextBestOffer');
  const key = context === undefined ? '' : stableKey(context);
  // Same JSON, same object: the effect below and getSnapshot must not see a "new" context each render.
  const stableContext = useMemo(() => context, [key]);
  const subscribe = useCallback((listener: () => void) => decisions.subscribe(listener), [decisions]);
  const getPlacement = useCallback(() => decisions.getPlacement(placement, stableContext), [decisions, placement, stableContext]);
  const state = useSyncExternalStore(subscribe, getPlacement, idleOnServer);
  const hydrated = useSyncExternalStore(noSubscription, afterHydration, duringServerRender);
  const suspense = options?.suspense === true;

  useEffect(() => {
    // In suspense mode the render below starts the first decision; later ones come from the decisions themselves.
    if (!suspense) void decisions.decide(placement, stableContext);
  }, [decisions, placement, stableContext, suspense]);

  if (suspense && hydrated && state.decisionId === undefined && (state.status === 'idle' || state.status === 'loading')) {
    // `decide` shares one promise per placement and context while it runs, and never rejects.
    throw decisions.decide(placement, stableContext);
  }
  return state;
}

/** JSON with object keys sorted and `undefined` members left out, so `{ a, b }` and `{ b, a }` are one context. */
export function stableKey(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  const record = value as Record<string, unknown>;
  const members = Object.keys(record)
    .filter((name) => record[name] !== undefined)
    .sort()
    .map((name) => `${JSON.stringify(name)}:${stableKey(record[name])}`);
  return `{${members.join(',')}}`;
}
