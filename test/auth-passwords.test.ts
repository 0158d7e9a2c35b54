import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPasswordHasher, OWASP_MIN } from '../src/auth/passwords/password-hash.js';
import { createPasswordPolicy, commonPasswords } from '../src/auth/passwords/password-policy.js';
import { ValidationError } from '../src/core/index.js';

test('argon2id hash verifies the right password and refuses a wrong one', async () => {
  const h = createPasswordHasher();
  const hash = await h.hash('a long passphrase of mine');
  assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  assert.equal(await h.verify(hash, 'a long passphrase of mine'), true);
  assert.equal(await h.verify(hash, 'a long passphrase of minE'), false);
  assert.equal(h.needsRehash(hash), false);
});

test('malformed or foreign stored hashes fail closed', async () => {
  const h = createPasswordHasher();
  assert.equal(await h.verify('', 'x'), false);
  assert.equal(await h.verify('$argon2id$garbage', 'x'), false);
  assert.equal(await h.verify('5f4dcc3b5aa765d61d8327deb882cf99', 'password'), false);
  assert.equal(h.needsRehash('$2b$10$abcdefghijklmnopqrstuu'), true);
});

test('needsRehash when parameters are raised', async () => {
  const old = createPasswordHasher();
  const hash = await old.hash('another passphrase');
  const stronger = createPasswordHasher({ memoryCost: 24_576, timeCost: 3 });
  assert.equal(stronger.needsRehash(hash), true);
  assert.equal(await stronger.verify(hash, 'another passphrase'), true, 'old hashes still verify');
  assert.equal(stronger.needsRehash(await stronger.hash('another passphrase')), false);
});

test('parameters below the OWASP minimum are refused', () => {
  assert.throws(() => createPasswordHasher({ memoryCost: OWASP_MIN.memoryCost - 1 }), RangeError);
  assert.throws(() => createPasswordHasher({ timeCost: 1 }), RangeError);
});

test('dummyVerify returns false (unknown accounts spend an argon2 verify)', async () => {
  assert.equal(await createPasswordHasher().dummyVerify('whatever'), false);
});

test('policy: too short, common, contains the email, weak, and strong passwords', () => {
  const p = createPasswordPolicy();
  assert.deepEqual(p.check('short'), [{ field: 'password', message: 'Must be at least 12 characters long.' }]);
  assert.match(p.check('qwerty123456')[0].message, /common or breached/);
  assert.match(p.check('Password1234')[0].message, /common or breached/, 'case-insensitive');
  assert.match(p.check('johnsmith-has-a-password', ['johnsmith@example.com', 'johnsmith'])[0].message, /email, name/);
  assert.match(p.check('aaaaaaaaaaaaaaaa')[0].message, /Too easy to guess/);
  assert.deepEqual(p.check('violet tractor mumbles over 7 lakes'), []);
  assert.deepEqual(p.check('x'.repeat(10) + 'Q7#kz!pW'), []);
});

test('policy: long passwords up to 256 accepted, maximum cannot be set below 64', () => {
  const p = createPasswordPolicy();
  const long = Array.from({ length: 40 }, (_, i) => `w${i}q`).join('-');
  assert.ok(long.length > 64);
  assert.deepEqual(p.check(long), []);
  assert.match(p.check('Zq9!'.repeat(70))[0].message, /at most 256/);
  assert.throws(() => createPasswordPolicy({ maxLength: 32 }), RangeError);
  assert.throws(() => createPasswordPolicy({ minLength: 4 }), RangeError);
});

test('policy: configurable minimum and assert throws ValidationError with field errors', () => {
  const p = createPasswordPolicy({ minLength: 16 });
  assert.throws(() => p.assert('violet tractor', [], 'newPassword'), (e: unknown) => {
    assert.ok(e instanceof ValidationError);
    assert.equal(e.status, 400);
    assert.deepEqual(e.errors, [{ field: 'newPassword', message: 'Must be at least 16 characters long.' }]);
    return true;
  });
  assert.doesNotThrow(() => p.assert('violet tractor mumbles 7 lakes'));
});

test('bundled common password list is loaded and reasonably sized', () => {
  const list = commonPasswords();
  assert.ok(list.size > 10_000);
  assert.ok(list.has('123456') && list.has('1qaz2wsx3edc') && list.has('passwordpassword'));
});
