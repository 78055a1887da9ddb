#!/usr/bin/env node
// `npm start`: the main job. Runs the collector on its embedded LMDB store with the example config
// (examples/collector/tailor.config.json: tracking plan, offers, model) and serves the demo storefront
// (examples/storefront, built by `npm run build`) against it, then prints the URLs.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}packages/node/dist/cli.js`;
const config = `${root}examples/collector/tailor.config.json`;
const port = process.env.PORT ?? '8787';
const storePort = Number(process.env.STOREFRONT_PORT ?? 5173);
const storefront = join(root, 'examples/storefront/dist');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.json': 'application/json', '.wasm': 'application/wasm' };

/** The built storefront: static files, with index.html for everything else (hash routes need no rewrites). */
function serveStorefront() {
  if (!existsSync(join(storefront, 'index.html'))) {
    process.stderr.write('[start] examples/storefront/dist is missing: run `npm run build` first\n');
    return undefined;
  }
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(storefront, path);
    if (!file.startsWith(storefront) || !existsSync(file) || statSync(file).isDirectory()) file = join(storefront, 'index.html');
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    response.end(readFileSync(file));
  });
  server.listen(storePort, '127.0.0.1');
  return server;
}

const collector = spawn(process.execPath, [cli, 'collector', '--config', config, '--port', port], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
let shop;
collector.stderr.setEncoding('utf8');
collector.stderr.on('data', (chunk) => {
  process.stderr.write(chunk);
  const match = /listening on (http:\/\/\S+)/.exec(chunk);
  if (!match) return;
  const url = match[1];
  shop = serveStorefront();
  process.stdout.write(`
  Tailor collector   ${url}   (data in .tailor-data/, metrics at ${url}/metrics)
  Demo storefront    ${shop ? `http://127.0.0.1:${storePort}` : '(not built)'}   browse a category, view products, add to cart: the offer slots follow

  Send an event yourself:
    curl -s ${url}/v1/track -u wk_demo_web_0123456789: -H 'content-type: application/json' \\
      -d '{"event":"Product Viewed","anonymousId":"a-1","messageId":"demo-1","properties":{"product_id":"p-1","category":"shoes","price":19.99}}'
  Ask for a decision:
    curl -s ${url}/v1/decide -u wk_demo_web_0123456789: -H 'content-type: application/json' \\
      -d '{"anonymousId":"a-1","placements":[{"id":"home-hero"}]}'
  Read the log back:
    node packages/node/dist/cli.js export --data-dir .tailor-data

  Ctrl-C stops both gracefully.
`);
});
const stop = (signal) => {
  shop?.close();
  collector.kill(signal);
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
collector.on('exit', (code) => process.exit(code ?? 0));
