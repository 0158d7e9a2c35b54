// The response cache on the cache capability's Cache (memory and disk engines): hits,
// Vary, and purges that invalidate without counting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { createCache, diskStore, memoryStore, type Cache } from '../src/cache/index.js';
import { cachePurgeRoutes } from '../src/api/index.js';
import { cacheResponseStore, createProxy, createResponseCache, gatewayRoutes, UpstreamPool } from '../src/gateway/index.js';
import { startUpstream } from './gateway-helpers.js';

async function scenario(t: import('node:test').TestContext, cache: Cache): Promise<void> {
  const up = await startUpstream((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'max-age=60', vary: 'accept-language', 'surrogate-key': 'k1' });
    res.end(`${req.url} ${req.headers['accept-language'] ?? '-'}`);
  });
  const pool = new UpstreamPool({ name: 'cs', upstreams: [{ url: up.url }] });
  const responses = createResponseCache({ store: cacheResponseStore(cache) });
  const app = Fastify();
  app.register(cachePurgeRoutes({ cache: responses, authorize: () => undefined, path: '/_strata/gateway/cache/purge' }));
  app.register(gatewayRoutes({ routes: [{ match: { prefix: '/_strata' }, target: { type: 'api' } }, { match: {}, target: { type: 'proxy', proxy: createProxy({ pool }), cache: responses } }] }));
  t.after(async () => {
    await app.close();
    await pool.stop();
    await up.close();
    await cache.close();
  });
  const get = (url: string, lang = 'en') => app.inject({ url, headers: { 'accept-language': lang } });
  assert.equal((await get('/a')).headers['x-cache'], 'MISS');
  const hit = await get('/a');
  assert.equal(hit.headers['x-cache'], 'HIT');
  assert.equal(hit.body, '/a en');
  assert.equal((await get('/a', 'fr')).headers['x-cache'], 'MISS', 'another variant');
  assert.equal((await get('/a', 'fr')).body, '/a fr');
  const purge = await app.inject({ method: 'POST', url: '/_strata/gateway/cache/purge', payload: { tags: ['k1'] } });
  assert.deepEqual(purge.json(), { purged: null });
  assert.equal((await get('/a')).headers['x-cache'], 'MISS');
  assert.equal(up.hits, 3);
}

test('response cache on the memory engine of the cache capability', (t) => scenario(t, createCache(memoryStore())));

test('response cache on the disk engine of the cache capability', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-gw-disk-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await scenario(t, createCache(await diskStore({ dir })));
});
