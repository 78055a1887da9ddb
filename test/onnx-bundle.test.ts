import { describe, expect, it } from 'vitest';
import { measureBundle, packagesIn } from './bundle';

/**
 * onnxruntime-web is ~14 MB of wasm: a storefront must never download it unless a model needs it. These
 * bundle the entries the way an app would and check where onnxruntime can appear.
 */
const BROWSER_ENTRY = `
import { createTailor } from '@tailor/browser';
const tailor = createTailor({ writeKey: 'wk_web', endpoint: 'https://t.shop.example' });
tailor.track('Product Viewed', { product_id: 'p-1', price: 10 });
export { tailor };
`;
const ONNX_SUBPATH = `import { createScorer } from '@tailor/browser/onnx'; export { createScorer };`;
const OWN_EVALUATORS = `import { loadModel } from '@tailor/core'; export { loadModel };`;
/**
 * Gzipped ceiling for Tailor's ONNX reader and linear/tree evaluators (9,937 B + 0.5 KB): what `@tailor/browser/onnx`
 * and Node load. On-device decisions no longer ship it; they run the compact form (test/decisions-bundle.test.ts).
 */
const EVALUATORS_BYTES = 10_450;

describe('onnxruntime stays out of bundles that do not ask for it', () => {
  it('the browser entry contains no onnxruntime code or import', async () => {
    const report = await measureBundle(BROWSER_ENTRY);
    expect(report.code).toContain('/v1/batch');
    expect(packagesIn(report).filter((name) => name.startsWith('onnxruntime'))).toEqual([]);
    expect(report.code).not.toMatch(/onnxruntime/);
  });

  it('@tailor/browser/onnx imports onnxruntime-web/wasm only dynamically, on first use', async () => {
    const report = await measureBundle(ONNX_SUBPATH, { external: ['onnxruntime-web', 'onnxruntime-web/*'] });
    expect(report.code).toContain('import("onnxruntime-web/wasm")');
    expect(report.code).not.toMatch(/(^|[;}\n])import[^(]*["']onnxruntime/);
    expect(report.code.match(/onnxruntime-web/g)).toHaveLength(1);
    expect(packagesIn(report)).toEqual([]);
  });

  it(`Tailor's own evaluators need neither onnxruntime nor zod, within ${EVALUATORS_BYTES} bytes min+gzip`, async () => {
    const report = await measureBundle(OWN_EVALUATORS);
    expect(report.code).toContain('TreeEnsembleClassifier');
    expect(packagesIn(report)).toEqual([]);
    expect(report.gzipped).toBeLessThanOrEqual(EVALUATORS_BYTES);
  });
});
