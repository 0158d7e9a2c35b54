import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryOneTimeTokenStore, createOneTimeTokens } from '../src/auth/tokens/one-time-tokens.js';
import { createSqlOneTimeTokenStore } from '../src/data/auth-tables/auth-stores-sql.js';
import { InvalidTokenError, type OneTimeTokenStore } from '../src/auth/index.js';
import { sha256Hex } from '../src/auth/tokens/token-hash.js';
import { sqliteAuthDb } from './auth-stores-helpers.js';

const isInvalid = (e: unknown) => e instanceof InvalidTokenError;
const stores: [string, () => OneTimeTokenStore | Promise<OneTimeTokenStore>][] = [
  ['memory', () => createMemoryOneTimeTokenStore()],
  ['sqlite', async () => createSqlOneTimeTokenStore(await sqliteAuthDb())],
];

for (const [name, make] of stores) {
  test(`one-time tokens (${name}): single use, expiring, purpose-bound, newest only, hashed`, async () => {
    let t = 1_800_000_000;
    const store = await make();
    const ott = createOneTimeTokens({ store, now: () => t });
    const reset = await ott.issue('password-reset', 'u1', 3600);
    assert.match(reset, /^[A-Za-z0-9_-]{43}$/);
    await assert.rejects(ott.consume('email-verify', reset), isInvalid, 'wrong purpose');
    assert.equal(await ott.consume('password-reset', reset), 'u1', 'a wrong-purpose attempt does not burn it');
    await assert.rejects(ott.consume('password-reset', reset), isInvalid, 'second use');

    const old = await ott.issue('password-reset', 'u1', 3600);
    const verify = await ott.issue('email-verify', 'u1', 3600);
    const newer = await ott.issue('password-reset', 'u1', 3600);
    await assert.rejects(ott.consume('password-reset', old), isInvalid, 'superseded by a newer link');
    assert.equal(await ott.consume('email-verify', verify), 'u1', 'other purposes untouched');
    t += 3600;
    await assert.rejects(ott.consume('password-reset', newer), isInvalid, 'expired');

    const other = await ott.issue('password-reset', 'u2', 60);
    assert.equal(await store.consume(other, 'password-reset', t), undefined, 'the raw token is not a key');
    assert.equal((await store.consume(sha256Hex(other), 'password-reset', t))?.subject, 'u2');
    for (const junk of ['', 'x', 'A'.repeat(43), reset + 'x']) await assert.rejects(ott.consume('password-reset', junk), isInvalid);

    const race = await ott.issue('email-verify', 'u3', 60);
    const results = await Promise.allSettled([ott.consume('email-verify', race), ott.consume('email-verify', race)]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'concurrent use: exactly one wins');
  });
}
