// A fully-Redis instance (cache, WAF rate limits, login throttle, queue, bus, cron lock) opens one
// Redis connection per purpose (commands, subscriber), named strata:<purpose>:<host>:<pid>, and
// closes every one on stop().
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { unreachable } from '../src/cache/testing.js';
import { appDir, startApp, until } from './functions-helpers.js';

const ours = (list: string): string[] =>
  list
    .split('\n')
    .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith('strata:') && name.endsWith(`:${process.pid}`))
    .map((name) => name.split(':')[1])
    .sort();

test('every Redis user shares one connection per purpose; stop() closes them all', { skip: await unreachable(6379) }, async () => {
  const { Redis } = await import('ioredis');
  const admin = new Redis('redis://127.0.0.1:6379');
  const run = randomBytes(4).toString('hex');
  const dir = appDir({
    'functions/tick.ts': `import { defineCron } from 'strata/functions';\nexport default defineCron({ schedule: '* * * * * *', name: 'tick-${run}', async handler() { (globalThis as Record<string, unknown>).ticked${run} = true; } });\n`,
  });
  const app = await startApp(dir, {
    'cache.store': 'redis',
    'cache.redis.prefix': `test:${run}:cache:`,
    'waf.rateLimit.store': 'redis',
    'waf.rateLimit.prefix': `test:${run}:rl:`,
    'waf.rateLimit.rules': [{ name: 'all', by: 'ip', algorithm: 'sliding-window', limit: 1000, windowSeconds: 60 }],
    'auth.throttle.store': 'redis',
    'messaging.queue.backend': 'redis',
    'messaging.queue.redis.prefix': `test:${run}:q:`,
    'messaging.bus.backend': 'redis',
    'messaging.bus.redis.prefix': `test:${run}:bus:`,
  });
  let stopped = false;
  try {
    // Each capability uses Redis: a rate-limited request, a cache write, a failed login, a job, a bus event, a cron tick.
    const r = await fetch(`${app.url}/healthz`);
    assert.equal(r.status, 200);
    assert.ok(r.headers.get('ratelimit-policy'), 'the rate limit ran on Redis');
    await app.server.cache.cache.set(`probe-${run}`, 1);
    await (await app.server.auth.services.throttle.acquire(`acct-${run}`, '192.0.2.1')).fail();
    await app.server.messaging.queue.enqueue(`probe-${run}`, { ok: true });
    await app.server.messaging.bus.publish('app.probe', { ok: true });
    await until(() => (globalThis as Record<string, unknown>)[`ticked${run}`] === true, 'a cron tick (through the Redis lock)');

    const open = await until(async () => {
      const names = ours(String(await admin.client('LIST')));
      return names.length >= 2 ? names : undefined;
    }, 'both connections named');
    assert.deepEqual(open, ['commands', 'subscriber'], 'one connection per purpose (it was six or seven before the engines registry)');

    await app.server.stop();
    stopped = true;
    await until(async () => ours(String(await admin.client('LIST'))).length === 0, 'every connection closed after stop()', 5_000);
  } finally {
    if (!stopped) await app.server.stop();
    const keys = await admin.keys(`test:${run}:*`);
    if (keys.length > 0) await admin.del(...keys);
    await admin.del(`strata:auth:throttle:acct:acct-${run}`, 'strata:auth:throttle:ip:192.0.2.1');
    await admin.quit();
    rmSync(dir, { recursive: true, force: true });
  }
});
