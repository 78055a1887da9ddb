#!/usr/bin/env node
// `npm start`: the main job. Until the collector lands it shows what exists and what is coming.
import { createEventValidator, RETAIL_EVENTS } from '../packages/core/dist/index.js';

const validator = createEventValidator();
const sample = { type: 'track', event: 'Product Viewed', messageId: 'demo-1', anonymousId: 'a-1', properties: { product_id: 'p-1', price: 19.99, currency: 'EUR' } };
const result = validator.validate(sample);
console.log(`Tailor: the event contract is ready (${Object.keys(RETAIL_EVENTS).length} retail events). Sample event valid: ${result.ok}.`);
console.log('Coming next: the collector (tailor collector) and the demo storefront.');
