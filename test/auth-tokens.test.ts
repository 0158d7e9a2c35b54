import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT, generateKeyPair, exportJWK, base64url } from 'jose';
import { createAccessTokens } from '../src/auth/tokens/token-access.js';
import { createApiKeys, createMemoryApiKeyStore } from '../src/auth/keys/api-keys.js';
import { keyIdsPositional } from '../src/cli/keys-command.js';
import { parseArgs } from 'node:util';
import { createKeyRing, type KeyRing } from '../src/auth/tokens/token-keys.js';
import { createMemoryRefreshStore } from '../src/auth/tokens/refresh-store.js';
import { createRefreshTokens } from '../src/auth/tokens/refresh-tokens.js';
import { createSqlRefreshStore } from '../src/data/auth-tables/auth-stores-sql.js';
import { InvalidTokenError } from '../src/auth/index.js';
import { refreshStoreContract } from '../src/auth/tokens/refresh-store.contract.js';
import { apiKeyStoreContract } from '../src/auth/keys/api-key-store.contract.js';
import { createSqlApiKeyStore } from '../src/data/auth-tables/auth-stores-sql.js';
import { sqliteAuthDb } from './auth-stores-helpers.js';
import { ForbiddenError } from '../src/core/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'strata-auth-'));
const clock = (start = 1_800_000_000) => { const c = { t: start, now: () => c.t }; return c; };
const isInvalid = (e: unknown) => e instanceof InvalidTokenError && e.status === 401;

test('key ring: generated on first use, files 0600 in a 0700 dir, reloaded by a second ring', async () => {
  const dir = join(tmp(), 'keys');
  const ring = createKeyRing({ dir, retainSeconds: 960 });
  const [a, b] = await Promise.all([ring.signingKey(), ring.signingKey()]);
  assert.equal(a.kid, b.kid, 'concurrent first use makes one key');
  const files = readdirSync(dir);
  assert.equal(files.length, 1);
  assert.equal(statSync(join(dir, files[0])).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  const again = createKeyRing({ dir, retainSeconds: 960 });
  assert.equal((await again.signingKey()).kid, a.kid);
  rmSync(dir, { recursive: true, force: true });
});

test('key ring: rotation keeps the old public key for verification until its tokens expire', async () => {
  const c = clock();
  const dir = join(tmp(), 'keys');
  const ring = createKeyRing({ dir, retainSeconds: 960, now: c.now });
  const at = createAccessTokens({ keys: ring, issuer: 'https://strata.test', audience: 'strata', ttlSeconds: 900, now: c.now });
  const { token: oldToken } = await at.issue({ sub: 'u1' });
  const oldKid = (await ring.signingKey()).kid;
  const newKid = await ring.rotate();
  assert.notEqual(newKid, oldKid);
  const jwks = await ring.jwks();
  assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [oldKid, newKid].sort());
  for (const k of jwks.keys) {
    assert.equal(k.d, undefined, 'no private part in JWKS');
    assert.equal(k.alg, 'EdDSA');
    assert.equal(k.use, 'sig');
  }
  assert.equal((await at.verify(oldToken)).sub, 'u1');
  const { token: newToken } = await at.issue({ sub: 'u2' });
  assert.equal(JSON.parse(Buffer.from(newToken.split('.')[0], 'base64url').toString()).kid, newKid);
  c.t += 961;
  assert.deepEqual((await ring.jwks()).keys.map((k) => k.kid), [newKid]);
  assert.equal(readdirSync(dir).length, 1, 'retired key file removed');
  rmSync(dir, { recursive: true, force: true });
});

async function setup(alg: 'EdDSA' | 'ES256' = 'EdDSA') {
  const c = clock();
  const ring = createKeyRing({ alg, retainSeconds: 960, now: c.now });
  const at = createAccessTokens({ keys: ring, issuer: 'https://strata.test', audience: 'strata', ttlSeconds: 900, clockToleranceSeconds: 30, now: c.now });
  return { c, ring, at };
}

for (const alg of ['EdDSA', 'ES256'] as const) {
  test(`access token (${alg}): issue and verify`, async () => {
    const { at } = await setup(alg);
    const { token, expiresAt } = await at.issue({ sub: 'user-1', col: 'users', scope: 'records:read', extra: { sub: 'evil', role: 'x' } });
    const claims = await at.verify(token);
    assert.equal(claims.sub, 'user-1', 'extra cannot override reserved claims');
    assert.equal(claims.col, 'users');
    assert.equal(claims.scope, 'records:read');
    assert.equal(claims.role, 'x');
    assert.equal(claims.exp, expiresAt);
  });
}

const b64 = (o: object) => base64url.encode(JSON.stringify(o));

test('access token attacks: alg none, HS256 key confusion, wrong alg, wrong key, unknown kid, tampering', async () => {
  const { c, ring, at } = await setup();
  const { kid } = await ring.signingKey();
  const { token } = await at.issue({ sub: 'u1' });
  const [h, p] = token.split('.');
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString());

  const none = new UnsecuredJWT({ ...payload }).encode();
  await assert.rejects(at.verify(none), isInvalid, 'alg none (jose encoder)');
  await assert.rejects(at.verify(`${b64({ alg: 'none', kid, typ: 'at+jwt' })}.${p}.`), isInvalid, 'alg none (hand-made)');
  await assert.rejects(at.verify(`${b64({ alg: 'None', kid, typ: 'at+jwt' })}.${p}.`), isInvalid, 'alg None');

  // HS256 signed with the public key bytes as the HMAC secret (classic key-confusion).
  const pub = (await ring.jwks()).keys[0];
  const hs = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' }).sign(new TextEncoder().encode(JSON.stringify(pub)));
  await assert.rejects(at.verify(hs), isInvalid, 'HS256 with the public key');
  const hs2 = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256', kid, typ: 'at+jwt' }).sign(base64url.decode(pub.x!));
  await assert.rejects(at.verify(hs2), isInvalid, 'HS256 with raw public key bytes');

  const es = await generateKeyPair('ES256');
  const wrongAlg = await new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid, typ: 'at+jwt' }).sign(es.privateKey);
  await assert.rejects(at.verify(wrongAlg), isInvalid, 'ES256 when EdDSA is configured');

  const other = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const wrongKey = await new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' }).sign(other.privateKey);
  await assert.rejects(at.verify(wrongKey), isInvalid, 'right kid, attacker key');
  const unknownKid = await new SignJWT(payload).setProtectedHeader({ alg: 'EdDSA', kid: 'attacker', typ: 'at+jwt' }).sign(other.privateKey);
  await assert.rejects(at.verify(unknownKid), isInvalid, 'unknown kid');
  const jwkHeader = await new SignJWT(payload)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', jwk: await exportJWK(other.publicKey) })
    .sign(other.privateKey);
  await assert.rejects(at.verify(jwkHeader), isInvalid, 'embedded jwk header is not trusted');

  const tampered = `${h}.${b64({ ...payload, sub: 'admin' })}.${token.split('.')[2]}`;
  await assert.rejects(at.verify(tampered), isInvalid, 'payload tampering');
  for (const junk of ['', 'a.b', 'a.b.c', token + 'x', 'x'.repeat(10_000)]) await assert.rejects(at.verify(junk), isInvalid);
  assert.equal((await at.verify(token)).sub, 'u1', 'control: the genuine token still verifies');
  void c;
});

test('access token claims: expired, not yet valid, wrong issuer/audience/typ', async () => {
  const { c, ring, at } = await setup();
  const { token } = await at.issue({ sub: 'u1' });
  c.t += 900 + 29;
  assert.equal((await at.verify(token)).sub, 'u1', 'within clock tolerance');
  c.t += 2;
  await assert.rejects(at.verify(token), isInvalid, 'expired');

  const { kid, key } = await ring.signingKey();
  const sign = (p: Record<string, unknown>, typ = 'at+jwt') => new SignJWT(p).setProtectedHeader({ alg: 'EdDSA', kid, typ }).sign(key);
  const base = { sub: 'u1', iss: 'https://strata.test', aud: 'strata', iat: c.t, exp: c.t + 600 };
  assert.equal((await at.verify(await sign(base))).sub, 'u1', 'control');
  await assert.rejects(at.verify(await sign({ ...base, nbf: c.t + 120 })), isInvalid, 'not yet valid');
  await assert.rejects(at.verify(await sign({ ...base, iss: 'https://evil.test' })), isInvalid, 'issuer');
  await assert.rejects(at.verify(await sign({ ...base, aud: 'other' })), isInvalid, 'audience');
  await assert.rejects(at.verify(await sign(base, 'JWT')), isInvalid, 'typ (an ID token is not an access token)');
  const { exp: _e, ...noExp } = base;
  await assert.rejects(at.verify(await sign(noExp)), isInvalid, 'missing exp');
});

refreshStoreContract('memory refresh store', async () => createMemoryRefreshStore());
refreshStoreContract('sqlite refresh store', async () => createSqlRefreshStore(await sqliteAuthDb()));

for (const [name, make] of [
  ['memory', async () => createMemoryRefreshStore()],
  ['sqlite', async () => createSqlRefreshStore(await sqliteAuthDb())],
] as const) {
  test(`refresh tokens (${name}): rotation, reuse revokes the family, expiry, logout`, async () => {
    const c = clock();
    const reuses: string[] = [];
    const rt = createRefreshTokens({ store: await make(), ttlSeconds: 3600, now: c.now, onReuse: (i) => reuses.push(i.familyId) });
    const t0 = await rt.issue('u1');
    const t1 = await rt.rotate(t0.token);
    assert.equal(t1.familyId, t0.familyId);
    assert.notEqual(t1.token, t0.token);
    const t2 = await rt.rotate(t1.token);

    // Replay of t0 (already used): family revoked, so the current t2 dies too.
    await assert.rejects(rt.rotate(t0.token), isInvalid);
    assert.deepEqual(reuses, [t0.familyId]);
    await assert.rejects(rt.rotate(t2.token), isInvalid, 'legitimate holder must log in again');

    // Other families unaffected; expiry; logout; log out everywhere.
    const other = await rt.issue('u1');
    c.t += 3601;
    await assert.rejects(rt.rotate(other.token), isInvalid, 'expired');
    const a = await rt.issue('u1');
    await rt.revoke(a.token);
    await assert.rejects(rt.rotate(a.token), isInvalid, 'revoked on logout');
    const b = await rt.issue('u1');
    const d = await rt.issue('u2');
    await rt.revokeUser('u1');
    await assert.rejects(rt.rotate(b.token), isInvalid);
    assert.equal((await rt.rotate(d.token)).userId, 'u2');
    for (const junk of ['', 'short', 'x'.repeat(43), 'x'.repeat(1000)]) await assert.rejects(rt.rotate(junk), isInvalid);
  });

  test(`refresh tokens (${name}): two concurrent exchanges of one token, at most one wins and the family dies`, async () => {
    const rt = createRefreshTokens({ store: await make() });
    const t0 = await rt.issue('u1');
    const results = await Promise.allSettled([rt.rotate(t0.token), rt.rotate(t0.token)]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    assert.equal(ok.length, 1);
    await assert.rejects(rt.rotate((ok[0] as PromiseFulfilledResult<{ token: string }>).value.token), isInvalid);
  });
}

test('refresh tokens are stored hashed only', async () => {
  const store = createMemoryRefreshStore();
  const rt = createRefreshTokens({ store });
  const t = await rt.issue('u1');
  const { sha256Hex } = await import('../src/auth/tokens/token-hash.js');
  assert.equal((await store.get(t.token)), undefined);
  assert.equal((await store.get(sha256Hex(t.token)))?.userId, 'u1');
});

apiKeyStoreContract('memory API key store', async () => createMemoryApiKeyStore());
apiKeyStoreContract('sqlite API key store', async () => createSqlApiKeyStore(await sqliteAuthDb()));

test('API keys: shown once, hashed, scoped, revocable, expiring; forgeries refused', async () => {
  const c = clock();
  const store = createMemoryApiKeyStore();
  const keys = createApiKeys({ store, now: c.now });
  const { key, record } = await keys.create({ userId: 'u1', name: 'ci', scopes: ['records:read'], ttlSeconds: 3600 });
  assert.match(key, /^sk_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/);
  const stored = await store.get(record.id);
  assert.ok(stored && !JSON.stringify(stored).includes(key.split('_').slice(2).join('_')), 'secret not stored');
  assert.equal((await keys.verify(key, 'records:read')).userId, 'u1');
  await assert.rejects(keys.verify(key, 'records:write'), (e: unknown) => e instanceof ForbiddenError);

  const secretStart = 3 + 12 + 1;
  const flipped = key.slice(0, secretStart) + (key[secretStart] === 'A' ? 'B' : 'A') + key.slice(secretStart + 1);
  await assert.rejects(keys.verify(flipped), isInvalid, 'wrong secret');
  await assert.rejects(keys.verify(`sk_${'A'.repeat(12)}_${key.slice(secretStart)}`), isInvalid, 'unknown id');
  for (const junk of ['', 'sk_', key + 'x', key.toUpperCase()]) await assert.rejects(keys.verify(junk), isInvalid);
  assert.ok((await store.get(record.id))?.lastUsedAt);

  c.t += 3600;
  await assert.rejects(keys.verify(key), isInvalid, 'expired');
  const k2 = await keys.create({ userId: 'u1', name: 'x', scopes: ['*'] });
  assert.ok(await keys.verify(k2.key, 'anything'));
  await keys.revoke(k2.record.id);
  await assert.rejects(keys.verify(k2.key), isInvalid, 'revoked');
  await assert.rejects(keys.create({ userId: 'u1', name: 'x', scopes: ['DROP TABLE'] }), RangeError);
});

test('API key ids never begin with - or _ (a CLI argument must not read as an option); older ones stay revocable by the CLI', async () => {
  const keys = createApiKeys({ store: createMemoryApiKeyStore() });
  // with 2 of 64 first characters bad, 400 ids all passing by chance is below 1 in 300,000
  for (let i = 0; i < 400; i++) {
    const { record } = await keys.create({ userId: 'u1', name: `k${i}`, scopes: ['*'] });
    assert.match(record.id, /^[A-Za-z0-9][A-Za-z0-9_-]{11}$/);
  }
  const args = keyIdsPositional(['revoke', '-sQ3x9abcdef', '--account', 'a@b.c', '-d', '/tmp/x', '_Q3x9abcdefg']);
  const { values, positionals } = parseArgs({ args, allowPositionals: true, strict: true, options: { account: { type: 'string' }, 'data-dir': { type: 'string', short: 'd' } } });
  assert.deepEqual(positionals, ['revoke', '_Q3x9abcdefg', '-sQ3x9abcdef']);
  assert.deepEqual({ ...values }, { account: 'a@b.c', 'data-dir': '/tmp/x' });
  assert.deepEqual(keyIdsPositional(['list', '-h']), ['list', '-h']);
  // the command's own 12-character options and option values stay where they are
  assert.deepEqual(keyIdsPositional(['rotate', '--no-new-key', '--batch', '5']), ['rotate', '--no-new-key', '--batch', '5']);
  assert.deepEqual(keyIdsPositional(['list', '--account', '-abcdefghijk']), ['list', '--account', '-abcdefghijk']);
});

test('key ring: two processes on one key directory verify each other\'s tokens (first-use race, rotation)', async () => {
  const dir = join(tmp(), 'keys');
  const mk = () => {
    const keys = createKeyRing({ dir, retainSeconds: 960 });
    return { keys, at: createAccessTokens({ keys, issuer: 'i', audience: 'a' }) };
  };
  const a = mk();
  const b = mk();
  // Both make their own first key without seeing the other's.
  const [ta, tb] = await Promise.all([a.at.issue({ sub: 'from-a' }), b.at.issue({ sub: 'from-b' })]);
  assert.equal((await b.at.verify(ta.token)).sub, 'from-a');
  assert.equal((await a.at.verify(tb.token)).sub, 'from-b');
  await a.keys.rotate();
  const tc = await a.at.issue({ sub: 'after-rotation' });
  assert.equal((await b.at.verify(tc.token)).sub, 'after-rotation', 'B picks up A\'s new key');
  await assert.rejects(b.at.verify(tc.token.slice(0, -2) + 'xx'), isInvalid);
  rmSync(dir, { recursive: true, force: true });
});

test('a verified token is remembered only until it expires', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-keys-'));
  try {
    let t = 1_900_000_000;
    const keys = createKeyRing({ dir, alg: 'EdDSA', retainSeconds: 960 });
    const tokens = createAccessTokens({ keys, issuer: 'i', audience: 'a', ttlSeconds: 60, clockToleranceSeconds: 5, now: () => t });
    const { token } = await tokens.issue({ sub: 'u1', col: 'users' });
    assert.equal((await tokens.verify(token)).sub, 'u1');
    t += 30;
    assert.equal((await tokens.verify(token)).sub, 'u1', 'still valid (from the cache)');
    t += 40; // past exp + tolerance
    await assert.rejects(tokens.verify(token), (e: Error) => e.name === 'InvalidTokenError');
    await assert.rejects(tokens.verify(token + 'x'), (e: Error) => e.name === 'InvalidTokenError');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
