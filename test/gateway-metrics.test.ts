// Gateway metrics on a caller's prom-client Registry: per route, per upstream, cache results.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { createProxy, createResponseCache, gatewayMetrics, gatewayRoutes, UpstreamPool } from '../src/gateway/index.js';
import { startUpstream } from './gateway-helpers.js';

test('requests, upstream outcomes, health and cache results are counted', async (t) => {
  const up = await startUpstream((req, res) => {
    res.setHeader('cache-control', 'max-age=60');
    res.end('ok');
  });
  const registry = new Registry();
  const metrics = gatewayMetrics(registry);
  const pool = new UpstreamPool({ name: 'web', upstreams: [{ url: up.url }, { url: 'http://127.0.0.1:9' }], maxFails: 1 });
  const proxy = createProxy({ pool });
  const cache = createResponseCache({ metrics });
  const app = Fastify();
  app.register(gatewayRoutes({ metrics, routes: [{ name: 'direct', match: { prefix: '/direct' }, target: { type: 'proxy', proxy } }, { name: 'site', match: { prefix: '/' }, target: { type: 'proxy', proxy, cache } }] }));
  t.after(async () => {
    await app.close();
    await pool.stop();
    await up.close();
  });
  await app.ready();
  for (let i = 0; i < 2; i++) assert.equal((await app.inject('/direct')).statusCode, 200, 'the dead upstream is retried around');
  for (let i = 0; i < 4; i++) assert.equal((await app.inject('/m')).statusCode, 200);
  const text = await registry.metrics();
  assert.match(text, /strata_gateway_requests_total\{route="site",status="200"\} 4/);
  assert.match(text, /strata_gateway_request_duration_seconds_count\{route="site"\} 4/);
  assert.match(text, new RegExp(`strata_gateway_upstream_requests_total\\{pool="web",upstream="${up.url}",outcome="200"\\} 3`));
  assert.match(text, /strata_gateway_upstream_requests_total\{pool="web",upstream="http:\/\/127.0.0.1:9",outcome="error"\} 1/);
  assert.match(text, /strata_gateway_upstream_healthy\{pool="web",upstream="http:\/\/127.0.0.1:9"\} 0/);
  assert.match(text, new RegExp(`strata_gateway_upstream_healthy\\{pool="web",upstream="${up.url}"\\} 1`));
  assert.match(text, /strata_gateway_cache_results_total\{route="site",result="MISS"\} 1/);
  assert.match(text, /strata_gateway_cache_results_total\{route="site",result="HIT"\} 3/);
});
