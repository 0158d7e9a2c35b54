import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryRecoveryCodeStore, createRecoveryCodes } from '../src/auth/mfa/mfa-recovery.js';
import { createMemoryTotpStepStore, createTotp } from '../src/auth/mfa/mfa-totp.js';
import { createSqlRecoveryCodeStore, createSqlTotpStepStore } from '../src/data/auth-tables/auth-stores-sql.js';
import { sqliteAuthDb } from './auth-stores-helpers.js';
import { recoveryCodeStoreContract, totpStepStoreContract } from '../src/auth/mfa/mfa-store.contract.js';

totpStepStoreContract('memory TOTP step store', async () => createMemoryTotpStepStore());
totpStepStoreContract('sqlite TOTP step store', async () => createSqlTotpStepStore(await sqliteAuthDb()));
recoveryCodeStoreContract('memory recovery code store', async () => createMemoryRecoveryCodeStore());
recoveryCodeStoreContract('sqlite recovery code store', async () => createSqlRecoveryCodeStore(await sqliteAuthDb()));

const codeAt = (secret: string, ms: number) =>
  new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: ms });

test('TOTP enrolment gives a base32 secret and an otpauth URI', () => {
  const totp = createTotp({ issuer: 'Strata', steps: createMemoryTotpStepStore() });
  const { secret, uri } = totp.enrol('ann@example.com');
  assert.match(secret, /^[A-Z2-7]{32}$/);
  assert.ok(uri.startsWith('otpauth://totp/Strata:ann%40example.com?'));
  assert.match(uri, /secret=[A-Z2-7]+/);
  assert.match(uri, /issuer=Strata/);
});

test('TOTP accepts the current code and ±1 step, refuses ±2 steps and junk', async () => {
  let t = 1_800_000_015_000;
  const totp = createTotp({ issuer: 'Strata', steps: createMemoryTotpStepStore(), now: () => t });
  const { secret } = totp.enrol('a');
  assert.equal(await totp.verify('u-now', secret, codeAt(secret, t)), true);
  assert.equal(await totp.verify('u-prev', secret, codeAt(secret, t - 30_000)), true);
  assert.equal(await totp.verify('u-next', secret, codeAt(secret, t + 30_000)), true);
  assert.equal(await totp.verify('u-old', secret, codeAt(secret, t - 60_000)), false);
  assert.equal(await totp.verify('u-future', secret, codeAt(secret, t + 60_000)), false);
  for (const junk of ['', '12345', '1234567', 'abcdef', '12 34 5x']) assert.equal(await totp.verify('u-j', secret, junk), false);
  assert.equal(await totp.verify('u-bad', 'not base32 !!', '123456'), false);
  const other = totp.enrol('b').secret;
  assert.equal(await totp.verify('u-other', secret, codeAt(other, t)), false, "another account's secret");
  t += 1;
});

test('TOTP replay: the same code (or an older step) is refused after one use', async () => {
  let t = 1_800_000_015_000;
  const totp = createTotp({ issuer: 'Strata', steps: createMemoryTotpStepStore(), now: () => t });
  const { secret } = totp.enrol('a');
  const code = codeAt(secret, t);
  assert.equal(await totp.verify('u1', secret, code), true);
  assert.equal(await totp.verify('u1', secret, code), false, 'replay within the same step');
  t += 30_000;
  assert.equal(await totp.verify('u1', secret, code), false, 'replay in the next step (still inside the window)');
  assert.equal(await totp.verify('u1', secret, codeAt(secret, t - 30_000)), false, 'older step');
  assert.equal(await totp.verify('u1', secret, codeAt(secret, t)), true, 'a fresh step works');
  const [a, b] = await Promise.all([totp.verify('u2', secret, codeAt(secret, t)), totp.verify('u2', secret, codeAt(secret, t))]);
  assert.equal(Number(a) + Number(b), 1, 'concurrent use: exactly one wins');
});

test('recovery codes: single use, hashed, regenerating invalidates the old set', async () => {
  const store = createMemoryRecoveryCodeStore();
  const rc = createRecoveryCodes({ store });
  const codes = await rc.generate('u1');
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const c of codes) assert.match(c, /^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
  assert.equal(await rc.use('u1', codes[0].toUpperCase().replace(/-/g, ' ')), true, 'case and separators ignored');
  assert.equal(await rc.use('u1', codes[0]), false, 'second use refused');
  assert.equal(await rc.use('u2', codes[1]), false, "another account's code");
  assert.equal(await rc.remaining('u1'), 9);
  for (const junk of ['', 'x'.repeat(100), 'aaaa-aaaa-aaaa-aaaa']) assert.equal(await rc.use('u1', junk), false);
  const fresh = await rc.generate('u1', 8);
  assert.equal(await rc.use('u1', codes[1]), false, 'old set invalidated');
  assert.equal(await rc.use('u1', fresh[0]), true);
});
