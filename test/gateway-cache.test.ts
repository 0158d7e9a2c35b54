// The response cache in front of a real upstream: X-Cache results, revalidation, stale
// serving, coalescing, Vary, privacy rules, invalidation and the purge API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { request } from 'undici';
import { cachePurgeRoutes } from '../src/api/index.js';
import { ForbiddenError } from '../src/core/index.js';
import { handleError } from '../src/edge/index.js';
import { createProxy, createResponseCache, gatewayRoutes, UpstreamPool, type ResponseCache } from '../src/gateway/index.js';
import { startUpstream, type TestUpstream } from './gateway-helpers.js';

let up: TestUpstream;
let app: FastifyInstance;
let base: string;
let cache: ResponseCache;
let failing = false;
const counts = new Map<string, number>();
let version = 1;

before(async () => {
  up = await startUpstream((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const n = counts.get(path);
    const send = (status: number, headers: Record<string, string | string[]>, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain', ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    req.resume();
    switch (path) {
      case '/fresh':
        return send(200, { 'cache-control': 'max-age=60' }, `fresh ${n}`);
      case '/no-store':
        return send(200, { 'cache-control': 'no-store' }, `ns ${n}`);
      case '/private':
        return send(200, { 'cache-control': 'private, max-age=60' }, `p ${n}`);
      case '/cookie':
        return send(200, { 'cache-control': 'max-age=60', 'set-cookie': 'sid=1' }, `c ${n}`);
      case '/etag':
        if (req.headers['if-none-match'] === `"v${version}"`) return send(304, { etag: `"v${version}"`, 'cache-control': 'no-cache' }, '');
        return send(200, { etag: `"v${version}"`, 'cache-control': 'no-cache' }, `etag v${version}`);
      case '/swr':
        return send(200, { 'cache-control': 'max-age=60, stale-while-revalidate=3600', age: n === 1 ? '100' : '0' }, `swr ${n}`);
      case '/sie':
        if (failing) return send(503, {}, 'down');
        return send(200, { 'cache-control': 'max-age=60, stale-if-error=3600', age: '100' }, `sie ${n}`);
      case '/slow':
        return void setTimeout(() => send(200, { 'cache-control': 'max-age=60' }, `slow ${n}`), 150);
      case '/vary':
        return send(200, { 'cache-control': 'max-age=60', vary: 'Accept-Language' }, `lang ${req.headers['accept-language']} ${n}`);
      case '/tagged/a':
      case '/tagged/b':
        return send(200, { 'cache-control': 'max-age=60', 'cache-tag': 'products, p-1', 'surrogate-key': 'blue green' }, `${path} ${n}`);
      case '/big':
        return send(200, { 'cache-control': 'max-age=60' }, 'x'.repeat(5000));
      case '/chunked':
        res.writeHead(200, { 'cache-control': 'max-age=60' });
        res.write('a'.repeat(3000));
        return void res.end('b'.repeat(3000));
      default:
        return send(200, { 'cache-control': 'max-age=60' }, `${req.method} ${path} ${n}`);
    }
  });
  const pool = new UpstreamPool({ name: 'c', upstreams: [{ url: up.url }] });
  const proxy = createProxy({ pool, retries: 0 });
  cache = createResponseCache({ maxObjectBytes: 4096 });
  app = Fastify();
  app.setErrorHandler(handleError);
  app.register(
    cachePurgeRoutes({
      cache,
      path: '/_strata/gateway/cache/purge',
      authorize: (req) => {
        if (req.headers['x-admin'] !== 'yes') throw new ForbiddenError('Purging the cache needs a superuser.');
      },
    }),
  );
  app.register(gatewayRoutes({ routes: [{ match: { prefix: '/_strata' }, target: { type: 'api' } }, { match: {}, target: { type: 'proxy', proxy, cache } }] }));
  app.addHook('onClose', () => pool.stop());
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

after(async () => {
  await app.close();
  await up.close();
});

async function get(path: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' | 'POST' = 'GET') {
  const r = await request(`${base}${path}`, { method, headers });
  return { status: r.statusCode, headers: r.headers, body: await r.body.text(), xc: r.headers['x-cache'] };
}

test('MISS then HIT with Age; HEAD and conditional requests served from the entry', async () => {
  const a = await get('/fresh');
  assert.equal(a.xc, 'MISS');
  const b = await get('/fresh');
  assert.equal(b.xc, 'HIT');
  assert.equal(b.body, 'fresh 1');
  assert.ok(Number(b.headers.age) >= 0);
  const h = await get('/fresh', {}, 'HEAD');
  assert.equal(h.xc, 'HIT');
  assert.equal(h.body, '');
  assert.equal(h.headers['content-length'], '7');
  assert.equal(counts.get('/fresh'), 1);
  assert.equal((await get('/fresh?x=1')).xc, 'MISS', 'the query is part of the key');
  assert.equal((await get('/fresh', { 'cache-control': 'no-store' })).xc, 'BYPASS');
  assert.equal((await get('/fresh', { range: 'bytes=0-1' })).xc, 'BYPASS');
  const before = counts.get('/fresh');
  const nc = await get('/fresh', { 'cache-control': 'no-cache' });
  assert.equal(counts.get('/fresh'), (before ?? 0) + 1, 'request no-cache goes upstream');
  assert.notEqual(nc.body, 'fresh 1');
});

test('never stores no-store, private, Set-Cookie or Authorization requests', async () => {
  for (const p of ['/no-store', '/private', '/cookie']) {
    assert.equal((await get(p)).xc, 'MISS');
    assert.equal((await get(p)).xc, 'MISS', p);
  }
  assert.equal((await get('/authz', { authorization: 'Bearer t' })).xc, 'BYPASS');
  assert.equal((await get('/authz')).xc, 'MISS', 'the authorized response was not stored');
  assert.equal((await get('/cookie')).headers['set-cookie'], 'sid=1');
});

test('revalidation with ETag: 304 from upstream refreshes the entry', async () => {
  const a = await get('/etag');
  assert.equal(a.body, 'etag v1');
  const b = await get('/etag');
  assert.equal(b.xc, 'HIT', 'validated by a 304');
  assert.equal(b.body, 'etag v1');
  version = 2;
  const c = await get('/etag');
  assert.equal(c.xc, 'MISS');
  assert.equal(c.body, 'etag v2');
  assert.equal((await get('/etag', { 'if-none-match': '"v2"' })).status, 304);
});

test('stale-while-revalidate serves STALE and refreshes in the background', async () => {
  assert.equal((await get('/swr')).body, 'swr 1');
  const s = await get('/swr');
  assert.equal(s.xc, 'STALE');
  assert.equal(s.body, 'swr 1');
  for (let i = 0; i < 50 && counts.get('/swr') !== 2; i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 20));
  const f = await get('/swr');
  assert.equal(f.xc, 'HIT');
  assert.equal(f.body, 'swr 2');
});

test('stale-if-error serves the stale entry when the upstream fails', async () => {
  assert.equal((await get('/sie')).body, 'sie 1');
  failing = true;
  const s = await get('/sie');
  failing = false;
  assert.equal(s.status, 200);
  assert.equal(s.xc, 'STALE');
  assert.equal(s.body, 'sie 1');
});

test('concurrent misses are coalesced into one upstream request', async () => {
  const all = await Promise.all(Array.from({ length: 10 }, () => get('/slow')));
  assert.equal(counts.get('/slow'), 1);
  assert.ok(all.every((r) => r.body === 'slow 1'));
  assert.equal(all.filter((r) => r.xc === 'MISS').length, 1);
});

test('Vary splits entries by request header', async () => {
  assert.equal((await get('/vary', { 'accept-language': 'en' })).body, 'lang en 1');
  assert.equal((await get('/vary', { 'accept-language': 'fr' })).body, 'lang fr 2');
  const en = await get('/vary', { 'accept-language': 'en' });
  assert.equal(en.xc, 'HIT');
  assert.equal(en.body, 'lang en 1');
  assert.equal((await get('/vary', { 'accept-language': 'fr' })).body, 'lang fr 2');
});

test('bodies above the object limit stream through uncached', async () => {
  assert.equal((await get('/big')).body.length, 5000);
  assert.equal((await get('/big')).xc, 'MISS');
  const c = await get('/chunked');
  assert.equal(c.body, 'a'.repeat(3000) + 'b'.repeat(3000));
  assert.equal((await get('/chunked')).xc, 'MISS');
});

test('unsafe methods invalidate; only-if-cached answers 504 on a miss', async () => {
  await get('/item');
  assert.equal((await get('/item')).xc, 'HIT');
  assert.equal((await get('/item', {}, 'POST')).xc, 'BYPASS');
  assert.equal((await get('/item')).xc, 'MISS');
  const r = await get('/never', { 'cache-control': 'only-if-cached' });
  assert.equal(r.status, 504);
});

test('purge by URL, prefix and tag through the authorized API', async () => {
  const purge = (body: unknown, admin = true) =>
    request(`${base}/_strata/gateway/cache/purge`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(admin ? { 'x-admin': 'yes' } : {}) },
      body: JSON.stringify(body),
    });
  const host = new URL(base).host;
  await get('/tagged/a');
  await get('/tagged/b');
  await get('/shop/x/1');
  await get('/shop/y');
  await get('/shopping');
  assert.equal((await get('/tagged/a')).headers['cache-tag'], undefined, 'tag headers are not shown to clients');
  const denied = await purge({ tags: ['products'] }, false);
  assert.equal(denied.statusCode, 403);
  await denied.body.dump();
  const bad = await purge({ urls: [{}] });
  assert.equal(bad.statusCode, 400);
  await bad.body.dump();
  const byTag = await purge({ tags: ['green'] });
  assert.deepEqual(await byTag.body.json(), { purged: 2 });
  assert.equal((await get('/tagged/a')).xc, 'MISS');
  const byUrl = await purge({ urls: [`http://${host}/tagged/a`] });
  assert.deepEqual(await byUrl.body.json(), { purged: 1 });
  assert.equal((await get('/shop/y')).xc, 'HIT');
  const byPrefix = await purge({ prefixes: ['/shop/'], host });
  assert.deepEqual(await byPrefix.body.json(), { purged: 2 });
  assert.equal((await get('/shop/x/1')).xc, 'MISS');
  assert.equal((await get('/shopping')).xc, 'HIT', 'prefixes respect segment boundaries');
});

test('purge of a relative URL without host: 400 naming body.host, nothing purged; gateway.cache.purgeHost fills it in', async (t) => {
  const purge = (url: string, body: unknown) =>
    request(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-admin': 'yes' }, body: JSON.stringify(body) });
  await get('/relative/a');
  assert.equal((await get('/relative/a')).xc, 'HIT');
  const bad = await purge(`${base}/_strata/gateway/cache/purge`, { urls: ['/relative/a'], tags: ['products'] });
  assert.equal(bad.statusCode, 400);
  const problem = (await bad.body.json()) as { type: string; errors: { field: string }[] };
  assert.equal(problem.type, 'strata/validation');
  assert.deepEqual(problem.errors.map((e) => e.field), ['body.host']);
  assert.equal((await get('/relative/a')).xc, 'HIT', 'a refused purge removes nothing');
  const prefix = await purge(`${base}/_strata/gateway/cache/purge`, { prefixes: ['/relative'] });
  assert.equal(prefix.statusCode, 400);
  await prefix.body.dump();

  // A cache whose operator named the site: relative URLs and prefixes mean that host.
  const pool = new UpstreamPool({ name: 'ph', upstreams: [{ url: up.url }] });
  const sited = createResponseCache({ purgeHost: '127.0.0.1' });
  const app2 = Fastify();
  app2.setErrorHandler(handleError);
  app2.register(cachePurgeRoutes({ cache: sited, authorize: () => undefined }));
  app2.register(gatewayRoutes({ routes: [{ match: { prefix: '/api' }, target: { type: 'api' } }, { match: {}, target: { type: 'proxy', proxy: createProxy({ pool, retries: 0 }), cache: sited } }] }));
  const base2 = await app2.listen({ port: 0, host: '127.0.0.1' });
  t.after(async () => {
    await app2.close();
    await pool.stop();
  });
  const get2 = async (path: string) => (await request(`${base2}${path}`)).headers['x-cache'];
  await get2('/relative/b');
  await get2('/relative/c/1');
  assert.equal(await get2('/relative/b'), 'HIT');
  const byUrl = await purge(`${base2}/api/admin/cache/purge`, { urls: ['/relative/b'] });
  assert.deepEqual(await byUrl.body.json(), { purged: 1 });
  assert.equal(await get2('/relative/b'), 'MISS');
  const byPrefix = await purge(`${base2}/api/admin/cache/purge`, { prefixes: ['/relative/c'] });
  assert.deepEqual(await byPrefix.body.json(), { purged: 1 });
});
