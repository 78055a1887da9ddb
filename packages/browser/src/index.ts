export { createTailor, type EventMap, type TailorClient, type TailorOptions } from './client';
export { createBrowserPlatform } from './browser-platform';
