import { createTailor } from '@tailor/browser';
import { createDecisions, type TailorDecisions } from '@tailor/browser/decisions';

/**
 * The storefront's one Tailor client. Consent starts denied: nothing is stored or sent until the shopper
 * answers the banner (events of the visit so far are held in memory and sent if they accept).
 */
// A built storefront can be pointed at another collector without rebuilding: `?tailor_endpoint=…&tailor_key=…`.
const query = new URLSearchParams(window.location.search);

export const tailor = createTailor({
  writeKey: query.get('tailor_key') ?? import.meta.env.VITE_TAILOR_WRITE_KEY ?? 'wk_demo_web_0123456789',
  endpoint: query.get('tailor_endpoint') ?? import.meta.env.VITE_TAILOR_ENDPOINT ?? 'http://127.0.0.1:8787',
  consent: { mode: 'default-deny' },
  debug: import.meta.env.DEV,
});

/**
 * Next-best offers for the slots: decided in the browser from the collector's decision config and model,
 * from what the shopper does during the visit (features update with every tracked event, and the slots are
 * decided again). Without personalization consent the decisions use no profile at all.
 */
export const decisions: TailorDecisions = createDecisions(tailor);
