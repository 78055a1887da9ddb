import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { APP_BUNDLE } from '../esbuild-options';
import { ROOT } from './pages';

export interface SplitBundleReport {
  /** The entry chunk and the chunks it imports statically: what a page downloads before the SDK runs. */
  readonly initialGzipped: number;
  readonly initialMinified: number;
  /** Every chunk, lazy (dynamic `import()`) ones included. */
  readonly totalGzipped: number;
  readonly chunks: number;
}

const ENTRY_NAME = 'bench-entry.ts';
const gzipped = (code: string) => gzipSync(code, { level: 9 }).length;

/**
 * Bundles an app snippet the way a storefront's bundler would (esbuild, browser platform, ESM, minified,
 * tree-shaken, code splitting on so an SDK's dynamic imports become lazy chunks) and measures each chunk
 * with gzip -9. Code an SDK fetches from its own CDN at run time is not in any chunk.
 */
export async function measureSplitBundle(entry: string): Promise<SplitBundleReport> {
  const result = await build({
    stdin: { contents: entry, resolveDir: ROOT, loader: 'ts', sourcefile: ENTRY_NAME },
    absWorkingDir: ROOT.replace(/\/$/, ''), // metafile paths are relative to it
    ...APP_BUNDLE,
    splitting: true,
    outdir: `${ROOT}.bench-bundle-out`, // never written: write is false
    metafile: true,
  });
  const code = new Map(result.outputFiles.map((file) => [file.path.slice(ROOT.length), file.text]));
  const outputs = (result.metafile as Metafile).outputs;
  // Lazy chunks carry an entryPoint too (their module); the app's own entry is the one built from stdin.
  const entryPath = Object.keys(outputs).find((path) => outputs[path]?.entryPoint === ENTRY_NAME && path.endsWith('.js'));
  if (!entryPath) throw new Error('esbuild produced no entry chunk');
  const initial = new Set<string>();
  const visit = (path: string) => {
    if (initial.has(path)) return;
    initial.add(path);
    for (const imported of outputs[path]?.imports ?? []) if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(entryPath);
  const chunks = Object.keys(outputs).filter((path) => path.endsWith('.js'));
  const text = (path: string) => {
    const found = code.get(path);
    if (found === undefined) throw new Error(`no output for ${path}`);
    return found;
  };
  return {
    initialGzipped: [...initial].reduce((sum, path) => sum + gzipped(text(path)), 0),
    initialMinified: [...initial].reduce((sum, path) => sum + Buffer.byteLength(text(path)), 0),
    totalGzipped: chunks.reduce((sum, path) => sum + gzipped(text(path)), 0),
    chunks: chunks.length,
  };
}
