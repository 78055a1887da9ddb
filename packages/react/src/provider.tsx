'use client';
import type { EventMap, TailorClient } from '@tailor/browser';
import { createContext, useContext, type ReactNode } from 'react';

const TailorContext = createContext<TailorClient<EventMap> | null>(null);

export interface TailorProviderProps {
  readonly client: TailorClient<any>;
  readonly children?: ReactNode;
}

/**
 * Makes a Tailor client available to the hooks below it. The client is created by the app (once, outside
 * render), so server rendering never creates one by accident.
 *
 * @example
 * <TailorProvider client={tailor}><App /></TailorProvider>
 */
export function TailorProvider({ client, children }: TailorProviderProps): ReactNode {
  return <TailorContext.Provider value={client}>{children}</TailorContext.Provider>;
}

/** The client from the nearest {@link TailorProvider}; throws if there is none, since that is a wiring mistake. */
export function useTailor<Events extends EventMap = EventMap>(): TailorClient<Events> {
  const client = useContext(TailorContext);
  if (client === null) throw new Error('[tailor] useTailor: wrap your app in <TailorProvider client={...}>');
  return client as unknown as TailorClient<Events>;
}
