// The auth store contracts against the data layer's database on SQLite, PostgreSQL and MariaDB, plus
// concurrency checks for the atomic operations (refresh reuse detection, single-use tokens) across connections.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { refreshStoreContract } from '../src/auth/tokens/refresh-store.contract.js';
import { apiKeyStoreContract } from '../src/auth/keys/api-key-store.contract.js';
import { recoveryCodeStoreContract, totpStepStoreContract } from '../src/auth/mfa/mfa-store.contract.js';
import { createSqlAuthStores } from '../src/data/auth-tables/auth-stores-sql.js';
import { authTableDdl, ensureAuthTables } from '../src/data/auth-tables/auth-store-schema.js';
import { createOneTimeTokens } from '../src/auth/tokens/one-time-tokens.js';
import { createRefreshTokens } from '../src/auth/tokens/refresh-tokens.js';
import { InvalidTokenError } from '../src/auth/index.js';
import { sha256Hex } from '../src/auth/tokens/token-hash.js';
import { authEngines } from './auth-stores-helpers.js';

const engines = await authEngines();
after(async () => {
  for (const e of engines) await e.close();
});

for (const e of engines) {
  const stores = async () => createSqlAuthStores(await e.fresh());
  describe(`${e.name} auth stores`, { skip: e.skip }, () => {
    refreshStoreContract(`${e.name} refresh store`, async () => (await stores()).refresh);
    apiKeyStoreContract(`${e.name} API key store`, async () => (await stores()).apiKeys);
    totpStepStoreContract(`${e.name} TOTP step store`, async () => (await stores()).totpSteps);
    recoveryCodeStoreContract(`${e.name} recovery code store`, async () => (await stores()).recoveryCodes);

    test(`${e.name}: creating the tables twice (and concurrently) is harmless`, async () => {
      const ctx = await e.fresh();
      await Promise.all([ensureAuthTables(ctx), ensureAuthTables(ctx)]);
      assert.ok(authTableDdl(ctx.dialect, ctx.names).every((s) => s.includes('IF NOT EXISTS')));
    });

    test(`${e.name}: a replayed refresh token revokes its family, also when the exchanges race`, async () => {
      const s = await stores();
      const tokens = createRefreshTokens({ store: s.refresh, ttlSeconds: 3600 });
      const a = await tokens.issue('u1');
      const b = await tokens.rotate(a.token);
      await assert.rejects(() => tokens.rotate(a.token), InvalidTokenError, 'replay refused');
      await assert.rejects(() => tokens.rotate(b.token), InvalidTokenError, 'the replay revoked the rotated token too');

      // Racing exchanges of one token: the conditional UPDATE lets at most one win, the others count as reuse,
      // and no token minted in the race survives the family's revocation.
      const first = await tokens.issue('u2');
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => tokens.rotate(first.token)));
      assert.ok(results.filter((r) => r.status === 'fulfilled').length <= 1);
      assert.ok(results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason instanceof InvalidTokenError));
      for (const r of results) {
        if (r.status === 'fulfilled') await assert.rejects(() => tokens.rotate(r.value.token), InvalidTokenError);
      }
      assert.notEqual((await s.refresh.get(sha256Hex(first.token)))?.revokedAt, null);
      const other = await tokens.issue('u3');
      assert.ok(await tokens.rotate(other.token), 'other families are untouched');
    });

    test(`${e.name}: a one-time token consumed concurrently is honoured once; expired and wrong-purpose tokens fail`, async () => {
      const s = await stores();
      let clock = 1_000_000;
      const ott = createOneTimeTokens({ store: s.oneTime, now: () => clock });
      const tok = await ott.issue('password-reset', 'u1', 600);
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => ott.consume('password-reset', tok)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal((results.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<string>).value, 'u1');
      const other = await ott.issue('email-verify', 'u2', 600);
      await assert.rejects(() => ott.consume('password-reset', other), InvalidTokenError);
      assert.equal(await ott.consume('email-verify', other), 'u2', 'a wrong-purpose attempt does not burn the token');
      const old = await ott.issue('email-verify', 'u3', 60);
      clock += 61;
      await assert.rejects(() => ott.consume('email-verify', old), InvalidTokenError);
      const a = await ott.issue('email-verify', 'u4', 600);
      await ott.issue('email-verify', 'u4', 600);
      await assert.rejects(() => ott.consume('email-verify', a), InvalidTokenError, 'a newer token voids the older');
    });
  });
}
