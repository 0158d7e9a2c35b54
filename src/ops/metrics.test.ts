import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMetrics } from './metrics.js';

test('request counter and histogram render as Prometheus text with cumulative buckets', async () => {
  const m = createMetrics();
  m.observe('GET', '/a', 200, 0.0005);
  m.observe('GET', '/a', 200, 0.003);
  m.observe('GET', '/a', 200, 20);
  m.observe('POST', '/b', 201, 0.001);
  const text = await m.registry.metrics();
  assert.match(text, /# TYPE strata_http_requests_total counter\n/);
  assert.match(text, /strata_http_requests_total\{method="GET",route="\/a",status="200"\} 3\n/);
  assert.match(text, /strata_http_requests_total\{method="POST",route="\/b",status="201"\} 1\n/);
  assert.match(text, /# TYPE strata_http_request_duration_seconds histogram\n/);
  const b = (le: string) => Number(text.match(new RegExp(`strata_http_request_duration_seconds_bucket\\{le="${le.replace('+', '\\+')}",method="GET",route="/a",status="200"\\} (\\d+)`))?.[1]);
  assert.equal(b('0.001'), 1);
  assert.equal(b('0.0025'), 1);
  assert.equal(b('0.005'), 2);
  assert.equal(b('10'), 2);
  assert.equal(b('+Inf'), 3);
  assert.match(text, /strata_http_request_duration_seconds_sum\{method="GET",route="\/a",status="200"\} 20\.0035\n/);
  assert.match(text, /strata_http_request_duration_seconds_count\{method="GET",route="\/a",status="200"\} 3\n/);
  // The upper bound is inclusive, as in Prometheus: 0.001 falls in le="0.001".
  assert.match(text, /strata_http_request_duration_seconds_bucket\{le="0.001",method="POST",route="\/b",status="201"\} 1\n/);
  assert.match(text, /strata_process_cpu_user_seconds_total /);
});

test('label values are escaped', async () => {
  const m = createMetrics();
  m.observe('GET', '/x/"quoted"\\path', 404, 0.01);
  const text = await m.registry.metrics();
  assert.match(text, /route="\/x\/\\"quoted\\"\\\\path"/);
});
