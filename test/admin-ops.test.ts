// The admin API's operations read-outs against a real server: rate-limit buckets refusing requests, cron schedules (next run, last run and its
// outcome), the application cache's counters per tier
// (tiered: memory in front of disk) and its purge by key and tag; the gateway's upstream pools with each
// target's health (a dead target ejected after a failure) and each pool's circuit (opened by failures).
// Superusers only; bad input is a 400 problem.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as httpServer, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { appDir, startApp, until, type TestServer } from './functions-helpers.js';

const PASSWORD = 'correct horse battery staple 42';
type Json = Record<string, any>;

describe('admin operations API (cache, gateway upstreams)', () => {
  let live: Server;
  let dir = '';
  let s: TestServer;
  let root = '';
  const call = async (method: string, path: string, o: { body?: unknown; token?: string } = {}) => {
    const headers: Record<string, string> = {};
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(s.url + path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) });
    const text = await r.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      /* empty */
    }
    return { status: r.status, type: r.headers.get('content-type') ?? '', json, text };
  };

  before(async () => {
    live = httpServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
    await new Promise((r) => live.once('listening', r));
    const port = (live.address() as { port: number }).port;
    // a port nothing listens on: a server bound and closed
    const gone = httpServer().listen(0, '127.0.0.1');
    await new Promise((r) => gone.once('listening', r));
    const dead = (gone.address() as { port: number }).port;
    await new Promise((r) => gone.close(r));
    dir = appDir(
      {
        'functions/jobs.ts': `import { defineCron } from 'strata/functions';
export const tick = defineCron({ name: 'tick', schedule: '* * * * * *', handler: () => undefined });
export const broken = defineCron({ name: 'broken', schedule: '* * * * * *', handler: () => { throw new Error('the report server is down'); } });
export const nightly = defineCron({ name: 'nightly', schedule: '0 3 * * *', timezone: 'Europe/Paris', handler: () => undefined });
`,
      },
      `
cache: { store: tiered, tiered: { back: disk } }
waf:
  rateLimit: { rules: [{ name: tight, limit: 2, windowSeconds: 600, routes: ["/limited*"] }] }
gateway:
  pools:
    - { name: svc, upstreams: [{ url: "http://127.0.0.1:${port}" }, { url: "http://127.0.0.1:${dead}" }], maxFails: 1, cooldownMs: 600000 }
    - { name: down, upstreams: [{ url: "http://127.0.0.1:${dead}" }], maxFails: 0, circuitBreaker: { enabled: true, window: 2, minRequests: 2, failureRatio: 0.5, openMs: 600000 } }
  routes:
    - { prefix: /svc, pool: svc, stripPrefix: true }
    - { prefix: /down, pool: down, stripPrefix: true }
`,
    );
    s = await startApp(dir);
    assert.equal((await call('POST', '/_strata/setup', { body: { token: s.server.setupToken, email: 'root@example.com', password: PASSWORD } })).status, 201);
    root = String((await call('POST', '/api/collections/_superusers/auth/login', { body: { identity: 'root@example.com', password: PASSWORD } })).json.token);
  });
  after(async () => {
    await s?.server.stop();
    live?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('superusers only', async () => {
    for (const [m, p] of [['GET', '/api/admin/rate-limits'], ['GET', '/api/admin/cron'], ['GET', '/api/admin/cache'], ['POST', '/api/admin/cache/app/purge'], ['GET', '/api/admin/gateway/upstreams']]) {
      const r = await call(m, p, { body: m === 'POST' ? { keys: ['k'] } : undefined });
      assert.equal(r.status, 401, `${m} ${p}`);
      assert.match(r.type, /^application\/problem\+json/);
    }
  });

  test('rate limits: the buckets refusing requests now, with their policy, key, refusals and until when', async () => {
    assert.deepEqual((await call('GET', '/api/admin/rate-limits', { token: root })).json, { items: [] });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await fetch(`${s.url}/limited/x`).then(async (r) => (await r.arrayBuffer(), r))).status);
    assert.deepEqual(statuses.map((x) => x === 429), [false, false, true, true], String(statuses));
    const items = (await call('GET', '/api/admin/rate-limits', { token: root })).json.items as Json[];
    assert.equal(items.length, 1, JSON.stringify(items));
    assert.deepEqual({ ...items[0], until: undefined }, { policy: 'tight', key: 'ip:127.0.0.1', refusals: 2, until: undefined });
    assert.ok(Date.parse(items[0].until) > Date.now(), items[0].until);
  });

  test('cron: each schedule with its pattern, next run, and the last run with its outcome', async () => {
    const items = await until(async () => {
      const r = (await call('GET', '/api/admin/cron', { token: root })).json.items as Json[];
      return r.find((x) => x.name === 'tick')?.last && r.find((x) => x.name === 'broken')?.last ? r : undefined;
    }, 'a run of each every-second schedule');
    const by = Object.fromEntries(items.map((x) => [x.name, x]));
    assert.deepEqual(Object.keys(by).sort(), ['broken', 'nightly', 'tick']);
    assert.equal(by.tick.schedule, '* * * * * *');
    assert.equal(by.tick.last.outcome, 'success');
    assert.match(by.tick.last.tick, /^\d{4}-\d\d-\d\dT/);
    assert.ok(Date.parse(by.tick.last.at) >= Date.parse(by.tick.last.tick) && typeof by.tick.last.durationMs === 'number', JSON.stringify(by.tick.last));
    assert.equal(by.broken.last.outcome, 'failure');
    assert.equal(by.broken.last.error, 'the report server is down');
    assert.equal(by.nightly.last, null);
    assert.equal(by.nightly.timezone, 'Europe/Paris');
    assert.ok(Date.parse(by.nightly.next) > Date.now(), by.nightly.next);
  });

  test('cache: counters per tier; purge by key and by tag', async () => {
    const cache = s.server.cache.cache;
    await cache.set('greeting', 'hello', { tags: ['greetings'] });
    await cache.set('other', 'x', { tags: ['greetings'] });
    assert.equal(await cache.get('greeting'), 'hello');
    assert.equal(await cache.get('missing'), undefined);
    const st = await call('GET', '/api/admin/cache', { token: root });
    assert.equal(st.status, 200, st.text);
    assert.equal(st.json.store, 'tiered');
    assert.ok(st.json.stats.hits >= 1 && st.json.stats.misses >= 1, st.text);
    assert.deepEqual((st.json.stats.tiers as Json[]).map((t) => t.name), ['memory', 'disk']);
    assert.ok((st.json.stats.tiers as Json[])[1].entries >= 2, st.text);

    for (const body of [{}, { keys: [] }, { keys: [''] }]) {
      const r = await call('POST', '/api/admin/cache/app/purge', { token: root, body });
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.json.type, 'strata/validation');
    }
    const byKey = await call('POST', '/api/admin/cache/app/purge', { token: root, body: { keys: ['greeting', 'never-set'] } });
    assert.deepEqual(byKey.json, { deleted: 1, tagsInvalidated: 0 });
    assert.equal(await cache.get('greeting'), undefined);
    assert.equal(await cache.get('other'), 'x');
    const byTag = await call('POST', '/api/admin/cache/app/purge', { token: root, body: { tags: ['greetings'] } });
    assert.deepEqual(byTag.json, { deleted: 0, tagsInvalidated: 1 });
    assert.equal(await cache.get('other'), undefined, 'the tag invalidated its entries');
  });

  test('gateway upstreams: a dead target is ejected after a failure; failures open a pool circuit', async () => {
    const before = (await call('GET', '/api/admin/gateway/upstreams', { token: root })).json.pools as Json[];
    assert.deepEqual(before.map((p) => [p.name, p.circuit]), [['svc', null], ['down', 'closed']]);
    assert.ok(before.every((p) => p.upstreams.every((u: Json) => u.available && u.healthy && u.ejectedUntil === null)));
    // round robin reaches the dead target within two requests (retried on the live one or answered 502)
    for (let i = 0; i < 2; i++) await fetch(`${s.url}/svc/`).then((r) => r.arrayBuffer());
    for (let i = 0; i < 3; i++) await fetch(`${s.url}/down/`).then((r) => r.arrayBuffer());
    const pools = (await call('GET', '/api/admin/gateway/upstreams', { token: root })).json.pools as Json[];
    const svc = pools.find((p) => p.name === 'svc')!;
    const [ok, bad] = svc.upstreams as Json[];
    assert.equal(ok.available, true, JSON.stringify(svc));
    assert.equal(bad.available, false, JSON.stringify(svc));
    assert.match(String(bad.ejectedUntil), /^\d{4}-\d\d-\d\dT/);
    assert.equal(pools.find((p) => p.name === 'down')!.circuit, 'open');
  });
});
