// Contract suite every SessionStore must pass (run from test/auth-sessions.test.ts per adapter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SessionRecord, SessionStore } from './session-store.js';

const rec = (userId: string, data: Record<string, unknown> = {}): SessionRecord => ({ userId, collection: 'users', createdAt: 1, lastSeenAt: 1, data });

/** `advance(ms)` moves the store's clock forward (for TTL expiry). */
export function sessionStoreContract(name: string, make: () => Promise<{ store: SessionStore; advance(ms: number): Promise<void> }>): void {
  test(`${name}: set/get/delete and copies, not shared references`, async () => {
    const { store } = await make();
    const r = rec('u1', { cart: [1] });
    await store.set('k1', r, 60_000);
    r.data.cart = [2];
    assert.deepEqual(await store.get('k1'), rec('u1', { cart: [1] }));
    const got = (await store.get('k1'))!;
    (got.data.cart as number[]).push(9);
    assert.deepEqual((await store.get('k1'))!.data, { cart: [1] });
    await store.delete('k1');
    assert.equal(await store.get('k1'), undefined);
    await store.delete('never-existed');
  });
  test(`${name}: entries expire after their TTL`, async () => {
    const { store, advance } = await make();
    await store.set('k1', rec('u1'), 1_000);
    await advance(999);
    assert.ok(await store.get('k1'));
    await advance(2);
    assert.equal(await store.get('k1'), undefined);
  });
  test(`${name}: deleteAllForUser removes only that user's sessions`, async () => {
    const { store } = await make();
    await store.set('a', rec('u1'), 60_000);
    await store.set('b', rec('u1'), 60_000);
    await store.set('c', rec('u2'), 60_000);
    await store.deleteAllForUser('u1');
    assert.equal(await store.get('a'), undefined);
    assert.equal(await store.get('b'), undefined);
    assert.ok(await store.get('c'));
    await store.deleteAllForUser('nobody');
    assert.ok(await store.get('c'));
    await store.set('a', rec('u1'), 60_000);
    assert.ok(await store.get('a'), 'a new session after log-out-everywhere works');
  });
}
