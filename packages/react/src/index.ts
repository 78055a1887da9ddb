export { TailorProvider, useDecisions, useTailor, type TailorProviderProps } from './provider';
export { useIdentify, useTrack } from './use-track';
export { useConsent, type SetConsent } from './use-consent';
export { useExperiment } from './use-experiment';
export { useNextBestOffer, type NextBestOffer, type NextBestOfferOptions, type PlacementContext } from './use-next-best-offer';
export { Offer, type OfferHelpers, type OfferProps } from './offer';
export { DEFAULT_VISIBILITY, type VisibilityRule } from './watch-visibility';
export type { OfferItem, OutcomeInput, PlacementState } from '@tailor/browser/decisions';
