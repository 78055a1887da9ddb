import type { EventType, RetailEvents } from '@tailor/core';
import { createNodePlatform } from '../node-platform';
import { createCallBuilder } from './calls';
import { createDelivery } from './delivery';
import { createMemoryPipeline, type Pipeline } from './memory-pipeline';
import { resolveOptions } from './options';
import { createSpoolPipeline } from './spool-pipeline';
import type { CallResult, DeliveryProblem, EventMap, SpooledTailorNode, SpoolOptions, TailorNode, TailorNodeOptions, WaitOptions } from './types';
import { createWireEncoding } from './wire';

/**
 * Creates the server client. Every call names its person (`userId` and/or `anonymousId`), so one client
 * serves any number of concurrent requests and shoppers. Calls never throw: a mistake in a call comes back
 * as `{ ok: false, reason, message }`; delivery problems go to `onError` and the logger. Only wrong options
 * throw, here, as a `TailorError` ('invalid_options').
 *
 * Memory mode (default): calls return a {@link CallResult} at once; events are batched (flushAt / bytes /
 * flushInterval) and sent with retries. Serverless: `await tailor.close()` (or pass `waitUntil`) before
 * the function returns. With `spool: { dir }`, each call returns a promise that resolves once the event is
 * fsynced to a local LMDB spool, and a forwarder sends the spool in order, through outages of any length.
 *
 * @example
 * const tailor = createTailorNode({ secretKey: process.env.TAILOR_SECRET_KEY, endpoint: 'https://t.shop.example' });
 * tailor.track({ userId: 'u-42', event: 'Order Completed', properties: { order_id: 'o-1', total: 42.5, currency: 'EUR' } });
 * await tailor.close();
 */
export function createTailorNode<Events extends EventMap = RetailEvents>(options: TailorNodeOptions & { readonly spool: SpoolOptions }): SpooledTailorNode<Events>;
export function createTailorNode<Events extends EventMap = RetailEvents>(options: TailorNodeOptions & { readonly spool?: undefined }): TailorNode<Events>;
/** When whether to spool is only known at run time (config): narrow by `client.stats().mode`. */
export function createTailorNode<Events extends EventMap = RetailEvents>(options: TailorNodeOptions): TailorNode<Events> | SpooledTailorNode<Events>;
export function createTailorNode(options: TailorNodeOptions): TailorNode | SpooledTailorNode {
  const resolved = resolveOptions(options);
  const platform = createNodePlatform(options.platform);
  const { logger } = platform;
  const encoding = createWireEncoding(resolved.encoding);
  const build = createCallBuilder(platform, encoding, resolved.maxBatchBytes);
  const report = (problem: DeliveryProblem) => {
    try {
      resolved.onError?.(problem);
    } catch (error) {
      logger.warn({ error }, 'tailor: onError threw');
    }
  };
  const delivery = createDelivery(platform, resolved, encoding, report);
  const spooled = resolved.spool !== undefined;
  const pipeline: Pipeline<CallResult | Promise<CallResult>> = spooled
    ? createSpoolPipeline(platform, resolved, encoding, delivery, report)
    : createMemoryPipeline(platform, resolved, encoding, delivery);
  // No exit hook: while events wait, the flushInterval timer or a request keeps Node's event loop alive,
  // so a script that ends without close() still sends them (a hook per client would also pile up listeners).

  function call(type: EventType, input: unknown): CallResult | Promise<CallResult> {
    const built = build(type, input);
    if (!built.ok) {
      logger.warn({ reason: built.reason }, `tailor: ${built.message}`);
      const refusal: CallResult = { ok: false, reason: built.reason, message: built.message };
      return spooled ? Promise.resolve(refusal) : refusal;
    }
    return pipeline.take(built);
  }

  return {
    track: (input: unknown) => call('track', input),
    identify: (input: unknown) => call('identify', input),
    page: (input: unknown) => call('page', input),
    group: (input: unknown) => call('group', input),
    alias: (input: unknown) => call('alias', input),
    flush: (wait) => pipeline.flush(wait),
    close: (wait?: WaitOptions) => pipeline.close(wait),
    lag: () => pipeline.lag(),
    stats: () => pipeline.stats(),
  } as TailorNode | SpooledTailorNode;
}
