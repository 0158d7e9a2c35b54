import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRevocations, validAfterKey } from './token-revocation.js';
import { InvalidTokenError } from '../errors.js';

test('a mark refuses credentials issued before it (ms precision), expires after its TTL, and never moves back', async () => {
  let now = 1_000_000;
  const r = createRevocations({ ttlMs: 5_000, now: () => now });
  await r.assertCurrent('users:a', now - 1); // no mark: anything passes
  await r.revoke('users:a');
  await assert.rejects(r.assertCurrent('users:a', now - 1), InvalidTokenError);
  await r.assertCurrent('users:a', now); // issued at the mark's own ms: after it
  await r.assertCurrent('members:a', now - 1); // another collection's account with the same id
  assert.equal(await r.validAfter('users:a'), now);
  now += 6_000;
  assert.equal(await r.validAfter('users:a'), undefined, 'gone after its TTL');
});

test('marks live in the given cache under auth:valid-after:<collection>:<id>, with the TTL', async () => {
  const writes: { key: string; value: unknown; ttl?: number }[] = [];
  const store = new Map<string, unknown>();
  const cache = {
    get: async <T>(k: string) => store.get(k) as T | undefined,
    set: async (key: string, value: unknown, o?: { ttl?: number }) => void (writes.push({ key, value, ttl: o?.ttl }), store.set(key, value)),
  };
  let now = 50_000;
  const r = createRevocations({ cache, ttlMs: 990_000, now: () => now });
  await r.revoke('users:b');
  assert.deepEqual(writes, [{ key: validAfterKey('users:b'), value: 50_000, ttl: 990_000 }]);
  assert.equal(validAfterKey('users:b'), 'auth:valid-after:users:b');
  store.set(validAfterKey('users:b'), 70_000); // another instance revoked later
  now = 60_000;
  await r.revoke('users:b');
  assert.equal(store.get(validAfterKey('users:b')), 70_000);
});
