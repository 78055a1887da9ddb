import { createServer } from 'node:http';

/**
 * The baseline for collector benchmarks: a bare node:http server that only reads each body and
 * JSON.parses it, answering 200. Anything the collector adds (auth, validation, dedup, fsync) is
 * measured against this, on the same machine, in the same run.
 */
const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"success":true}');
    } catch {
      res.writeHead(400);
      res.end();
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stderr.write(`listening on http://127.0.0.1:${address.port}\n`);
});
