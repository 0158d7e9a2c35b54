import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createCacheSessionStore } from '../src/auth/sessions/session-store-cache.js';
import { createMemorySessionStore } from '../src/auth/sessions/session-store.js';
import { createSessionCookie, parseCookies } from '../src/auth/sessions/session-cookie.js';
import { createSessions } from '../src/auth/sessions/sessions.js';
import { sessionStoreContract } from '../src/auth/sessions/session-store.contract.js';
import { createCache, memoryStore, redisStore, type Cache } from '../src/cache/index.js';
import { unreachable } from '../src/cache/testing.js';

const clock = () => { const c = { t: 1_800_000_000_000, now: () => c.t }; return c; };

sessionStoreContract('memory session store', async () => {
  const c = clock();
  return { store: createMemorySessionStore({ now: c.now }), advance: async (ms) => void (c.t += ms) };
});

sessionStoreContract('cache session store (memory cache)', async () => {
  const c = clock();
  return { store: createCacheSessionStore({ cache: createCache(memoryStore(), { now: c.now }) }), advance: async (ms) => void (c.t += ms) };
});

const redisDown = await unreachable(6379);
const caches: Cache[] = [];
if (redisDown) test('cache session store (Redis)', { skip: redisDown }, () => {});
else {
  sessionStoreContract('cache session store (Redis)', async () => {
    const c = clock();
    const cache = createCache(await redisStore({ url: 'redis://127.0.0.1:6379', prefix: `strata:test:auth:${randomBytes(6).toString('hex')}:` }), { now: c.now });
    caches.push(cache);
    return { store: createCacheSessionStore({ cache }), advance: async (ms) => void (c.t += ms) };
  });
  test.after(async () => {
    for (const c of caches) {
      await c.clear();
      await c.close();
    }
  });
}

function setup(o: { idleMs?: number; absoluteMs?: number } = {}) {
  const c = clock();
  const store = createMemorySessionStore({ now: c.now });
  return { c, store, sessions: createSessions({ store, now: c.now, idleMs: o.idleMs ?? 30 * 60_000, absoluteMs: o.absoluteMs ?? 8 * 3600_000 }) };
}

test('sessions: 256-bit ids, stored under a hash, found again', async () => {
  const { sessions, store } = setup();
  const s = await sessions.create({ userId: 'u1', collection: 'users' }, { role: 'member' });
  assert.match(s.id, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(await store.get(s.id), undefined, 'raw id is not a store key');
  assert.equal(await store.get(`sess:${s.id}`), undefined);
  const again = await sessions.get(s.id);
  assert.equal(again?.userId, 'u1');
  assert.deepEqual(again?.data, { role: 'member' });
  for (const bad of [undefined, '', 'x', s.id + 'x', s.id.slice(0, -1) + (s.id.endsWith('A') ? 'B' : 'A')]) {
    assert.equal(await sessions.get(bad), undefined);
  }
});

test('sessions: idle timeout slides with activity, absolute timeout does not', async () => {
  const { c, sessions } = setup({ idleMs: 30 * 60_000, absoluteMs: 2 * 3600_000 });
  const s = await sessions.create({ userId: 'u1', collection: 'users' });
  for (let i = 0; i < 3; i++) {
    c.t += 29 * 60_000;
    assert.ok(await sessions.get(s.id), `active at step ${i}`);
  }
  c.t += 30 * 60_000;
  assert.equal(await sessions.get(s.id), undefined, 'idle too long');

  const s2 = await sessions.create({ userId: 'u1', collection: 'users' });
  for (let i = 0; i < 4; i++) {
    c.t += 25 * 60_000;
    assert.ok(await sessions.get(s2.id));
  }
  c.t += 25 * 60_000; // 125 min since creation
  assert.equal(await sessions.get(s2.id), undefined, 'absolute lifetime reached despite activity');
});

test('session fixation: an id set before login does not survive login; rotation kills the old id', async () => {
  const { sessions } = setup();
  const planted = await sessions.create({ userId: 'anonymous', collection: '_anon' });
  const logged = await sessions.create({ userId: 'u1', collection: 'users' }, {}, planted.id);
  assert.notEqual(logged.id, planted.id);
  assert.equal(await sessions.get(planted.id), undefined);
  const rotated = await sessions.rotate(logged.id);
  assert.ok(rotated && rotated.id !== logged.id);
  assert.equal(rotated.userId, 'u1');
  assert.equal(rotated.createdAt, logged.createdAt, 'absolute lifetime not reset by rotation');
  assert.equal(await sessions.get(logged.id), undefined);
  assert.ok(await sessions.get(rotated.id));
  assert.equal(await sessions.rotate('unknown'.padEnd(43, 'x')), undefined);
});

test('log out and log out everywhere', async () => {
  const { sessions } = setup();
  const a = await sessions.create({ userId: 'u1', collection: 'users' });
  const b = await sessions.create({ userId: 'u1', collection: 'users' });
  const other = await sessions.create({ userId: 'u2', collection: 'users' });
  await sessions.destroy(a.id);
  assert.equal(await sessions.get(a.id), undefined);
  assert.ok(await sessions.get(b.id));
  await sessions.destroyAllForUser('u1');
  assert.equal(await sessions.get(b.id), undefined);
  assert.ok(await sessions.get(other.id));
});

test('cookie: __Host- prefix, Secure, HttpOnly, SameSite=Lax, Path=/, no Domain on HTTPS', () => {
  const ck = createSessionCookie({ secure: true });
  assert.equal(ck.name, '__Host-strata_session');
  const v = ck.serialize('abc_DEF-123');
  assert.equal(v, '__Host-strata_session=abc_DEF-123; Path=/; HttpOnly; SameSite=Lax; Secure');
  assert.ok(!/Domain=/i.test(v));
  assert.match(ck.clear(), /^__Host-strata_session=; Path=\/; HttpOnly; SameSite=Lax; Secure; Max-Age=0; Expires=/);
  const plain = createSessionCookie({ secure: false, name: 'sid', maxAgeSeconds: 3600 });
  assert.equal(plain.serialize('x1'), 'sid=x1; Path=/; HttpOnly; SameSite=Lax; Max-Age=3600');
  assert.throws(() => ck.serialize('a;b'), RangeError, 'no header injection through the value');
  assert.throws(() => createSessionCookie({ secure: true, name: 'a b' }), RangeError);
});

test('cookie reading: only the prefixed name on HTTPS, first value wins, junk ignored', () => {
  const ck = createSessionCookie({ secure: true });
  assert.equal(ck.read('a=1; __Host-strata_session=good; __Host-strata_session=evil'), 'good');
  assert.equal(ck.read('strata_session=unprefixed-from-subdomain'), undefined);
  assert.equal(ck.read('__Host-strata_session=bad"value'), undefined);
  assert.equal(ck.read(undefined), undefined);
  assert.deepEqual([...parseCookies(' a = 1 ;b=2;;=3;c')], [['a', '1'], ['b', '2']]);
});
