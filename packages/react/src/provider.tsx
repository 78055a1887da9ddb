'use client';
import type { EventMap, TailorClient } from '@tailor/browser';
import type { TailorDecisions } from '@tailor/browser/decisions';
import { TailorError, type RetailEvents } from '@tailor/core';
import { createContext, useContext, useMemo, type ReactNode } from 'react';

interface TailorContextValue {
  readonly client: TailorClient<any>;
  readonly decisions: TailorDecisions | undefined;
}

const TailorContext = createContext<TailorContextValue | null>(null);

export interface TailorProviderProps {
  readonly client: TailorClient<any>;
  /** On-device decisions (`createDecisions(client)` from `@tailor/browser/decisions`), for the offer and experiment hooks. */
  readonly decisions?: TailorDecisions;
  readonly children?: ReactNode;
}

/**
 * Makes a Tailor client (and its decisions) available to the hooks below it. The client is created by the
 * app once, outside render, so server rendering never creates one by accident. The provider holds no state
 * of its own: hooks subscribe to the client and decisions directly, so a change re-renders only the
 * components that read it.
 *
 * @example
 * const tailor = createTailor({ writeKey: 'wk_web' });
 * const decisions = createDecisions(tailor);
 * <TailorProvider client={tailor} decisions={decisions}><App /></TailorProvider>
 */
export function TailorProvider({ client, decisions, children }: TailorProviderProps): ReactNode {
  // A new object on every parent render would re-render every hook below; keep it while its parts are the same.
  const value = useMemo(() => ({ client, decisions }), [client, decisions]);
  return <TailorContext.Provider value={value}>{children}</TailorContext.Provider>;
}

function useTailorContext(hook: string): TailorContextValue {
  const value = useContext(TailorContext);
  if (value === null) throw new TailorError('invalid_options', `${hook}: wrap your app in <TailorProvider client={...}>`);
  return value;
}

/**
 * The client from the nearest {@link TailorProvider}; throws if there is none, since that is a wiring mistake.
 *
 * @example
 * const tailor = useTailor();
 * tailor.page('Home');
 */
export function useTailor<Events extends EventMap = RetailEvents>(): TailorClient<Events> {
  return useTailorContext('useTailor').client as TailorClient<Events>;
}

/**
 * The decisions from the nearest {@link TailorProvider}; throws if the provider has none.
 *
 * @example
 * const decisions = useDecisions();
 * useEffect(() => void decisions.refresh(), [decisions]);
 */
export function useDecisions(): TailorDecisions {
  return useDecisionsFor('useDecisions');
}

/** {@link useDecisions}, naming the hook that needs them in the error. */
export function useDecisionsFor(hook: string): TailorDecisions {
  const { decisions } = useTailorContext(hook);
  if (decisions === undefined) {
    throw new TailorError(
      'invalid_options',
      `${hook}: pass decisions to the provider: <TailorProvider client={tailor} decisions={createDecisions(tailor)}> (createDecisions is in @tailor/browser/decisions)`,
    );
  }
  return decisions;
}
