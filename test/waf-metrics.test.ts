// Passed requests are counted lazily (added when the registry is read): the values
// scraped must equal one increment per request, also for a second WAF on one registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createWafMetrics } from '../src/waf/index.js';

test('pass counts are exact at every scrape, with one or two WAFs on a registry', async () => {
  const registry = new Registry();
  const a = createWafMetrics(registry);
  const passes = async () => Number(/strata_waf_requests_total\{action="pass"\} (\d+)/.exec(await registry.metrics())?.[1] ?? 0);
  assert.equal(await passes(), 0);
  for (let i = 0; i < 3; i++) a.countPass();
  assert.equal(await passes(), 3);
  assert.equal(await passes(), 3, 'reading twice adds nothing');
  a.requests.labels('blocked').inc();
  const b = createWafMetrics(registry);
  for (let i = 0; i < 2; i++) { a.countPass(); b.countPass(); }
  assert.equal(await passes(), 7);
  assert.match(await registry.metrics(), /strata_waf_requests_total\{action="blocked"\} 1/);
});
