import { describe, expect, it } from 'vitest';
import { createTailor } from '@tailor/browser';

// Runs in real Chromium (vitest browser mode): real fetch, real crypto.randomUUID, real pagehide wiring.
describe('createTailor in Chromium', () => {
  it('sends a JSON batch with fetch and real UUID message ids', async () => {
    const bodies: string[] = [];
    const originalFetch = window.fetch;
    window.fetch = async (input, init) => {
      bodies.push(String(init?.body));
      return new Response('{}', { status: 200 });
    };
    try {
      const tailor = createTailor({ writeKey: 'wk', endpoint: location.origin });
      tailor.track('Product Viewed', { product_id: 'p-1' });
      await tailor.ready();
      await new Promise((resolve) => setTimeout(resolve, 0));
      await tailor.flush();
      expect(bodies).toHaveLength(1);
      const body = JSON.parse(bodies[0] as string) as { batch: Array<{ messageId: string; context: { library: { name: string } } }> };
      expect(body.batch[0]?.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(body.batch[0]?.context.library.name).toBe('@tailor/browser');
      expect(navigator.userAgent).toMatch(/Chrome/);
    } finally {
      window.fetch = originalFetch;
    }
  });
});
