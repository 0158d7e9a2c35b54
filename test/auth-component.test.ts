import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { loadConfig } from '../src/config/index.js';
import { authComponent } from '../src/auth/index.js';
import { authDeps } from './auth-stores-helpers.js';
import { jwksRoutes } from '../src/api/index.js';

test('auth component from config: keys in <dataDir>/keys (0600), services work end to end, restart keeps keys', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-authc-'));
  try {
    const { config } = loadConfig({ cwd: dataDir, env: { STRATA_AUTH_TOKENS_ALG: 'ES256', STRATA_AUTH_PASSWORDS_MIN_LENGTH: '14' } });
    assert.equal(config.auth.tokens.accessTtl, 900);
    const auth = authComponent(config.auth, await authDeps(dataDir));
    assert.throws(() => auth.services, /before start/);
    await auth.start?.();
    const s = auth.services;
    const keyDir = join(dataDir, 'keys');
    for (const f of readdirSync(keyDir)) assert.equal(statSync(join(keyDir, f)).mode & 0o777, 0o600, f);
    assert.equal(statSync(keyDir).mode & 0o777, 0o700);

    assert.match(s.policy.check('violet tract!')[0].message, /at least 14/);
    const { token } = await s.accessTokens.issue({ sub: 'u1' });
    assert.equal((await s.accessTokens.verify(token)).sub, 'u1');
    const r = await s.refreshTokens.issue('u1');
    assert.equal((await s.refreshTokens.rotate(r.token)).userId, 'u1');
    const sess = await s.sessions.create({ userId: 'u1', collection: 'users' });
    assert.ok(s.csrf.verify(sess.id, s.csrf.issue(sess.id)));
    assert.equal(s.sessionCookie(true).name, '__Host-strata_session');
    const enc = s.fieldCipher.encrypt('x', 'a');
    const { key } = await s.apiKeys.create({ userId: 'u1', name: 'ci', scopes: ['records:read'] });
    const codes = await s.recoveryCodes.generate('u1');
    const resetToken = await s.oneTimeTokens.issue('password-reset', 'u1', 600);
    await auth.stop?.();

    const again = authComponent(config.auth, await authDeps(dataDir));
    await again.start?.();
    assert.equal((await again.services.accessTokens.verify(token)).sub, 'u1', 'signing key survives restart');
    assert.equal(again.services.fieldCipher.decrypt(enc, 'a'), 'x', 'field key survives restart');
    assert.equal((await again.services.refreshTokens.rotate(r.token).catch((e: Error) => e.name)), 'InvalidTokenError', 'used token stays used (SQLite)');
    assert.equal((await again.services.apiKeys.verify(key, 'records:read')).userId, 'u1', 'API key persisted');
    assert.equal(await again.services.recoveryCodes.use('u1', codes[0]), true, 'recovery codes persisted');
    assert.equal(await again.services.recoveryCodes.remaining('u1'), 9);
    assert.equal(await again.services.oneTimeTokens.consume('password-reset', resetToken), 'u1', 'reset token persisted');
    const envKey = authComponent(config.auth, await authDeps(dataDir, { env: { STRATA_ENCRYPTION_KEY: randomBytes(32).toString('base64') } }));
    await envKey.start?.();
    assert.throws(() => envKey.services.fieldCipher.decrypt(enc, 'a'), /could not be decrypted/);
    await envKey.stop?.();
    await again.stop?.();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('JWKS route on a real socket verifies tokens; no private key material is served', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-authc-'));
  const { config } = loadConfig({ cwd: dataDir, env: {} });
  const auth = authComponent(config.auth, await authDeps(dataDir));
  await auth.start?.();
  const app = Fastify();
  await app.register(jwksRoutes(auth.services.keys));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const { token } = await auth.services.accessTokens.issue({ sub: 'u9' });
    await auth.services.keys.rotate();
    const res = await fetch(`${url}/.well-known/jwks.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/jwk-set\+json/);
    assert.match(res.headers.get('cache-control') ?? '', /max-age=300/);
    const text = await res.text();
    assert.ok(!/"d"\s*:/.test(text), 'no private exponent');
    const jwks = JSON.parse(text) as { keys: { kid: string; kty: string; crv: string }[] };
    assert.equal(jwks.keys.length, 2, 'retired key still published after rotation');
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]), { issuer: 'strata', audience: 'strata' });
    assert.equal(payload.sub, 'u9', 'a third party can verify with the published JWKS');
  } finally {
    await app.close();
    await auth.stop?.();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const { unreachable } = await import('../src/cache/testing.js');
test('throttle on Redis holds across two instances', { skip: await unreachable(6379) }, async () => {
  const dirs = [mkdtempSync(join(tmpdir(), 'strata-authc-')), mkdtempSync(join(tmpdir(), 'strata-authc-'))];
  const comps = await Promise.all(dirs.map(async (dataDir) => {
    const { config } = loadConfig({ cwd: dataDir, env: { STRATA_AUTH_THROTTLE_STORE: 'redis' } });
    return authComponent(config.auth, await authDeps(dataDir));
  }));
  const account = `acct-${randomBytes(6).toString('hex')}`;
  try {
    for (const c of comps) await c.start?.();
    const [a, b] = comps.map((c) => c.services.throttle);
    for (let i = 0; i < 3; i++) await (await a.acquire(account, '192.0.2.1')).fail();
    await assert.rejects(b.acquire(account, '198.51.100.7'), (e: Error) => e.name === 'TooManyAttemptsError', 'instance B sees A\'s failures');
    const { setTimeout: sleep } = await import('node:timers/promises');
    await sleep(1100);
    await (await b.acquire(account, '192.0.2.1')).succeed();
    await (await a.acquire(account, '198.51.100.7')).fail();
  } finally {
    for (const c of comps) await c.stop?.();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    const { Redis } = await import('ioredis');
    const r = new Redis('redis://127.0.0.1:6379');
    await r.del(`strata:auth:throttle:acct:${account}`, 'strata:auth:throttle:ip:192.0.2.1', 'strata:auth:throttle:ip:198.51.100.7');
    await r.quit();
  }
});
