// Contract suites for TotpStepStore and RecoveryCodeStore (run from test/auth-mfa.test.ts per adapter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RecoveryCodeStore } from './mfa-recovery.js';
import type { TotpStepStore } from './mfa-totp.js';

export function totpStepStoreContract(name: string, make: () => Promise<TotpStepStore & { close?(): void }>): void {
  test(`${name}: advance accepts only increasing steps, per account; reset forgets`, async () => {
    const s = await make();
    assert.equal(await s.advance('a', 100), true);
    assert.equal(await s.advance('a', 100), false, 'same step');
    assert.equal(await s.advance('a', 99), false, 'older step');
    assert.equal(await s.advance('b', 100), true, 'other account');
    assert.equal(await s.advance('a', 101), true);
    const both = await Promise.all([s.advance('a', 102), s.advance('a', 102)]);
    assert.deepEqual(both.sort(), [false, true]);
    await s.reset('a');
    assert.equal(await s.advance('a', 50), true);
    s.close?.();
  });
}

export function recoveryCodeStoreContract(name: string, make: () => Promise<RecoveryCodeStore & { close?(): void }>): void {
  test(`${name}: replace, consume once, count, per account`, async () => {
    const s = await make();
    await s.replace('a', ['h1', 'h2', 'h3']);
    await s.replace('b', ['h1']);
    assert.equal(await s.remaining('a'), 3);
    assert.equal(await s.consume('a', 'h1'), true);
    assert.equal(await s.consume('a', 'h1'), false);
    assert.equal(await s.consume('a', 'nope'), false);
    assert.equal(await s.remaining('a'), 2);
    assert.equal(await s.remaining('b'), 1, 'other account untouched');
    const both = await Promise.all([s.consume('a', 'h2'), s.consume('a', 'h2')]);
    assert.deepEqual(both.sort(), [false, true]);
    await s.replace('a', ['x']);
    assert.equal(await s.consume('a', 'h3'), false, 'old set gone');
    assert.equal(await s.remaining('a'), 1);
    assert.equal(await s.remaining('nobody'), 0);
    s.close?.();
  });
}
