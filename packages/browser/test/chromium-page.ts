import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { APP_BUNDLE } from '../../../bench/esbuild-options';
import { chromium, type Browser } from 'playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../test-utils/src/services';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The page script: a Tailor client configured from the page's query string, exposed as `window.tailor`. */
const ENTRY = `
import { createTailor } from '@tailor/browser';
const q = new URLSearchParams(location.search);
window.tailor = createTailor({
  writeKey: q.get('key'),
  endpoint: q.get('endpoint'),
  flushInterval: Number(q.get('interval') ?? 200),
  ...(q.get('deny') ? { consent: { mode: 'default-deny', tcf: false } } : {}),
});
`;

/** Serves a blank HTML page that loads the bundled SDK, on its own origin (the collector is another). */
export async function startSdkPage(): Promise<{ url: string; close(): Promise<void> }> {
  const bundled = await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts' },
    ...APP_BUNDLE,
  });
  const script = bundled.outputFiles[0]?.text ?? '';
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/sdk.js')) {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
    } else {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<!doctype html><title>shop</title><script type="module" src="/sdk.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Debian's Chromium, headless, with nothing that reaches outside this machine. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
  });
}
