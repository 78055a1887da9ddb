import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/cli.ts'],
  format: ['esm', 'cjs'],
  dts: { entry: 'src/index.ts', compilerOptions: { composite: false } },
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  clean: true,
  silent: true,
  treeshake: true,
});
