'use client';
import type { ConsentState, Purpose, TailorClient } from '@tailor/browser';
import { useCallback, useSyncExternalStore } from 'react';
import { useTailor } from './provider';

export type SetConsent = (update: Partial<Record<Purpose, boolean>>) => ConsentState;

/** The server does not know what the person chose: it renders "unknown", and so does hydration. */
const unknown = (): undefined => undefined;

/**
 * The person's consent and a stable setter, re-rendering only the components that read it. The state is
 * `undefined` on the server and while hydrating (the choice lives in the browser), so render no banner then.
 *
 * @example
 * const [consent, setConsent] = useConsent();
 * if (consent?.source === 'default') return <button onClick={() => setConsent({ measurement: true, personalization: true })}>Accept</button>;
 */
export function useConsent(): readonly [ConsentState | undefined, SetConsent] {
  const client = useTailor() as TailorClient;
  const subscribe = useCallback((listener: () => void) => client.subscribe(listener), [client]);
  const getConsent = useCallback(() => client.getSnapshot().consent, [client]);
  const consent = useSyncExternalStore(subscribe, getConsent, unknown);
  const setConsent = useCallback<SetConsent>((update) => client.consent(update), [client]);
  return [consent, setConsent] as const;
}
