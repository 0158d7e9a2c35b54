// The gateway built from strata.yaml: sites, pools and routes wired as configured.
import { cachePurgeRoutes } from '../src/api/index.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config/index.js';
import { createGateway, GatewayConfigError } from '../src/gateway/index.js';
import { createCache, memoryStore } from '../src/cache/index.js';
import { startUpstream } from './gateway-helpers.js';

test('config file to working routes: site, pool, redirect, api, purge', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-gwcfg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'index.html'), 'home');
  const up = await startUpstream();
  t.after(() => up.close());
  writeFileSync(
    join(dir, 'strata.yaml'),
    `gateway:
  sites:
    - { name: www, root: ${JSON.stringify(join(dir, 'www'))}, spaFallback: index.html }
  pools:
    - name: app
      upstreams: [{ url: "${up.url}" }]
      balancer: least-connections
  routes:
    - { name: api, prefix: /api, api: true }
    - { name: old, hosts: [old.test], redirect: "https://new.test{uri}", redirectStatus: 301 }
    - { name: app, prefix: /app, pool: app, stripPrefix: true, cache: true, requestHeaders: { set: { x-from: gw } } }
    - { name: www, prefix: /, site: www }
`,
  );
  const { config } = loadConfig({ cwd: dir, env: {} });
  const gw = createGateway({ config: config.gateway, registry: new Registry() });
  const app = Fastify();
  await app.register(cachePurgeRoutes({ cache: gw.cache, authorize: () => undefined, path: config.gateway.cache.purgePath }));
  await app.register(gw.plugin);
  app.get('/api/hello', async () => 'api');
  await gw.start();
  t.after(async () => {
    await app.close();
    await gw.stop();
  });
  assert.equal((await app.inject('/api/hello')).body, 'api');
  assert.equal((await app.inject('/deep/link')).body, 'home');
  assert.equal((await app.inject({ url: '/x', headers: { host: 'old.test' } })).headers.location, 'https://new.test/x');
  const p = await app.inject('/app/thing?a=1');
  const got = p.json() as { url: string; headers: Record<string, string> };
  assert.equal(got.url, '/thing?a=1');
  assert.equal(got.headers['x-from'], 'gw');
  assert.equal(p.headers['x-cache'], 'MISS');
  const purge = await app.inject({ method: 'POST', url: '/_strata/gateway/cache/purge', payload: { tags: ['none'] } });
  assert.deepEqual(purge.json(), { purged: 0 });
  assert.equal(gw.ready?.(), true);
});

test('cache.store shared uses the cache capability, and says so when it is missing', async () => {
  const { config } = loadConfig({ cwd: tmpdir(), env: {}, overrides: { 'gateway.cache.store': 'shared' } });
  assert.throws(() => createGateway({ config: config.gateway }), /gateway\.cache\.store/);
  const shared = createCache(memoryStore());
  const gw = createGateway({ config: config.gateway, sharedCache: () => shared });
  assert.deepEqual(await gw.cache.purgeTag('x'), undefined, 'the shared store invalidates without counting');
  await shared.close();
});

test('config errors name the route key', () => {
  const { config } = loadConfig({ cwd: tmpdir(), env: {}, overrides: {} });
  const bad = structuredClone(config.gateway);
  bad.routes = [{ ...structuredClone(config.gateway.routes[0] ?? ({} as never)), pool: 'nope' } as never];
  assert.throws(() => createGateway({ config: { ...config.gateway, routes: [{ ...(bad.routes[0] as object), pool: 'nope', site: '', redirect: '', api: false } as never] } }), (e: Error) => e instanceof GatewayConfigError && /gateway\.routes\[0\]\.pool/.test(e.message));
  assert.throws(() => createGateway({ config: { ...config.gateway, routes: [{ ...(bad.routes[0] as object), pool: '', site: '', redirect: '', api: false } as never] } }), /exactly one/);
});
