import { createTailor } from '@tailor/browser';
import { IDLE_PLACEMENT, type TailorDecisions } from '@tailor/browser/decisions';

/**
 * The storefront's one Tailor client. Consent starts denied: nothing is stored or sent until the shopper
 * answers the banner (events of the visit so far are held in memory and sent if they accept).
 */
export const tailor = createTailor({
  writeKey: import.meta.env.VITE_TAILOR_WRITE_KEY ?? 'wk_demo_web_0123456789',
  endpoint: import.meta.env.VITE_TAILOR_ENDPOINT ?? 'http://127.0.0.1:8787',
  consent: { mode: 'default-deny' },
  debug: import.meta.env.DEV,
});

/**
 * PLACEHOLDER until `createDecisions` is exported from `@tailor/browser/decisions`: then this becomes
 *   import { createDecisions } from '@tailor/browser/decisions';
 *   export const decisions = createDecisions(tailor);
 * Meanwhile every placement stays idle and each <Offer> slot shows its house fallback.
 */
export const decisions: TailorDecisions = createIdlePlaceholderDecisions();

function createIdlePlaceholderDecisions(): TailorDecisions {
  return {
    decide: async () => IDLE_PLACEMENT,
    getPlacement: () => IDLE_PLACEMENT,
    subscribe: () => () => {},
    recordOutcome: () => {},
    getExperiment: () => undefined,
    refresh: async () => {},
    close: () => {},
  };
}
