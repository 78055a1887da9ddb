import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { APP_BUNDLE } from '../bench/esbuild-options';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface BundleReport {
  readonly minified: number;
  readonly gzipped: number;
  /** Source files that put at least one byte into the bundle, relative to the repo root. */
  readonly inputs: readonly string[];
  readonly code: string;
}

/**
 * Bundles a snippet the way an app would (esbuild, browser platform, minified, tree-shaken) and measures
 * it with gzip -9. Workspace packages resolve to their sources through the `tailor-source` condition.
 */
export async function measureBundle(entry: string, options: { external?: string[] } = {}): Promise<BundleReport> {
  const result = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts' },
    ...APP_BUNDLE,
    metafile: true,
    external: options.external ?? [],
  });
  const code = result.outputFiles[0]?.text ?? '';
  const outputs = Object.values((result.metafile as Metafile).outputs);
  const inputs = outputs.flatMap((output) => Object.entries(output.inputs).filter(([, use]) => use.bytesInOutput > 0).map(([path]) => path));
  return { minified: Buffer.byteLength(code), gzipped: gzipSync(code, { level: 9 }).length, inputs, code };
}

/** npm packages (by name) that contributed code to a bundle. */
export function packagesIn(report: BundleReport): string[] {
  const names = report.inputs.flatMap((path) => {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
    return match ? [match[1] as string] : [];
  });
  return [...new Set(names)].sort();
}
