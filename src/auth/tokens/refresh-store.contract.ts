// Contract suite every RefreshTokenStore must pass (run from test/auth-tokens.test.ts per adapter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RefreshTokenRecord, RefreshTokenStore } from './refresh-store.js';

const rec = (hash: string, familyId: string, userId: string, expiresAt = 2000): RefreshTokenRecord => ({
  hash, familyId, userId, createdAt: 1000, expiresAt, usedAt: null, revokedAt: null,
});

export function refreshStoreContract(name: string, make: () => Promise<RefreshTokenStore & { close?(): void }>): void {
  test(`${name}: insert/get round-trips and unknown hashes are undefined`, async () => {
    const s = await make();
    await s.insert(rec('h1', 'f1', 'u1'));
    assert.deepEqual(await s.get('h1'), rec('h1', 'f1', 'u1'));
    assert.equal(await s.get('nope'), undefined);
    await assert.rejects(() => s.insert(rec('h1', 'f2', 'u2')), 'duplicate hash refused');
    s.close?.();
  });
  test(`${name}: markUsed succeeds exactly once`, async () => {
    const s = await make();
    await s.insert(rec('h1', 'f1', 'u1'));
    const [first, second] = await Promise.all([s.markUsed('h1', 1500), s.markUsed('h1', 1501)]);
    assert.deepEqual([first, second].sort(), [false, true]);
    // Either may reach the database first (a pool runs them on two connections): the winner's time is kept.
    assert.equal((await s.get('h1'))?.usedAt, first ? 1500 : 1501);
    assert.equal(await s.markUsed('missing', 1), false);
    s.close?.();
  });
  test(`${name}: revokeFamily and revokeUser touch only their rows`, async () => {
    const s = await make();
    await s.insert(rec('a', 'f1', 'u1'));
    await s.insert(rec('b', 'f1', 'u1'));
    await s.insert(rec('c', 'f2', 'u1'));
    await s.insert(rec('d', 'f3', 'u2'));
    await s.revokeFamily('f1', 1600);
    assert.equal((await s.get('a'))?.revokedAt, 1600);
    assert.equal((await s.get('b'))?.revokedAt, 1600);
    assert.equal((await s.get('c'))?.revokedAt, null);
    await s.revokeUser('u1', 1700);
    assert.equal((await s.get('a'))?.revokedAt, 1600, 'first revocation time kept');
    assert.equal((await s.get('c'))?.revokedAt, 1700);
    assert.equal((await s.get('d'))?.revokedAt, null);
    s.close?.();
  });
  test(`${name}: deleteExpired removes only expired rows`, async () => {
    const s = await make();
    await s.insert(rec('old', 'f1', 'u1', 1000));
    await s.insert(rec('new', 'f1', 'u1', 3000));
    assert.equal(await s.deleteExpired(1000), 1);
    assert.equal(await s.get('old'), undefined);
    assert.ok(await s.get('new'));
    s.close?.();
  });
}
