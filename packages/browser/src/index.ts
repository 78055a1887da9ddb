export { createTailor, type EventMap, type TailorClient, type TailorOptions, type TailorSnapshot } from './client';
export { createBrowserPlatform } from './browser-platform';
export { PURPOSES, type ConsentOptions, type ConsentState, type Purpose } from './consent';
export type { IdentityOptions } from './identity';
export type { QueueLimits } from './queue';
export { JSON_ENCODER, type BodyEncoder } from './sender';
