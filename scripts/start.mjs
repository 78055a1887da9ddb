#!/usr/bin/env node
// `npm start`: the main job. Runs the collector on its embedded LMDB store with the example config
// (examples/collector/tailor.config.json), and says how to send it an event. The demo storefront
// (examples/storefront) joins this command when it lands.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = `${root}packages/node/dist/cli.js`;
const config = `${root}examples/collector/tailor.config.json`;
const port = process.env.PORT ?? '8787';

const collector = spawn(process.execPath, [cli, 'collector', '--config', config, '--port', port], { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
collector.stderr.setEncoding('utf8');
collector.stderr.on('data', (chunk) => {
  process.stderr.write(chunk);
  const match = /listening on (http:\/\/\S+)/.exec(chunk);
  if (match) {
    const url = match[1];
    process.stdout.write(`
  Tailor collector   ${url}   (data in .tailor-data/, metrics at ${url}/metrics)

  Send it an event:
    curl -s ${url}/v1/track -u wk_demo_web_0123456789: -H 'content-type: application/json' \\
      -d '{"event":"Product Viewed","anonymousId":"a-1","messageId":"demo-1","properties":{"product_id":"p-1","price":19.99,"currency":"EUR"}}'
  Read it back:
    node packages/node/dist/cli.js export --data-dir .tailor-data

  Coming next: the demo storefront (React + @tailor/browser) on http://localhost:5173.
  Ctrl-C stops the collector gracefully.
`);
  }
});
const stop = (signal) => collector.kill(signal);
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
collector.on('exit', (code) => process.exit(code ?? 0));
