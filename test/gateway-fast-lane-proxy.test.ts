// The fast lane for proxied routes and response-cache hits (src/gateway/fast-lane.ts,
// fast-lane-proxy.ts, docs/gateway.md "Speed: the fast lane"): one server, a table of requests
// (cache hit, 304, Vary, HEAD, miss, plain proxying, streaming, upstream down, circuit open,
// retry) each sent with the lane off and then on; status, header fields (but Date, the request
// id and the per-second Age) and body must be the same, and the lane's own count says which
// path answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { loadConfig } from '../src/config/index.js';
import { createServer } from '../src/server/index.js';

interface Res { status: number; headers: IncomingHttpHeaders; body: Buffer }

function send(port: number, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function comparable(r: Res): { status: number; headers: Record<string, unknown>; body: string } {
  const { date: _d, 'x-request-id': _id, 'keep-alive': _k, connection: _c, age: _a, ...headers } = r.headers;
  return { status: r.status, headers, body: r.body.toString() };
}

/** The upstream: cacheable pages, a Vary page, an echo of what arrived, a stream, 204/304, and a 503 base for retries. */
async function upstream(t: import('node:test').TestContext) {
  const hits: Record<string, number> = {};
  const server = createHttpServer((req, res) => {
    const url = req.url ?? '/';
    hits[url] = (hits[url] ?? 0) + 1;
    if (url.startsWith('/bad/')) {
      res.writeHead(503, { 'content-type': 'text/plain' });
      return res.end('bad');
    }
    const path = url.replace(/^\/good/, '').replace(/\?.*$/, '');
    if (path === '/page') {
      if (req.headers['if-none-match'] === '"v1"') return res.writeHead(304, { etag: '"v1"' }).end();
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=600', etag: '"v1"', 'x-frame-options': 'SAMEORIGIN', 'cache-tag': 'pages' });
      return res.end('cached page');
    }
    if (path === '/vary') {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=600', vary: 'Accept-Language' });
      return res.end(`lang=${req.headers['accept-language'] ?? '-'}`);
    }
    if (path === '/bin') {
      res.writeHead(200, { 'cache-control': 'max-age=600' });
      return res.end(Buffer.from([1, 2, 3]));
    }
    if (path === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=600' });
      return res.end('compress me '.repeat(200));
    }
    if (path === '/nostore') {
      res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' });
      return res.end('fresh each time');
    }
    if (path.startsWith('/echo')) {
      const h = req.headers;
      res.writeHead(200, [['content-type', 'application/json'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2'], ['x-upstream', 'yes']].flat());
      return res.end(JSON.stringify({ method: req.method, url, xff: h['x-forwarded-for'], fwd: h.forwarded, proto: h['x-forwarded-proto'], host: h.host, from: h['x-from'], te: h.te ?? null }));
    }
    if (path === '/stream') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one,');
      setImmediate(() => res.end('two'));
      return;
    }
    if (path === '/empty') return res.writeHead(204, { 'x-empty': '1' }).end();
    if (path === '/etag') {
      if (req.headers['if-none-match'] === '"e"') return res.writeHead(304, { etag: '"e"' }).end();
      return res.writeHead(200, { etag: '"e"', 'content-type': 'text/plain' }).end('tagged');
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('no');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  // a port nobody listens on
  const probe = createHttpServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const dead = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, dead, hits };
}

test('fast lane: proxied requests and cache hits give the Fastify path\'s answer (hit, 304, Vary, HEAD, miss, streaming, 502, 503 circuit open, retry)', async (t) => {
  const up = await upstream(t);
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-gw-lane-proxy-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  writeFileSync(
    join(dataDir, 'strata.yaml'),
    `gateway:
  pools:
    - { name: app, upstreams: [{ url: "${up.url}" }] }
    - { name: down, upstreams: [{ url: "http://127.0.0.1:${up.dead}" }], maxFails: 0 }
    - { name: flaky, upstreams: [{ url: "http://127.0.0.1:${up.dead}" }], maxFails: 0, circuitBreaker: { enabled: true, window: 2, minRequests: 2, failureRatio: 0.5, openMs: 600000 } }
    - { name: retry, upstreams: [{ url: "${up.url}/bad" }, { url: "${up.url}/good" }], maxFails: 0 }
  routes:
    - { name: cached, prefix: /c, pool: app, stripPrefix: true, cache: true }
    - { name: zipped, prefix: /z, pool: app, stripPrefix: true, compress: true }
    - { name: zipped-cached, prefix: /zc, pool: app, stripPrefix: true, compress: true, cache: true }
    - { name: cached-down, prefix: /cd, pool: down, stripPrefix: true, cache: true, retries: 0 }
    - { name: plain, prefix: /p, pool: app, stripPrefix: true, requestHeaders: { set: { x-from: gw } }, responseHeaders: { remove: [x-upstream], add: { x-via: strata } } }
    - { name: down, prefix: /down, pool: down, stripPrefix: true, retries: 0 }
    - { name: flaky, prefix: /flaky, pool: flaky, stripPrefix: true, retries: 0 }
    - { name: retry, prefix: /retry, pool: retry, stripPrefix: true, retries: 1 }
`,
  );
  const { config } = loadConfig({ cwd: dataDir, env: {}, overrides: { dataDir, 'server.http.port': 0, 'server.https.enabled': false } });
  const server = await createServer(config, pino({ level: 'silent' }));
  await server.start();
  t.after(() => server.stop());
  const lane = server.edge.fastLane;
  assert.ok(lane, 'the lane is set for a gateway with proxy routes');
  let taken = 0;
  const counting = (req: Parameters<typeof lane>[0], res: Parameters<typeof lane>[1]) => lane(req, res) && ++taken > 0;
  const port = Number(new URL(server.edge.urls()[0].url).port);
  const both = async (path: string, headers: Record<string, string> = {}, method = 'GET') => {
    server.edge.setFastLane(undefined);
    const slow = await send(port, path, headers, method);
    server.edge.setFastLane(counting);
    const before = taken;
    const fast = await send(port, path, headers, method);
    return { slow, fast, viaLane: taken > before };
  };

  // Misses on a cached route (no entry yet): each path gets its own key, stored by the path that answers it.
  const misses: Array<[string, string, Record<string, string>, number, string]> = [
    ['GET', '/c/page?m=', {}, 200, 'MISS'],
    ['GET', '/c/vary?m=', { 'accept-language': 'en' }, 200, 'MISS'],
    ['GET', '/c/nostore?m=', {}, 200, 'MISS'],
    ['GET', '/c/page?c=', { 'if-none-match': '"v1"' }, 304, 'MISS'],
    ['HEAD', '/c/page?h=', {}, 200, 'BYPASS'],
    ['GET', '/cd/x?m=', {}, 502, 'MISS'],
  ];
  for (const [method, path, headers, status, xcache] of misses) {
    server.edge.setFastLane(undefined);
    const slow = await send(port, `${path}slow`, headers, method);
    server.edge.setFastLane(counting);
    const before = taken;
    const fast = await send(port, `${path}fast`, headers, method);
    const what = `miss ${method} ${path} ${JSON.stringify(headers)}`;
    assert.equal(taken, before + 1, `${what}: the lane answers`);
    assert.equal(fast.status, status, what);
    assert.equal(fast.headers['x-cache'], xcache, what);
    assert.deepEqual(comparable(fast), comparable(slow), what);
  }
  const stored = await both('/c/page?m=fast');
  assert.equal(stored.fast.headers['x-cache'], 'HIT', "the lane's miss was stored");

  // Prime the cache for the hits below.
  for (const [path, headers] of [['/c/page', {}], ['/c/vary', { 'accept-language': 'fr' }], ['/c/vary', { 'accept-language': 'de' }], ['/c/bin', {}], ['/zc/big', { 'accept-encoding': 'gzip' }]] as const) {
    assert.equal((await send(port, path, headers)).headers['x-cache'], 'MISS', `${path} primes the cache`);
  }

  // [method, path, headers, status, lane]
  const cases: Array<[string, string, Record<string, string>, number, boolean]> = [
    ['GET', '/c/page', {}, 200, true],
    ['HEAD', '/c/page', {}, 200, true],
    ['GET', '/c/page', { 'if-none-match': '"v1"' }, 304, true],
    ['GET', '/c/page', { 'if-none-match': 'W/"v1", "zz"' }, 304, true],
    ['GET', '/c/page', { 'if-none-match': '"other"' }, 200, true],
    ['GET', '/c/vary', { 'accept-language': 'fr' }, 200, true],
    ['GET', '/c/vary', { 'accept-language': 'de' }, 200, true],
    ['GET', '/c/bin', {}, 200, true],
    ['GET', '/c/page', { 'cache-control': 'no-cache' }, 200, false],
    ['GET', '/c/page', { authorization: 'Bearer x' }, 200, true],
    ['GET', '/c/page', { range: 'bytes=0-3' }, 200, true],
    ['GET', '/c/page', { 'cache-control': 'no-store' }, 200, true],
    ['GET', '/p/echo', { 'upload-metadata': 'filename dGVzdA==' }, 200, false],
    ['GET', '/c/nostore', {}, 200, true],
    ['GET', '/c/none', { 'cache-control': 'only-if-cached' }, 504, false],
    ['GET', '/z/big', { 'accept-encoding': 'gzip' }, 200, false], // compressing routes: the Fastify path
    ['GET', '/zc/big', { 'accept-encoding': 'gzip' }, 200, true], // ... but for fresh hits compressed by an earlier hit
    ['GET', '/p/echo?q=1', {}, 200, true],
    ['HEAD', '/p/echo', {}, 200, true],
    ['GET', '/p/stream', {}, 200, true],
    ['GET', '/p/empty', {}, 204, true],
    ['GET', '/p/etag', { 'if-none-match': '"e"' }, 304, true],
    ['GET', '/p/missing', {}, 404, true],
    ['GET', '/down/x', {}, 502, true],
    ['HEAD', '/down/x', {}, 502, true],
    ['GET', '/retry/echo', {}, 200, true],
    ['GET', '/retry/echo', {}, 200, true],
  ];
  for (const [method, path, headers, status, viaLaneExpected] of cases) {
    const { slow, fast, viaLane } = await both(path, headers, method);
    const what = `${method} ${path} ${JSON.stringify(headers)}`;
    assert.equal(viaLane, viaLaneExpected, `${what}: lane ${viaLaneExpected ? 'answers' : 'declines'}`);
    assert.equal(fast.status, status, what);
    assert.deepEqual(comparable(fast), comparable(slow), what);
    assert.equal(fast.headers['x-content-type-options'], 'nosniff', what);
    if (path.startsWith('/z')) assert.equal(fast.headers['content-encoding'], 'gzip', what);
    assert.match(String(fast.headers['x-request-id']), /^[0-9a-f-]{36}$/, what);
  }

  const hit = await send(port, '/c/page', { 'x-request-id': 'lane-hit-1' });
  assert.equal(hit.headers['x-cache'], 'HIT');
  assert.equal(hit.headers['x-request-id'], 'lane-hit-1');
  assert.equal(hit.headers['x-frame-options'], 'SAMEORIGIN', "the upstream's field replaces the security header, as reply.header does");
  assert.equal(hit.headers['cache-tag'], undefined, 'tag headers are stripped');
  assert.match(String(hit.headers.age), /^\d+$/);
  const echo = JSON.parse((await send(port, '/p/echo')).body.toString()) as Record<string, string>;
  assert.equal(echo.url, '/echo');
  assert.equal(echo.xff, '127.0.0.1');
  assert.equal(echo.from, 'gw', 'request header rules apply');
  assert.match(echo.fwd, /^for=127\.0\.0\.1;proto=http;host=/);
  const plain = await send(port, '/p/echo');
  assert.deepEqual(plain.headers['set-cookie'], ['a=1', 'b=2']);
  assert.equal(plain.headers['x-upstream'], undefined, 'response header rules apply');
  assert.equal(plain.headers['x-via'], 'strata');
  assert.ok((up.hits['/bad/echo'] ?? 0) >= 1 && (up.hits['/good/echo'] ?? 0) >= 4, `retries reached both upstreams: ${JSON.stringify(up.hits)}`);

  // The circuit: two failures open it (502, 502), then 503 with Retry-After on both paths.
  server.edge.setFastLane(counting);
  assert.equal((await send(port, '/flaky/x')).status, 502);
  assert.equal((await send(port, '/flaky/x')).status, 502);
  const open = await both('/flaky/x');
  assert.ok(open.viaLane);
  assert.equal(open.fast.status, 503);
  assert.match(String(open.fast.headers['retry-after']), /^\d+$/);
  const { 'retry-after': _ra, ...fastRest } = comparable(open.fast).headers;
  const { 'retry-after': _rb, ...slowRest } = comparable(open.slow).headers;
  assert.deepEqual({ ...comparable(open.fast), headers: fastRest }, { ...comparable(open.slow), headers: slowRest });

  // The lane counts what it answers: HIT results, gateway requests, and HTTP requests as `unmatched`.
  const metrics = (await send(port, '/metrics')).body.toString();
  assert.match(metrics, /strata_gateway_cache_results_total\{route="cached",result="HIT"\} (\d+)/);
  assert.ok(Number(/strata_gateway_requests_total\{route="plain",status="200"\} (\d+)/.exec(metrics)?.[1]) >= 6, 'gateway requests counted on both paths');
});
