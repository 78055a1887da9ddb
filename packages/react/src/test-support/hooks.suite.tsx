import { fireEvent } from '@testing-library/dom';
import { createTailor, type TailorClient } from '@tailor/browser';
import { createFakePlatform } from '@tailor/test-utils';
import { Suspense, type ReactElement, type ReactNode } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Offer } from '../offer';
import { TailorProvider } from '../provider';
import { useConsent } from '../use-consent';
import { useExperiment } from '../use-experiment';
import { useNextBestOffer, type PlacementContext } from '../use-next-best-offer';
import { useIdentify, useTrack } from '../use-track';
import { createFakeDecisions, type FakeDecisions } from './fake-decisions';
import { createFakeIntersection, type FakeIntersection } from './fake-intersection';

/** How a suite renders: testing-library on React 19, a bare `createRoot` + `act` on React 18. */
export interface Harness {
  readonly name: string;
  render(ui: ReactElement): { container: HTMLElement; rerender(ui: ReactElement): void; unmount(): void };
  act(callback: () => void | Promise<void>): Promise<void>;
  cleanup(): void;
}

/**
 * The hook and `<Offer>` behaviour, run once per React major (hooks.test.tsx, react-18.test.tsx) so both
 * are held to the same cases.
 */
export function describeHooks(harness: Harness): void {
  let client: TailorClient;
  let decisions: FakeDecisions;
  const renders = new Map<string, number>();
  const counted = (name: string) => renders.set(name, (renders.get(name) ?? 0) + 1);

  beforeEach(() => {
    client = createTailor({ writeKey: 'wk_test', storage: 'memory', platform: createFakePlatform() });
    decisions = createFakeDecisions();
    renders.clear();
  });
  afterEach(() => {
    harness.cleanup();
    client.close();
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  const wrap = (children: ReactNode) => (
    <TailorProvider client={client} decisions={decisions}>
      {children}
    </TailorProvider>
  );

  function Slot({ name, placement, context }: { name: string; placement: string; context?: PlacementContext }) {
    counted(name);
    const { status, offers, decisionId } = useNextBestOffer(placement, context);
    return (
      <p data-testid={name}>
        {status}:{offers.map((offer) => offer.offerId).join(',')}:{decisionId ?? '-'}
      </p>
    );
  }
  const text = (container: HTMLElement, testId: string) => container.querySelector(`[data-testid="${testId}"]`)?.textContent;

  describe(`${harness.name}: client hooks`, () => {
    it('useTrack returns one stable callback that tracks through the client', async () => {
      const seen: unknown[] = [];
      const track = vi.spyOn(client, 'track');
      function AddToCart() {
        const trackEvent = useTrack();
        seen.push(trackEvent);
        return <button onClick={() => trackEvent('Product Added', { product_id: 'p-1', quantity: 1 })}>add</button>;
      }
      const view = harness.render(wrap(<AddToCart />));
      view.rerender(wrap(<AddToCart />));
      expect(seen).toHaveLength(2);
      expect(seen[0]).toBe(seen[1]);
      await harness.act(() => void fireEvent.click(view.container.querySelector('button')!));
      expect(track).toHaveBeenCalledWith('Product Added', { product_id: 'p-1', quantity: 1 }, undefined);
    });

    it('useIdentify identifies through the client', async () => {
      function SignIn() {
        const identify = useIdentify();
        return <button onClick={() => identify('u-42', { plan: 'gold' })}>sign in</button>;
      }
      const view = harness.render(wrap(<SignIn />));
      await harness.act(() => void fireEvent.click(view.container.querySelector('button')!));
      expect(client.getUserId()).toBe('u-42');
    });

    it('useConsent reads the client snapshot and re-renders its readers only when consent changes', async () => {
      function Banner() {
        counted('banner');
        const [consent, setConsent] = useConsent();
        return (
          <button data-testid="banner" onClick={() => setConsent({ personalization: false })}>
            {String(consent?.purposes.personalization)}/{consent?.source}
          </button>
        );
      }
      function Bystander() {
        counted('bystander');
        return null;
      }
      const view = harness.render(wrap(<><Banner /><Bystander /></>));
      expect(text(view.container, 'banner')).toBe('true/default');
      await harness.act(() => void fireEvent.click(view.container.querySelector('button')!));
      expect(text(view.container, 'banner')).toBe('false/user');
      expect(client.getSnapshot().consent.purposes.personalization).toBe(false);
      expect(renders.get('banner')).toBe(2);
      expect(renders.get('bystander')).toBe(1);
    });
  });

  describe(`${harness.name}: decision hooks`, () => {
    it('useExperiment re-renders when the assignment arrives', async () => {
      function Layout() {
        const assignment = useExperiment('pdp-layout');
        return <p data-testid="layout">{assignment?.variationKey ?? 'unknown'}</p>;
      }
      const view = harness.render(wrap(<Layout />));
      expect(text(view.container, 'layout')).toBe('unknown');
      await harness.act(() =>
        decisions.setExperiment({
          experimentKey: 'pdp-layout',
          variationIndex: 1,
          variationKey: 'gallery',
          hashAttribute: 'anonymousId',
          hashValue: 'a-1',
          inExperiment: true,
          reason: 'assigned',
        }),
      );
      expect(text(view.container, 'layout')).toBe('gallery');
    });

    it('useNextBestOffer decides on mount and shows the decision when it lands', async () => {
      const view = harness.render(wrap(<Slot name="hero" placement="home-hero" context={{ page: 'home' }} />));
      expect(decisions.decided).toEqual([{ placement: 'home-hero', context: { page: 'home' } }]);
      expect(text(view.container, 'hero')).toBe('loading::-');
      await harness.act(() => decisions.answer('home-hero', { page: 'home' }, ['o-1', 'o-2'], 'd-1'));
      expect(text(view.container, 'hero')).toBe('ready:o-1,o-2:d-1');
    });

    it('decides again only when the context JSON changes, whatever the key order or object identity', async () => {
      const view = harness.render(wrap(<Slot name="pdp" placement="product-sidebar" context={{ productId: 'p-1', category: 'shoes' }} />));
      view.rerender(wrap(<Slot name="pdp" placement="product-sidebar" context={{ category: 'shoes', productId: 'p-1' }} />));
      expect(decisions.decided).toHaveLength(1);
      view.rerender(wrap(<Slot name="pdp" placement="product-sidebar" context={{ category: 'shoes', productId: 'p-2' }} />));
      expect(decisions.decided.map((call) => call.context)).toEqual([
        { productId: 'p-1', category: 'shoes' },
        { category: 'shoes', productId: 'p-2' },
      ]);
      view.rerender(wrap(<Slot name="pdp" placement="cart" context={{ category: 'shoes', productId: 'p-2' }} />));
      expect(decisions.decided.map((call) => call.placement)).toEqual(['product-sidebar', 'product-sidebar', 'cart']);
    });

    it('re-renders only the slot whose placement changed, not its siblings', async () => {
      const view = harness.render(
        wrap(
          <>
            <Slot name="a" placement="home-hero" />
            <Slot name="b" placement="cart" />
          </>,
        ),
      );
      await harness.act(() => decisions.answer('cart', undefined, ['o-9'], 'd-9'));
      const before = { a: renders.get('a'), b: renders.get('b') };
      await harness.act(() => decisions.answer('home-hero', undefined, ['o-1'], 'd-1'));
      expect(text(view.container, 'a')).toBe('ready:o-1:d-1');
      expect(renders.get('a')).toBe((before.a ?? 0) + 1);
      expect(renders.get('b')).toBe(before.b);
    });

    it('unsubscribes when the last reader unmounts', async () => {
      const view = harness.render(wrap(<Slot name="a" placement="home-hero" />));
      expect(decisions.listenerCount()).toBe(1);
      view.unmount();
      expect(decisions.listenerCount()).toBe(0);
    });

    it('suspends until the first decision in suspense mode', async () => {
      function Hero() {
        const { offers } = useNextBestOffer('home-hero', undefined, { suspense: true });
        return <p data-testid="hero">{offers[0]?.offerId}</p>;
      }
      const view = harness.render(wrap(<Suspense fallback={<p data-testid="wait">wait</p>}><Hero /></Suspense>));
      expect(text(view.container, 'wait')).toBe('wait');
      expect(decisions.decided.length).toBeGreaterThanOrEqual(1);
      await harness.act(() => decisions.answer('home-hero', undefined, ['o-1'], 'd-1'));
      expect(text(view.container, 'hero')).toBe('o-1');
      expect(text(view.container, 'wait')).toBeUndefined();
    });

    it('names the missing piece when the provider has no decisions', () => {
      vi.spyOn(console, 'error').mockImplementation(() => {});
      expect(() => harness.render(<TailorProvider client={client}><Slot name="a" placement="home-hero" /></TailorProvider>)).toThrow(
        '[tailor] useNextBestOffer: pass decisions to the provider',
      );
    });
  });

  describe(`${harness.name}: <Offer>`, () => {
    let intersection: FakeIntersection;
    beforeEach(() => {
      intersection = createFakeIntersection();
      vi.stubGlobal('IntersectionObserver', intersection.Observer);
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    });

    const impressions = () => decisions.outcomes.filter((outcome) => outcome.type === 'impression');
    const advance = (ms: number) => harness.act(() => void vi.advanceTimersByTime(ms));
    const show = (ratio: number) => harness.act(() => intersection.showAt(ratio));

    async function mountHero(props: Partial<Parameters<typeof Offer>[0]> = {}) {
      const view = harness.render(
        wrap(
          <Offer
            placement="home-hero"
            data-testid="slot"
            fallback={<span>no offer</span>}
            render={(offer, helpers) => (
              <>
                <a data-testid="cta" onClick={helpers.click}>{String(offer.creative.title)}</a>
                <button data-testid="buy" onClick={() => helpers.convert(42)}>buy</button>
                <button data-testid="close" onClick={helpers.dismiss}>close</button>
              </>
            )}
            {...props}
          />,
        ),
      );
      await harness.act(() => decisions.answer('home-hero', undefined, ['o-1'], 'd-1'));
      return view;
    }

    it('renders the fallback, then the offer in a slot carrying its ids', async () => {
      const view = harness.render(wrap(<Offer placement="home-hero" data-testid="slot" fallback={<span>no offer</span>} render={(offer) => offer.offerId} />));
      const slot = () => view.container.querySelector('[data-testid="slot"]')!;
      expect(slot().textContent).toBe('no offer');
      expect(slot().getAttribute('data-offer-id')).toBeNull();
      await harness.act(() => decisions.answer('home-hero', undefined, ['o-1'], 'd-1'));
      expect(slot().textContent).toBe('o-1');
      expect(slot().getAttribute('data-offer-id')).toBe('o-1');
      expect(slot().getAttribute('data-placement')).toBe('home-hero');
    });

    it('records one impression after ≥ 50% visibility held for 1000 ms, never before', async () => {
      await mountHero();
      await show(0.49);
      await advance(5_000);
      expect(impressions()).toHaveLength(0);
      await show(0.5);
      await advance(999);
      expect(impressions()).toHaveLength(0);
      await advance(1);
      expect(impressions()).toEqual([{ decisionId: 'd-1', placementId: 'home-hero', offerId: 'o-1', type: 'impression' }]);
      await show(0);
      await show(0.8);
      await advance(5_000);
      expect(impressions()).toHaveLength(1);
    });

    it('restarts the clock when visibility dips below the threshold', async () => {
      await mountHero();
      await show(0.6);
      await advance(600);
      await show(0.3);
      await show(0.6);
      await advance(600);
      expect(impressions()).toHaveLength(0);
      await advance(400);
      expect(impressions()).toHaveLength(1);
    });

    it('counts a new decision as a new impression', async () => {
      await mountHero();
      await show(1);
      await advance(1_000);
      await harness.act(() => decisions.answer('home-hero', undefined, ['o-2'], 'd-2'));
      await show(1);
      await advance(1_000);
      expect(impressions().map((outcome) => `${outcome.decisionId}/${outcome.offerId}`)).toEqual(['d-1/o-1', 'd-2/o-2']);
    });

    it('takes its threshold and duration from props', async () => {
      await mountHero({ threshold: 0.75, minVisibleMs: 300 });
      expect(intersection.thresholds.at(-1)).toEqual([0.75]);
      await show(0.7);
      await advance(1_000);
      expect(impressions()).toHaveLength(0);
      await show(0.75);
      await advance(300);
      expect(impressions()).toHaveLength(1);
    });

    it('wires click, convert and dismiss to the decision id', async () => {
      const view = await mountHero();
      for (const id of ['cta', 'buy', 'close']) {
        await harness.act(() => void fireEvent.click(view.container.querySelector(`[data-testid="${id}"]`)!));
      }
      expect(decisions.outcomes).toEqual([
        { decisionId: 'd-1', placementId: 'home-hero', offerId: 'o-1', type: 'click' },
        { decisionId: 'd-1', placementId: 'home-hero', offerId: 'o-1', type: 'convert', value: 42 },
        { decisionId: 'd-1', placementId: 'home-hero', offerId: 'o-1', type: 'dismiss' },
      ]);
    });

    it('stops observing when unmounted', async () => {
      const view = await mountHero();
      expect(intersection.live()).toBe(1);
      view.unmount();
      expect(intersection.live()).toBe(0);
      await advance(5_000);
      expect(impressions()).toHaveLength(0);
    });

    it('records nothing without IntersectionObserver, unless told to count mounting as seen', async () => {
      vi.stubGlobal('IntersectionObserver', undefined);
      const view = await mountHero();
      await advance(10_000);
      expect(impressions()).toHaveLength(0);
      view.unmount();
      await mountHero({ withoutObserver: 'mounted' });
      await advance(999);
      expect(impressions()).toHaveLength(0);
      await advance(1);
      expect(impressions()).toHaveLength(1);
    });
  });
}
