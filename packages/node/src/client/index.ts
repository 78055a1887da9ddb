export { createTailorNode } from './client';
export { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_MS, signBody, verifySignature, type SignatureCheck } from './signature';
export {
  ANONYMOUS_ID_COOKIE,
  anonymousIdFrom,
  bindRequest,
  tailorMiddleware,
  withTailor,
  type RequestTailor,
  type RequestWithTailor,
} from './bridge';
export { parseRetryAfter } from './backoff';
export type {
  AliasCall,
  CallRefusalReason,
  CallResult,
  ClientStats,
  DeliveryProblem,
  EventMap,
  GroupCall,
  IdentifyCall,
  PageCall,
  Person,
  RetryOptions,
  SpooledTailorNode,
  SpoolOptions,
  TailorNode,
  TailorNodeCalls,
  TailorNodeOptions,
  TrackCall,
  UndeliveredEvents,
  WaitOptions,
} from './types';
