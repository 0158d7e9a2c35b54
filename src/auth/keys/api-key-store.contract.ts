// Contract suite for ApiKeyStore (run from test/auth-tokens.test.ts per adapter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiKeyRecord, ApiKeyStore } from './api-keys.js';

const rec = (id: string, userId: string, createdAt = 1): ApiKeyRecord => ({
  id, userId, name: `key ${id}`, scopes: ['records:read', 'files:*'], secretHash: 'ab'.repeat(32), createdAt,
  expiresAt: null, revokedAt: null, lastUsedAt: null,
});

export function apiKeyStoreContract(name: string, make: () => Promise<ApiKeyStore & { close?(): void }>): void {
  test(`${name}: insert/get/list/revoke/touch`, async () => {
    const s = await make();
    await s.insert(rec('k1', 'u1', 1));
    await s.insert({ ...rec('k2', 'u1', 2), expiresAt: 99 });
    await s.insert(rec('k3', 'u2', 3));
    assert.deepEqual(await s.get('k1'), rec('k1', 'u1', 1));
    assert.equal(await s.get('missing'), undefined);
    assert.deepEqual((await s.listForUser('u1')).map((r) => r.id), ['k1', 'k2']);
    assert.equal((await s.listForUser('u1'))[1].expiresAt, 99);
    await s.revoke('k1', 10);
    await s.revoke('k1', 20);
    assert.equal((await s.get('k1'))?.revokedAt, 10, 'first revocation kept');
    await s.touch('k3', 30);
    assert.equal((await s.get('k3'))?.lastUsedAt, 30);
    const got = (await s.get('k3'))!;
    got.scopes.push('admin');
    assert.deepEqual((await s.get('k3'))!.scopes, ['records:read', 'files:*'], 'returned records are copies');
    s.close?.();
  });
}
