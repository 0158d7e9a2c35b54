// Upstream for the proxy scenario: a small JSON body; `/hit*` is cacheable for 60 s,
// everything else `no-store`. Keep-alive longer than any proxy's idle upstream timeout.
import { createServer } from 'node:http';
const body = JSON.stringify({ id: 1, name: 'strata', tags: ['a', 'b', 'c'], ok: true });
const server = createServer((req, res) => {
  const hit = req.url.startsWith('/hit');
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': hit ? 'public, max-age=60' : 'no-store' });
  res.end(body);
});
server.keepAliveTimeout = 120_000;
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
