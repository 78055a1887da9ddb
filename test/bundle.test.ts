import { describe, expect, it } from 'vitest';
import { BUDGETS } from '../bench/budgets';
import { measureBundle, packagesIn } from './bundle';

/**
 * Byte budgets are part of the product promise (DESIGN.md): a storefront pays for every kilobyte.
 * These build the entries the way an app's bundler would and fail past the budget.
 */
const BROWSER_ENTRY = `
import { createTailor } from '@tailor/browser';
const tailor = createTailor({ writeKey: 'wk_web', endpoint: 'https://t.shop.example' });
tailor.track('Product Viewed', { product_id: 'p-1', price: 10 });
export { tailor };
`;
const PLATFORM_CODE = ['idb', 'onnxruntime-web', 'onnxruntime-node', 'onnxruntime-common', 'react', 'react-dom'];

describe('bundle budgets', () => {
  it(`browser entry (core + browser) stays within ${BUDGETS.browserEntryBytes} bytes min+gzip`, async () => {
    const report = await measureBundle(BROWSER_ENTRY);
    expect(report.gzipped).toBeGreaterThan(500); // the entry really bundled the client
    expect(report.code).toContain('/v1/batch');
    expect(report.gzipped).toBeLessThanOrEqual(BUDGETS.browserEntryBytes);
  });

  it('browser entry ships no zod: validation in the browser is a lazy development aid', async () => {
    expect(packagesIn(await measureBundle(BROWSER_ENTRY))).not.toContain('zod');
  });

  it('core, bundled whole, contains no onnxruntime, idb or react code', async () => {
    const report = await measureBundle(`export * from '@tailor/core';`);
    expect(packagesIn(report)).toEqual(['zod']);
    for (const name of PLATFORM_CODE) expect(report.code).not.toMatch(new RegExp(`node_modules/${name}/`));
  });

  it('the detector sees platform code when it is there (so the checks above can fail)', async () => {
    const report = await measureBundle(`import { openDB } from 'idb'; export const open = () => openDB('x', 1);`);
    expect(packagesIn(report)).toEqual(['idb']);
  });
});
