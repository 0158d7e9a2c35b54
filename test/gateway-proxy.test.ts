// Reverse proxy against real upstreams on 127.0.0.1: headers, balancing, failover, health,
// circuit breaking, streaming with bounded memory, WebSocket and HTTP/2 clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import { WebSocket, WebSocketServer } from 'ws';
import { createProxy, gatewayRoutes, UpstreamPool, type ProxyOptions, type UpstreamPoolOptions } from '../src/gateway/index.js';
import { startUpstream, type TestUpstream, wsGreetingAndEcho } from './gateway-helpers.js';

const run = promisify(execFile);

async function gateway(
  poolOpts: Omit<UpstreamPoolOptions, 'name'>,
  proxyOpts: Omit<ProxyOptions, 'pool'> = {},
  fastifyOpts: Record<string, unknown> = {},
): Promise<{ app: FastifyInstance; base: string; pool: UpstreamPool }> {
  const pool = new UpstreamPool({ name: 'p', ...poolOpts });
  const proxy = createProxy({ pool, ...proxyOpts });
  const app = Fastify(fastifyOpts);
  app.register(gatewayRoutes({ routes: [{ match: { prefix: '/app' }, target: { type: 'proxy', proxy } }] }));
  app.get('/own', async () => 'own');
  app.addHook('onClose', () => pool.stop());
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base, pool };
}

test('forwards method, path, query and headers; rewrites; strips hop-by-hop', async (t) => {
  const up = await startUpstream();
  const { app, base } = await gateway(
    { upstreams: [{ url: `${up.url}/base` }] },
    {
      rewrite: { stripPrefix: true, pattern: '^/old/', replacement: '/new/' },
      requestHeaders: { set: { 'x-set': 'yes' }, add: { 'x-add': 'b' }, remove: ['x-remove'] },
      responseHeaders: { remove: ['x-secret'], set: { 'x-served-by': 'strata' } },
    },
  );
  t.after(async () => {
    await app.close();
    await up.close();
  });
  const res = await request(`${base}/app/old/thing?q=1`, {
    headers: { 'x-remove': '1', 'x-add': 'a', 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6', host: 'site.test' },
  });
  assert.equal(res.statusCode, 200);
  const got = (await res.body.json()) as { url: string; headers: Record<string, string> };
  assert.equal(got.url, '/base/new/thing?q=1');
  assert.equal(got.headers['x-set'], 'yes');
  assert.equal(got.headers['x-add'], 'a, b');
  assert.equal(got.headers['x-remove'], undefined);
  assert.equal(got.headers.host, 'site.test');
  assert.equal(got.headers['x-forwarded-for'], '127.0.0.1', 'untrusted peer: its X-Forwarded-For is replaced');
  assert.equal(got.headers['x-forwarded-proto'], 'http');
  assert.equal(got.headers['x-forwarded-host'], 'site.test');
  assert.equal(got.headers.forwarded, 'for=127.0.0.1;proto=http;host=site.test');
  assert.equal(res.headers['x-secret'], undefined);
  assert.equal(res.headers['x-served-by'], 'strata');
  assert.notEqual(res.headers['keep-alive'], 'timeout=5', "the upstream's hop-by-hop Keep-Alive is not relayed");
  assert.equal((await request(`${base}/own`)).statusCode, 200, 'non-gateway routes still reach Fastify');
  const { stdout } = await run('curl', ['-s', '-H', 'Connection: x-hop', '-H', 'x-hop: secret', '-H', 'x-keep: 1', `${base}/app/c`]);
  const viaCurl = JSON.parse(stdout) as { headers: Record<string, string> };
  assert.equal(viaCurl.headers['x-hop'], undefined, 'headers named in Connection are hop-by-hop');
  assert.equal(viaCurl.headers['x-keep'], '1');
});

test('trusted proxies keep the forwarded chain', async (t) => {
  const up = await startUpstream();
  const { app, base } = await gateway({ upstreams: [{ url: up.url }] }, { trustedProxies: ['loopback'] });
  t.after(async () => {
    await app.close();
    await up.close();
  });
  const res = await request(`${base}/app/x`, { headers: { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', forwarded: 'for=203.0.113.9;proto=https' } });
  const got = (await res.body.json()) as { headers: Record<string, string> };
  assert.equal(got.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
  assert.equal(got.headers['x-forwarded-proto'], 'https');
  assert.equal(got.headers.forwarded, `for=203.0.113.9;proto=https, for=127.0.0.1;proto=http;host=${new URL(base).host.replace(/:.*/, '')}:${new URL(base).port}`.replace(/host=([^;,]+:\d+)/, 'host="$1"'));
});

test('balancing distribution per policy against real upstreams', async (t) => {
  const ups = await Promise.all([startUpstream(), startUpstream(), startUpstream()]);
  t.after(() => Promise.all(ups.map((u) => u.close())));
  const hitsOf = () => ups.map((u) => u.hits);
  const reset = () => ups.forEach((u) => (u.hits = 0));

  const rr = await gateway({ upstreams: ups.map((u) => ({ url: u.url })), balancer: 'round-robin' });
  for (let i = 0; i < 30; i++) await (await request(`${rr.base}/app/`)).body.dump();
  assert.deepEqual(hitsOf(), [10, 10, 10]);
  await rr.app.close();

  reset();
  const wrr = await gateway({ upstreams: ups.map((u, i) => ({ url: u.url, weight: [3, 2, 1][i] })), balancer: 'weighted-round-robin' });
  for (let i = 0; i < 60; i++) await (await request(`${wrr.base}/app/`)).body.dump();
  assert.deepEqual(hitsOf(), [30, 20, 10]);
  await wrr.app.close();

  reset();
  const ch = await gateway({ upstreams: ups.map((u) => ({ url: u.url })), balancer: 'consistent-hash', hashOn: 'cookie:sid' });
  const owner = new Map<string, number>();
  for (let i = 0; i < 40; i++) {
    const sid = `user-${i % 8}`;
    const r = await request(`${ch.base}/app/`, { headers: { cookie: `a=1; sid=${sid}` } });
    const port = Number(r.headers['x-upstream']);
    await r.body.dump();
    if (owner.has(sid)) assert.equal(port, owner.get(sid), 'sticky session');
    owner.set(sid, port);
  }
  assert.ok(new Set(owner.values()).size >= 2, 'keys spread over upstreams');
  await ch.app.close();

  reset();
  // Least connections: one upstream holds slow requests, new ones go to the others.
  const slow = await startUpstream((req, res) => setTimeout(() => res.end('slow'), 300));
  const fast = await startUpstream();
  t.after(() => Promise.all([slow.close(), fast.close()]));
  const lc = await gateway({ upstreams: [{ url: slow.url }, { url: fast.url }], balancer: 'least-connections' });
  const pending = [request(`${lc.base}/app/`), request(`${lc.base}/app/`)];
  await new Promise((r) => setTimeout(r, 50));
  for (let i = 0; i < 10; i++) await (await request(`${lc.base}/app/`)).body.dump();
  await Promise.all(pending.map(async (p) => (await p).body.dump()));
  assert.equal(slow.hits, 1, 'only one request was sent to the busy upstream');
  assert.equal(fast.hits, 11);
  await lc.app.close();

  const r2 = await gateway({ upstreams: ups.map((u) => ({ url: u.url })), balancer: 'random-two-choices' });
  reset();
  for (let i = 0; i < 60; i++) await (await request(`${r2.base}/app/`)).body.dump();
  assert.ok(hitsOf().every((h) => h > 5), String(hitsOf()));
  await r2.app.close();
});

test('an upstream killed mid-test is ejected and idempotent requests do not fail', async (t) => {
  const ups = await Promise.all([startUpstream(), startUpstream(), startUpstream()]);
  const { app, base, pool } = await gateway({ upstreams: ups.map((u) => ({ url: u.url })), maxFails: 1, cooldownMs: 60_000 });
  t.after(async () => {
    await app.close();
    await Promise.all(ups.map((u) => u.close()));
  });
  for (let i = 0; i < 6; i++) await (await request(`${base}/app/`)).body.dump();
  await ups[1].close();
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) {
    const r = await request(`${base}/app/`);
    statuses.push(r.statusCode);
    await r.body.dump();
  }
  assert.ok(statuses.every((s) => s === 200), String(statuses));
  assert.equal(pool.upstreams[1].available(Date.now()), false, 'ejected');
  // A POST is not replayed: with the only target dead it is a 502 problem.
  const dead = await gateway({ upstreams: [{ url: ups[1].url }], maxFails: 1 });
  t.after(() => dead.app.close());
  const post = await request(`${dead.base}/app/x`, { method: 'POST', body: 'data' });
  assert.equal(post.statusCode, 502);
  assert.equal(post.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(((await post.body.json()) as { type: string }).type, 'strata/bad-gateway');
  const again = await request(`${dead.base}/app/x`);
  assert.equal(again.statusCode, 503, 'the only upstream is ejected');
  assert.equal(((await again.body.json()) as { type: string }).type, 'strata/service-unavailable');
});

test('active health checks take an upstream out and bring it back', async (t) => {
  let sick = false;
  const flaky = await startUpstream((req, res) => {
    if (req.url === '/healthz') {
      res.statusCode = sick ? 503 : 200;
      return res.end();
    }
    res.end('flaky');
  });
  const steady = await startUpstream();
  t.after(() => Promise.all([flaky.close(), steady.close()]));
  const { app, base, pool } = await gateway({
    upstreams: [{ url: flaky.url }, { url: steady.url }],
    healthCheck: { path: '/healthz', intervalMs: 3_600_000, timeoutMs: 2000, healthyThreshold: 2, unhealthyThreshold: 2 },
  });
  t.after(() => app.close());
  sick = true;
  await pool.checkHealth();
  assert.equal(pool.upstreams[0].healthy, true, 'one failure is below the threshold');
  await pool.checkHealth();
  assert.equal(pool.upstreams[0].healthy, false);
  flaky.hits = 0;
  for (let i = 0; i < 6; i++) await (await request(`${base}/app/`)).body.dump();
  assert.equal(flaky.hits, 0);
  sick = false;
  await pool.checkHealth();
  assert.equal(pool.upstreams[0].healthy, false, 'needs two passes');
  await pool.checkHealth();
  assert.equal(pool.upstreams[0].healthy, true);
  for (let i = 0; i < 6; i++) await (await request(`${base}/app/`)).body.dump();
  assert.ok(flaky.hits >= 3);
});

test('timeouts answer 504 and an open circuit answers 503 without calling upstream', async (t) => {
  const hang = await startUpstream(() => {});
  const failing = await startUpstream((req, res) => {
    res.statusCode = 500;
    res.end('boom');
  });
  t.after(() => Promise.all([hang.close(), failing.close()]));
  const slow = await gateway({ upstreams: [{ url: hang.url }], client: { headersTimeoutMs: 200 } }, { retries: 0 });
  const r = await request(`${slow.base}/app/`);
  assert.equal(r.statusCode, 504);
  assert.equal(((await r.body.json()) as { type: string }).type, 'strata/gateway-timeout');
  await slow.app.close();

  const cb = await gateway(
    { upstreams: [{ url: failing.url }], maxFails: 0, circuitBreaker: { minRequests: 2, failureRatio: 1, openMs: 60_000, window: 4 } },
    { retryOn: [500], retries: 0 },
  );
  for (let i = 0; i < 2; i++) assert.equal((await (await request(`${cb.base}/app/`)).body.text()), 'boom');
  const before = failing.hits;
  const open = await request(`${cb.base}/app/`);
  assert.equal(open.statusCode, 503);
  assert.ok(Number(open.headers['retry-after']) >= 1);
  await open.body.dump();
  assert.equal(failing.hits, before);
  await cb.app.close();
});

test('large bodies stream both ways with bounded memory', async (t) => {
  const SIZE = 256 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 97);
  let received = 0;
  const up = await startUpstream((req, res) => {
    if (req.method === 'POST') {
      req.on('data', (c: Buffer) => (received += c.length));
      req.on('end', () => res.end(String(received)));
      return;
    }
    res.writeHead(200, { 'content-length': String(SIZE) });
    let sent = 0;
    const pump = () => {
      while (sent < SIZE) {
        sent += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  const { app, base } = await gateway({ upstreams: [{ url: up.url }] });
  t.after(async () => {
    await app.close();
    await up.close();
  });
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  t.after(() => clearInterval(sample));
  async function* gen() {
    for (let sent = 0; sent < SIZE; sent += chunk.length) yield chunk;
  }
  const up1 = await request(`${base}/app/upload`, { method: 'POST', body: Readable.from(gen()), headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(await up1.body.text(), String(SIZE));
  const down = await request(`${base}/app/download`);
  let got = 0;
  for await (const c of down.body) got += (c as Buffer).length;
  assert.equal(got, SIZE);
  clearInterval(sample);
  const growth = peak - rss0;
  assert.ok(growth < 96 * 1024 * 1024, `RSS grew by ${Math.round(growth / 1048576)} MiB for 2 x 256 MiB`);
});

test('WebSocket upgrades are proxied both ways', async (t) => {
  const up = await startUpstream((req, res) => res.end('http'));
  const wss = new WebSocketServer({ server: up.server });
  wss.on('connection', (ws, req) => {
    ws.send(`hello ${req.url} ${req.headers['x-forwarded-for']}`);
    ws.on('message', (m) => ws.send(`echo:${m}`));
  });
  const { app, base } = await gateway({ upstreams: [{ url: up.url }] });
  t.after(async () => {
    wss.close();
    await app.close();
    await up.close();
  });
  const messages = await wsGreetingAndEcho(`${base.replace('http', 'ws')}/app/socket?x=1`);
  assert.deepEqual(messages, ['hello /app/socket?x=1 127.0.0.1', 'echo:ping']);
  const bad = new WebSocket(`${base.replace('http', 'ws')}/elsewhere`);
  const status = await new Promise<number>((resolve) => bad.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)).on('error', () => resolve(-1)));
  assert.equal(status, 404);
});

test('HTTP/2 clients (curl, h2c prior knowledge) are proxied to HTTP/1.1 upstreams', async (t) => {
  const up = await startUpstream();
  const { app, base } = await gateway({ upstreams: [{ url: up.url }] }, {}, { http2: true });
  t.after(async () => {
    await app.close();
    await up.close();
  });
  const { stdout } = await run('curl', ['-s', '--http2-prior-knowledge', '-D', '-', `${base}/app/h2?z=9`]);
  assert.match(stdout, /^HTTP\/2 200/);
  const body = JSON.parse(stdout.slice(stdout.indexOf('\r\n\r\n') + 4)) as { url: string; headers: Record<string, string> };
  assert.equal(body.url, '/app/h2?z=9');
  assert.equal(body.headers.host, new URL(base).host);
  const post = await run('curl', ['-s', '--http2-prior-knowledge', '-d', 'abc', `${base}/app/post`]);
  assert.equal((JSON.parse(post.stdout) as { method: string }).method, 'POST');
});
