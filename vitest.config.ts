import { fileURLToPath } from 'node:url';
import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';
import { CHROMIUM_ARGS, CHROMIUM_PATH, chromiumGap, servicesRequired } from './packages/test-utils/src/services.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// Tests run against the TypeScript sources, so `npm test` never tests a stale build.
const alias = [
  { find: /^@tailor\/core$/, replacement: here('packages/core/src/index.ts') },
  { find: /^@tailor\/browser$/, replacement: here('packages/browser/src/index.ts') },
  { find: /^@tailor\/browser\/msgpack$/, replacement: here('packages/browser/src/msgpack.ts') },
  { find: /^@tailor\/browser\/decisions$/, replacement: here('packages/browser/src/decisions.ts') },
  { find: /^@tailor\/browser\/onnx$/, replacement: here('packages/browser/src/onnx.ts') },
  { find: /^@tailor\/node$/, replacement: here('packages/node/src/index.ts') },
  { find: /^@tailor\/react$/, replacement: here('packages/react/src/index.ts') },
  { find: /^@tailor\/test-utils$/, replacement: here('packages/test-utils/src/index.ts') },
];

const chromium = chromiumGap();
if (chromium !== undefined && servicesRequired()) {
  throw new Error(`[tailor] TAILOR_REQUIRE_SERVICES=1 but the browser-real suites cannot run: ${chromium}`);
}
if (chromium !== undefined) {
  console.warn(`[tailor] Skipping project browser-real: ${chromium}`);
}

async function browserReal(): Promise<TestProjectInlineConfiguration[]> {
  if (chromium !== undefined) return [];
  const { playwright } = await import('@vitest/browser-playwright');
  return [
    {
      resolve: { alias },
      test: {
        name: 'browser-real',
        include: ['packages/*/test/**/*.browser.test.ts'],
        browser: {
          enabled: true,
          headless: true,
          screenshotFailures: false,
          provider: playwright({
            launchOptions: { executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] },
          }),
          instances: [{ browser: 'chromium' }],
        },
      },
    },
  ];
}

const shared = { resolve: { alias } };
const FAST_CHECK_SEED = 'packages/test-utils/src/fast-check-seed.ts';

export default defineConfig({
  test: {
    globalSetup: ['packages/test-utils/src/global-setup.ts'],
    projects: [
      { ...shared, test: { name: 'core', environment: 'node', setupFiles: [FAST_CHECK_SEED], include: ['packages/core/src/**/*.test.ts', 'packages/core/test/**/*.test.ts'] } },
      {
        ...shared,
        test: {
          name: 'browser',
          environment: 'happy-dom',
          setupFiles: ['packages/test-utils/src/fresh-indexeddb.ts', FAST_CHECK_SEED],
          include: ['packages/browser/src/**/*.test.ts', 'packages/browser/test/**/*.dom.test.ts'],
        },
      },
      ...(await browserReal()),
      {
        ...shared,
        test: {
          name: 'node',
          environment: 'node',
          setupFiles: [FAST_CHECK_SEED],
          // *.e2e.test.ts drive Debian's Chromium from Node (playwright) against a real collector.
          include: ['packages/node/src/**/*.test.ts', 'packages/node/test/**/*.test.ts', 'packages/*/test/**/*.e2e.test.ts', 'examples/*/test/**/*.e2e.test.ts'],
          testTimeout: 30_000,
        },
      },
      { ...shared, test: { name: 'react', environment: 'happy-dom', setupFiles: ['packages/test-utils/src/fresh-indexeddb.ts'], include: ['packages/react/src/**/*.test.{ts,tsx}'] } },
      { ...shared, test: { name: 'repo', environment: 'node', include: ['test/**/*.test.ts'], testTimeout: 60_000 } },
    ],
  },
});
