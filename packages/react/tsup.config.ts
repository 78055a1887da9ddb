import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { composite: false } },
  target: 'es2022',
  sourcemap: true,
  clean: true,
  silent: true,
  // Bundling drops the per-file 'use client' directives, and every export here is a hook or a client component:
  // React Server Components bundlers need the directive on the entry. No `treeshake` option: its Rollup pass
  // strips banners too (esbuild already drops unused code).
  banner: { js: "'use client';" },
});
