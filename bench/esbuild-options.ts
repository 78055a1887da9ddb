import type { BuildOptions } from 'esbuild';

/**
 * How a storefront's bundler builds app code that imports Tailor or a peer SDK: esbuild, ESM for browsers,
 * minified and tree-shaken, workspace packages from their TypeScript sources (`tailor-source`). Used by
 * the bundle-size test, the browser benchmarks and the Chromium e2e page, so they all measure one build.
 */
export const APP_BUNDLE: BuildOptions & { write: false } = {
  bundle: true,
  minify: true,
  write: false,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  conditions: ['tailor-source'],
  logLevel: 'silent',
};
