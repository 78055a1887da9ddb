import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/msgpack.ts', 'src/decisions.ts', 'src/onnx.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { composite: false } },
  target: 'es2022',
  sourcemap: true,
  clean: true,
  silent: true,
  treeshake: true,
});
