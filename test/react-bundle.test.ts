import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, measureBundle, packagesIn } from './bundle';

/**
 * `@tailor/react` is a thin adapter: its own code must stay small (the client and the decisions are paid
 * for by `@tailor/browser`), it must never drag onnxruntime into an app, and its build must keep the
 * 'use client' directive that React Server Components bundlers look for.
 */
const REACT_OWN_BYTES = 2.5 * 1024;
const PEERS = ['react', 'react-dom', '@tailor/browser', '@tailor/core'];
const REACT_SRC = join(ROOT, 'packages/react/src');

describe('@tailor/react bundle', () => {
  it(`its own code stays within ${REACT_OWN_BYTES} bytes min+gzip`, async () => {
    const report = await measureBundle(`export * from '@tailor/react';`, { external: PEERS });
    expect(report.code).toContain('IntersectionObserver'); // the whole package really bundled
    expect(report.inputs.every((path) => path.startsWith('packages/react/src/'))).toBe(true);
    expect(report.gzipped).toBeLessThanOrEqual(REACT_OWN_BYTES);
  });

  it('brings no onnxruntime into an app, even bundled with the browser client and its decisions', async () => {
    const report = await measureBundle(`export * from '@tailor/react'; export { createTailor } from '@tailor/browser';`, {
      external: ['react', 'react-dom'],
    });
    expect(report.code).toContain('/v1/batch'); // the client really bundled
    expect(packagesIn(report).filter((name) => name.startsWith('onnxruntime'))).toEqual([]);
    expect(report.code).not.toMatch(/onnxruntime|InferenceSession/);
  });

  it('marks every source file that uses React as a client module', () => {
    const sources = readdirSync(REACT_SRC).filter((name) => /\.tsx?$/.test(name) && !name.includes('.test.'));
    const usingReact = sources.filter((name) => /from 'react'/.test(readFileSync(join(REACT_SRC, name), 'utf8')));
    expect(usingReact.length).toBeGreaterThanOrEqual(6);
    for (const name of usingReact) expect(readFileSync(join(REACT_SRC, name), 'utf8').startsWith("'use client';\n"), name).toBe(true);
  });

  describe('the published build', () => {
    const outDir = mkdtempSync(join(tmpdir(), 'tailor-react-build-'));
    afterAll(() => rmSync(outDir, { recursive: true, force: true }));

    it("starts both formats with the 'use client' directive (bundling drops the per-file ones)", async () => {
      const { build } = await import('tsup');
      const { default: config } = await import('../packages/react/tsup.config');
      await build({
        ...(config as object),
        entry: [join(REACT_SRC, 'index.ts')],
        tsconfig: join(ROOT, 'packages/react/tsconfig.json'),
        // What tsup externalizes from packages/react/package.json when run there.
        external: PEERS,
        outDir,
        dts: false,
        sourcemap: false,
      });
      for (const file of ['index.js', 'index.cjs']) {
        expect(readFileSync(join(outDir, file), 'utf8').split('\n')[0], file).toBe("'use client';");
      }
    });
  });
});
