import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { busInvalidation, createCache, tieredStore, memoryStore } from '../cache/index.js';
import { loadConfig } from '../config/index.js';
import { until } from './queue.contract.js';
import { messagingComponent } from './index.js';

test('defaults: embedded SQLite queue in the data dir and the in-process bus', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-mc-'));
  try {
    const { config } = loadConfig({ cwd: dataDir, env: {} });
    const m = messagingComponent(config.messaging, { dataDir });
    await m.start?.();
    assert.equal(m.queue.kind, 'sqlite');
    assert.equal(m.bus.kind, 'memory');
    const { id } = await m.queue.enqueue('jobs', { a: 1 });
    const seen: string[] = [];
    const c = await m.queue.consume('jobs', (j) => void seen.push(j.id));
    await until(() => seen.length === 1, 'job');
    await c.stop();
    assert.deepEqual(seen, [id]);

    // The bus carries the cache's tiered invalidations between instances.
    const back = memoryStore();
    const a = createCache(tieredStore({ back, channel: busInvalidation(m.bus) }));
    const b = createCache(tieredStore({ back, channel: busInvalidation(m.bus) }));
    await a.set('k', 1);
    assert.equal(await b.get('k'), 1);
    await a.set('k', 2);
    await until(async () => (await b.get('k')) === 2, 'invalidation over the bus');
    await m.stop?.();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a bad backend name stops start-up', () => {
  assert.throws(() => loadConfig({ cwd: tmpdir(), env: { STRATA_MESSAGING_QUEUE_BACKEND: 'kafka' } }), /messaging\.queue\.backend/);
});

import { randomBytes } from 'node:crypto';
import { unreachable } from '../cache/testing.js';
import { redisStore } from '../cache/index.js';
import { redisBus } from './bus/redis.js';

test('tiered caches on two "instances" over Redis: a write on one evicts the other\'s memory tier through the Redis bus', { skip: await unreachable(6379) }, async () => {
  const run = randomBytes(4).toString('hex');
  const busA = await redisBus({ prefix: `test:${run}:bus:` });
  const busB = await redisBus({ prefix: `test:${run}:bus:` });
  const a = createCache(tieredStore({ back: await redisStore({ prefix: `test:${run}:c:` }), channel: busInvalidation(busA), frontTtlMs: 60_000 }));
  const b = createCache(tieredStore({ back: await redisStore({ prefix: `test:${run}:c:` }), channel: busInvalidation(busB), frontTtlMs: 60_000 }));
  try {
    await new Promise((r) => setTimeout(r, 50)); // subscriptions live
    await a.set('user:1', { name: 'old' }, { tags: ['users'] });
    assert.deepEqual(await b.get('user:1'), { name: 'old' }); // now in b's memory tier for up to 60 s
    await a.set('user:1', { name: 'new' }, { tags: ['users'] });
    await until(async () => (await b.get<{ name: string }>('user:1'))?.name === 'new', 'write reaches the other memory tier');
    await b.invalidateTag('users');
    await until(async () => (await a.get('user:1')) === undefined, 'tag invalidation reaches the first instance');
  } finally {
    await a.clear();
    await a.close();
    await b.close();
    await busA.close();
    await busB.close();
  }
});
