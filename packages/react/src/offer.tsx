'use client';
import type { OfferItem, OutcomeType } from '@tailor/browser/decisions';
import { useEffect, useMemo, useRef, useState, type ComponentPropsWithoutRef, type ReactNode } from 'react';
import { useDecisionsFor } from './provider';
import { useNextBestOffer, type PlacementContext } from './use-next-best-offer';
import { DEFAULT_VISIBILITY, watchVisibility } from './watch-visibility';

/** Outcome recorders for the offer on show, each carrying its `decisionId` (what attribution and policies need). */
export interface OfferHelpers {
  readonly decisionId: string;
  readonly placement: string;
  click(): void;
  /** `value`: the revenue the offer brought, for reports and value-weighted models. */
  convert(value?: number): void;
  /** The person closed the offer: the placement is decided again without it where the contact policy says so. */
  dismiss(): void;
}

export interface OfferProps extends Omit<ComponentPropsWithoutRef<'div'>, 'children'> {
  readonly placement: string;
  readonly context?: PlacementContext;
  readonly render: (offer: OfferItem, helpers: OfferHelpers) => ReactNode;
  /** Shown while there is no offer (deciding, none eligible, error without defaults). */
  readonly fallback?: ReactNode;
  /** Which ranked offer of the placement this slot shows. Default 0, the best. */
  readonly index?: number;
  /** Share of the slot that must be on screen for an impression. Default 0.5. */
  readonly threshold?: number;
  /** How long the slot must stay that visible for an impression, in ms. Default 1000. */
  readonly minVisibleMs?: number;
  /**
   * Without IntersectionObserver visibility cannot be known: `'never'` (default) records no impression,
   * `'mounted'` records one after `minVisibleMs` on the page.
   */
  readonly withoutObserver?: 'never' | 'mounted';
}

/**
 * A placement slot: decides, renders the chosen offer with `render`, and records an `impression` only
 * when the shopper could actually see it (by default ≥ 50% of the slot on screen for ≥ 1 s without
 * interruption), once per decision and offer. `helpers` record clicks, conversions and dismissals with
 * the decision id. The slot is a `<div data-placement data-offer-id>`; other div props pass through.
 *
 * @example
 * <Offer placement="home-hero" fallback={<HeroSkeleton />} render={(offer, { click }) => (
 *   <a href={String(offer.creative.href)} onClick={click}>{String(offer.creative.title)}</a>
 * )} />
 */
export function Offer({
  placement,
  context,
  render,
  fallback = null,
  index = 0,
  threshold = DEFAULT_VISIBILITY.threshold,
  minVisibleMs = DEFAULT_VISIBILITY.minVisibleMs,
  withoutObserver = DEFAULT_VISIBILITY.withoutObserver,
  ...divProps
}: OfferProps): ReactNode {
  const decisions = useDecisionsFor('<Offer>');
  const { offers, decisionId, status } = useNextBestOffer(placement, context);
  const offer = decisionId === undefined ? undefined : offers[index];
  const offerId = offer?.offerId;
  const [element, setElement] = useState<HTMLDivElement | null>(null);
  const seen = useRef(new Set<string>());

  const helpers = useMemo<OfferHelpers | undefined>(() => {
    if (decisionId === undefined || offerId === undefined) return undefined;
    const record = (type: OutcomeType, value?: number) =>
      decisions.recordOutcome({ decisionId, placementId: placement, offerId, type, ...(value === undefined ? {} : { value }) });
    return {
      decisionId,
      placement,
      click: () => record('click'),
      convert: (value?: number) => record('convert', value),
      dismiss: () => record('dismiss'),
    };
  }, [decisions, decisionId, placement, offerId]);

  useEffect(() => {
    if (element === null || decisionId === undefined || offerId === undefined) return;
    const shown = `${decisionId}\u0000${offerId}`;
    if (seen.current.has(shown)) return;
    return watchVisibility(element, { threshold, minVisibleMs, withoutObserver }, () => {
      seen.current.add(shown);
      decisions.recordOutcome({ decisionId, placementId: placement, offerId, type: 'impression' });
    });
  }, [element, decisions, decisionId, placement, offerId, threshold, minVisibleMs, withoutObserver]);

  return (
    <div {...divProps} ref={setElement} data-placement={placement} data-status={status} data-offer-id={offerId}>
      {offer !== undefined && helpers !== undefined ? render(offer, helpers) : fallback}
    </div>
  );
}
