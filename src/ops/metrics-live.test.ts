import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMetrics } from './metrics.js';
import { histogramQuantile, liveMetrics, routeFamily } from './metrics-live.js';

test('route families from the route patterns the metrics label', () => {
  const cases: [string, string][] = [
    ['/api/collections/:collection/records', 'records'],
    ['/api/collections/:collection/records/:id', 'records'],
    ['/api/batch', 'records'],
    ['/api/collections/:collection/auth/login', 'auth'],
    ['/api/files/:collection/:record/:filename', 'files'],
    ['/strata.:collection.RecordService/:method', 'rpc'],
    ['/api/realtime', 'realtime'],
    ['unmatched', 'gateway'],
    ['/api/admin/cache', 'admin'],
    ['/_/', 'admin'],
    ['/healthz', 'other'],
  ];
  for (const [route, family] of cases) assert.equal(routeFamily(route), family, route);
});

test('quantiles from non-cumulative buckets interpolate inside the bucket (as histogram_quantile)', () => {
  // 10 in (0, 1 ms], 10 in (5, 10 ms]
  const b = new Array(14).fill(0);
  b[0] = 10;
  b[3] = 10;
  assert.equal(histogramQuantile(0.5, b), 0.001);
  assert.ok(Math.abs(histogramQuantile(0.99, b)! - 0.0099) < 1e-9);
  assert.equal(histogramQuantile(0.5, new Array(14).fill(0)), null);
});

test('live figures: a rate, p50/p99 and error rate between two samples, per family', () => {
  const m = createMetrics();
  let now = 1_000_000;
  const live = liveMetrics(m, { now: () => now });
  assert.deepEqual(live.read().points, []);
  for (let i = 0; i < 8; i++) m.observe('GET', '/api/collections/:collection/records', 200, 0.002);
  m.observe('GET', '/api/collections/:collection/records', 500, 0.3);
  m.observe('GET', '/api/collections/:collection/records', 404, 0.002);
  now += 500;
  assert.equal(live.read().points.length, 0, 'within a second the last sample is reused');
  now += 1500;
  const r = live.read();
  assert.equal(r.points.length, 1);
  const rec = r.points[0].families.find((f) => f.family === 'records')!;
  assert.deepEqual({ ...rec, p50Ms: undefined, p99Ms: undefined }, { family: 'records', rps: 5, requests: 10, errorRate: 0.1, p50Ms: undefined, p99Ms: undefined });
  assert.ok(rec.p50Ms! > 1 && rec.p50Ms! <= 2.5 && rec.p99Ms! > 250, JSON.stringify(rec));
  assert.equal(r.points[0].families.find((f) => f.family === 'auth')!.errorRate, null);
});
