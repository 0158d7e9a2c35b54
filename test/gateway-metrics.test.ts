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

test('strata_gateway_upstream_healthy goes back to 1 when a passive ejection ends, and the upstream serves', async (t) => {
  let down = true;
  const up = await startUpstream((req, res) => {
    req.resume();
    if (down) return void res.writeHead(502).end('down');
    res.end('ok');
  });
  const registry = new Registry();
  const metrics = gatewayMetrics(registry);
  const pool = new UpstreamPool({ name: 'one', upstreams: [{ url: up.url }], maxFails: 1, cooldownMs: 200 });
  const app = Fastify();
  app.register(gatewayRoutes({ metrics, routes: [{ name: 'r', match: { prefix: '/' }, target: { type: 'proxy', proxy: createProxy({ pool, retries: 0 }) } }] }));
  t.after(async () => {
    await app.close();
    await pool.stop();
    await up.close();
  });
  await app.ready();
  const gauge = async () => new RegExp(`strata_gateway_upstream_healthy\\{pool="one",upstream="${up.url}"\\} (\\d)`).exec(await registry.metrics())?.[1];
  assert.equal(await gauge(), '1');
  assert.equal((await app.inject('/x')).statusCode, 502);
  assert.equal(await gauge(), '0', 'ejected');
  assert.equal((await app.inject('/x')).statusCode, 503, 'out of rotation while cooling down');
  down = false;
  // Generous bound, no timing assertion: the gauge must come back by itself once the cool-down ends.
  for (let i = 0; i < 300 && (await gauge()) !== '1'; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await gauge(), '1', 'back in rotation');
  const served = await app.inject('/x');
  assert.equal(served.statusCode, 200);
  assert.equal(await gauge(), '1');
  // A second ejection and return are reported the same way.
  down = true;
  assert.equal((await app.inject('/x')).statusCode, 502);
  assert.equal(await gauge(), '0');
  down = false;
  for (let i = 0; i < 300 && (await gauge()) !== '1'; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await gauge(), '1');
});
