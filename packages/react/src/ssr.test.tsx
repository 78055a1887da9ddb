// @vitest-environment node
import { Suspense } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { TailorClient } from '@tailor/browser';
import type { TailorDecisions } from '@tailor/browser/decisions';
import { Offer, TailorProvider, useConsent, useExperiment, useNextBestOffer } from './index';

/** Any call is a failure: server rendering must read nothing from the client or the decisions. */
function untouchable<T extends object>(name: string): T {
  return new Proxy({} as T, {
    get: (_, member) => {
      throw new Error(`server render touched ${name}.${String(member)}`);
    },
  });
}

function Page() {
  const [consent] = useConsent();
  const experiment = useExperiment('pdp-layout');
  const sidebar = useNextBestOffer('product-sidebar', { productId: 'p-1' });
  return (
    <main>
      <p>consent:{consent === undefined ? 'unknown' : 'known'}</p>
      <p>layout:{experiment?.variationKey ?? 'unknown'}</p>
      <p>sidebar:{sidebar.status}</p>
      <Offer placement="home-hero" fallback={<span>hero placeholder</span>} render={(offer) => offer.offerId} />
    </main>
  );
}

function SuspenseHero() {
  const { status } = useNextBestOffer('home-hero', undefined, { suspense: true });
  return <p>hero:{status}</p>;
}

describe('server rendering', () => {
  it('runs without a DOM', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
  });

  it('renders the idle state and never calls the client or the decisions', () => {
    const html = renderToString(
      <TailorProvider client={untouchable<TailorClient>('client')} decisions={untouchable<TailorDecisions>('decisions')}>
        <Page />
      </TailorProvider>,
    );
    expect(html).toContain('consent:<!-- -->unknown');
    expect(html).toContain('layout:<!-- -->unknown');
    expect(html).toContain('sidebar:<!-- -->idle');
    expect(html).toContain('<div data-placement="home-hero" data-status="idle"><span>hero placeholder</span></div>');
  });

  it('does not suspend on the server in suspense mode', () => {
    const html = renderToString(
      <TailorProvider client={untouchable<TailorClient>('client')} decisions={untouchable<TailorDecisions>('decisions')}>
        <Suspense fallback={<p>wait</p>}>
          <SuspenseHero />
        </Suspense>
      </TailorProvider>,
    );
    expect(html).toContain('hero:<!-- -->idle');
  });
});
