// Rate-limit stores (one contract, memory + Redis), the limiter's rule matching and
// headers, and one limit shared by two limiter instances on the real Redis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { rateStoreContract } from '../src/waf/rate-limit/store.contract.js';
import { memoryRateStore } from '../src/waf/rate-limit/store-memory.js';
import { redisRateStore } from '../src/waf/rate-limit/store-redis.js';
import { RateLimiter } from '../src/waf/rate-limit/rate-limiter.js';
import { slidingWindowStep, tokenBucketStep } from '../src/waf/rate-limit/algorithms.js';

async function unreachable(port: number): Promise<string | false> {
  if (process.env.CI === 'true') return false;
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); resolve(false); });
    s.once('error', () => resolve(`nothing listening on 127.0.0.1:${port}`));
  });
}
const redisDown = await unreachable(6379);
const prefix = `strata-test:${randomBytes(4).toString('hex')}:`;

rateStoreContract('memory', async () => memoryRateStore());
rateStoreContract('redis', async () => redisRateStore({ url: 'redis://127.0.0.1:6379', prefix }), { skip: redisDown });

test('algorithms are pure and deterministic', () => {
  let s = tokenBucketStep(undefined, 2, 1000, 0);
  s = tokenBucketStep(s.state, 2, 1000, 0);
  assert.equal(tokenBucketStep(s.state, 2, 1000, 0).allowed, false);
  assert.equal(tokenBucketStep(s.state, 2, 1000, 500).allowed, true);
  const w = slidingWindowStep(undefined, 1, 1000, 0);
  assert.equal(slidingWindowStep(w.state, 1, 1000, 999).allowed, false);
});

test('limiter: matching by route and method, keys by ip/user/apiKey/route, IETF headers', async () => {
  const rl = new RateLimiter([
    { name: 'login', by: 'ip', algorithm: 'token-bucket', limit: 2, windowSeconds: 60, routes: ['/auth/login'], methods: ['POST'] },
    { name: 'api', by: 'user', algorithm: 'sliding-window', limit: 100, windowSeconds: 60, routes: ['/api/*'] },
    { name: 'keys', by: 'apiKey', algorithm: 'sliding-window', limit: 1, windowSeconds: 60 },
    { name: 'export', by: 'route', algorithm: 'sliding-window', limit: 1, windowSeconds: 60, routes: ['/api/export'] },
  ], memoryRateStore());
  const T = 1_700_000_000_000;
  const login = { method: 'POST', path: '/auth/login', ip: '10.0.0.1' };
  const a = await rl.check(login, T);
  assert.equal(a.refused, undefined);
  assert.equal(a.headers['ratelimit-policy'], '"login";q=2;w=60');
  assert.equal(a.headers.ratelimit, '"login";r=1;t=30');
  await rl.check(login, T);
  const c = await rl.check(login, T);
  assert.deepEqual(c.refused, { policy: 'login', retryAfterSeconds: 30 });
  assert.equal((await rl.check({ ...login, ip: '10.0.0.2' }, T)).refused, undefined, 'another IP has its own bucket');
  assert.deepEqual((await rl.check({ ...login, method: 'GET' }, T)).headers, {}, 'GET is not limited');

  const u = { method: 'GET', path: '/api/items', ip: '1.1.1.1', user: 'u1' };
  assert.equal((await rl.check(u, T)).headers['ratelimit-policy'], '"api";q=100;w=60');
  assert.deepEqual((await rl.check({ ...u, user: undefined }, T)).headers, {}, 'by=user skips anonymous requests');

  const k = { method: 'GET', path: '/x', ip: '1.1.1.1', apiKey: 'sk_live_secret' };
  assert.equal((await rl.check(k, T)).refused, undefined);
  assert.equal((await rl.check(k, T)).refused?.policy, 'keys');
  assert.equal((await rl.check({ ...k, apiKey: 'other' }, T)).refused, undefined);

  assert.equal((await rl.check({ method: 'GET', path: '/api/export', ip: 'a', user: 'x' }, T)).refused, undefined);
  assert.equal((await rl.check({ method: 'GET', path: '/api/export', ip: 'b', user: 'y' }, T)).refused?.policy, 'export', 'by=route is shared by everyone');
  assert.throws(() => new RateLimiter([{ name: 'a', by: 'ip', algorithm: 'token-bucket', limit: 1, windowSeconds: 1 }, { name: 'a', by: 'ip', algorithm: 'token-bucket', limit: 1, windowSeconds: 1 }], memoryRateStore()), /duplicate/);
});

test('limiter fails open when the store fails, and reports it', async () => {
  const errors: unknown[] = [];
  const rl = new RateLimiter([{ name: 'x', by: 'ip', algorithm: 'token-bucket', limit: 1, windowSeconds: 1 }],
    { name: 'broken', consume: async () => { throw new Error('down'); } }, { onError: (e) => errors.push(e) });
  const r = await rl.check({ method: 'GET', path: '/', ip: '1.2.3.4' });
  assert.equal(r.refused, undefined);
  assert.equal(errors.length, 1);
});

test('redis: two limiter instances enforce one limit', { skip: redisDown }, async () => {
  const p = `strata-test:${randomBytes(4).toString('hex')}:`;
  const rule = { name: 'shared', by: 'ip' as const, algorithm: 'sliding-window' as const, limit: 10, windowSeconds: 60 };
  const a = new RateLimiter([rule], await redisRateStore({ url: 'redis://127.0.0.1:6379', prefix: p }));
  const b = new RateLimiter([rule], await redisRateStore({ url: 'redis://127.0.0.1:6379', prefix: p }));
  const tb = { ...rule, name: 'shared-tb', algorithm: 'token-bucket' as const };
  const c = new RateLimiter([tb], await redisRateStore({ url: 'redis://127.0.0.1:6379', prefix: p }));
  const d = new RateLimiter([tb], await redisRateStore({ url: 'redis://127.0.0.1:6379', prefix: p }));
  try {
    const subject = { method: 'GET', path: '/', ip: '203.0.113.9' };
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).check(subject)));
    assert.equal(results.filter((r) => !r.refused).length, 10, 'sliding window: 10 across both instances');
    const tbResults = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? c : d).check(subject)));
    assert.equal(tbResults.filter((r) => !r.refused).length, 10, 'token bucket: 10 across both instances');
    assert.ok(results.some((r) => r.refused && r.refused.retryAfterSeconds > 0));
  } finally {
    const { Redis } = await import('ioredis');
    const r = new Redis('redis://127.0.0.1:6379');
    const keys = await r.keys(`${p}*`);
    if (keys.length > 0) await r.del(...keys);
    const keys2 = await r.keys(`${prefix}*`);
    if (keys2.length > 0) await r.del(...keys2);
    await r.quit();
    await Promise.all([a.close(), b.close(), c.close(), d.close()]);
  }
});

test('createWaf with the Redis store: one limit across two Fastify instances', { skip: redisDown }, async () => {
  const { default: Fastify } = await import('fastify');
  const { Value } = await import('@sinclair/typebox/value');
  const { WafSchema } = await import('../src/config/schema-waf.js');
  const { createWaf } = await import('../src/waf/index.js');
  const p = `strata-test:${randomBytes(4).toString('hex')}:`;
  const config = Value.Default(WafSchema, { rateLimit: { store: 'redis', prefix: p, rules: [{ name: 'g', by: 'route', algorithm: 'sliding-window', limit: 3, windowSeconds: 60 }] } }) as Parameters<typeof createWaf>[0]['config'];
  const wafs = [createWaf({ config }), createWaf({ config })];
  const apps = [];
  for (const w of wafs) {
    const app = Fastify();
    await app.register(w.plugin());
    app.get('/x', async () => 'ok');
    await w.start?.();
    apps.push(app);
  }
  try {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await apps[i % 2].inject({ method: 'GET', url: '/x', headers: { host: 'a', 'user-agent': 'Mozilla/5.0', accept: '*/*' } })).statusCode);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
  } finally {
    for (const a of apps) await a.close();
    for (const w of wafs) await w.stop?.();
    const { Redis } = await import('ioredis');
    const r = new Redis('redis://127.0.0.1:6379');
    const keys = await r.keys(`${p}*`);
    if (keys.length > 0) await r.del(...keys);
    await r.quit();
  }
});

test('limitedNow: the buckets refusing now, most refusals first, user ids hashed, gone once they let requests through', async () => {
  const rl = new RateLimiter([
    { name: 'per-user', by: 'user', algorithm: 'sliding-window', limit: 1, windowSeconds: 60 },
    { name: 'per-ip', by: 'ip', algorithm: 'sliding-window', limit: 1, windowSeconds: 60, routes: ['/ip*'] },
  ], memoryRateStore());
  const t0 = 1_000_000;
  const subject = { method: 'GET', path: '/x', ip: '10.0.0.1', user: 'user-secret-id' };
  for (let i = 0; i < 4; i++) await rl.check(subject, t0);
  for (let i = 0; i < 2; i++) await rl.check({ ...subject, path: '/ip', user: undefined }, t0);
  const now = rl.limitedNow(50, t0);
  assert.deepEqual(now.map((x) => [x.policy, x.refusals]), [['per-user', 3], ['per-ip', 1]]);
  assert.match(now[0].key, /^user:[0-9a-f]{24}$/);
  assert.ok(!JSON.stringify(now).includes('user-secret-id'), 'the user id appears only hashed');
  assert.equal(now[1].key, 'ip:10.0.0.1');
  assert.equal(rl.limitedNow(50, Date.parse(now[0].until) + 1).length, 0, 'no longer refusing: dropped');
});
