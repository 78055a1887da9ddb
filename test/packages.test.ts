import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './bundle';

/**
 * The built packages, as a consumer installs them: `npm test` builds first, so these check the real
 * `dist/` through each package's `exports` map, in both module systems.
 */
const PACKAGES = {
  core: ['createEventValidator', 'defineTrackingPlan', 'trackingPlanToJsonSchema', 'RETAIL_EVENTS'],
  browser: ['createTailor'],
  node: ['createNodePlatform'],
  react: ['TailorProvider', 'useTailor'],
} as const;

function run(code: string, type: 'module' | 'commonjs'): string {
  return execFileSync(process.execPath, [`--input-type=${type}`, '-e', code], { cwd: ROOT, encoding: 'utf8' }).trim();
}

describe.each(Object.entries(PACKAGES))('@tailor/%s as published', (name, names) => {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'packages', name, 'package.json'), 'utf8'));

  it('declares exports with types first, ESM and CJS, and no side effects', () => {
    expect(manifest.sideEffects).toBe(false);
    const entry = manifest.exports['.'];
    for (const condition of ['import', 'require']) expect(Object.keys(entry[condition])[0]).toBe('types');
    expect(entry.import.default).toBe('./dist/index.js');
    expect(entry.require.default).toBe('./dist/index.cjs');
  });

  it('loads through import()', () => {
    const keys = run(`const m = await import('@tailor/${name}'); console.log(JSON.stringify(Object.keys(m)))`, 'module');
    expect(JSON.parse(keys)).toEqual(expect.arrayContaining([...names]));
  });

  it('loads through require()', () => {
    const keys = run(`console.log(JSON.stringify(Object.keys(require('@tailor/${name}'))))`, 'commonjs');
    expect(JSON.parse(keys)).toEqual(expect.arrayContaining([...names]));
  });
});
