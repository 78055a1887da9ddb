import * as z from 'zod';
import { defineTrackingPlan } from '@tailor/core';

/**
 * The demo storefront's tracking plan: the retail catalog plus two events of its own. The collector
 * validates every event of the "web" source against it; the storefront types `track()` from it.
 */
export default defineTrackingPlan({
  name: 'demo-storefront',
  version: '1',
  events: {
    'Gift Card Purchased': z.object({ amount: z.number().positive(), currency: z.string().length(3), recipient_email: z.email().optional() }),
    'Store Pickup Selected': z.object({ store_id: z.string().min(1), order_id: z.string().min(1) }),
  },
  mode: 'strict',
  unplannedEvents: 'warn',
});
