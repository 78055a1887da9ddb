import { pack } from 'msgpackr';
import type { BodyEncoder } from './sender';

/**
 * Sends batches as msgpack to the collector's native `/v1/events`. On its own subpath because msgpackr
 * adds ~12 KB to a bundle; after gzip, JSON batches are about the same size, so use it only where the app
 * already ships msgpackr.
 *
 * @example
 * import { msgpackEncoder } from '@tailor/browser/msgpack';
 * createTailor({ writeKey, encoder: msgpackEncoder });
 */
export const msgpackEncoder: BodyEncoder = {
  path: '/v1/events',
  contentType: 'application/msgpack',
  encode: (batch, sentAt, writeKey) => pack({ batch, sentAt, writeKey }),
};
