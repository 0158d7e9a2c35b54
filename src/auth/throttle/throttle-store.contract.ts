// Contract suite every AttemptStore must pass (run from test/auth-throttle.test.ts per adapter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AttemptStore } from './throttle-store.js';

/** `make(now)` builds a store on the given clock; `close` is optional. */
export function attemptStoreContract(name: string, make: (now: () => number) => Promise<AttemptStore & { close?(): Promise<void> | void }>): void {
  test(`${name}: counts failures, keeps the latest time, resets, expires`, async () => {
    let t = 1_800_000_000_000;
    const s = await make(() => t);
    try {
      assert.equal(await s.get('k'), undefined);
      assert.deepEqual(await s.recordFailure('k', t, 10_000), { failures: 1, lastFailureAt: t, previousAt: null });
      t += 5;
      assert.deepEqual(await s.recordFailure('k', t, 10_000), { failures: 2, lastFailureAt: t, previousAt: t - 5 });
      assert.deepEqual(await s.get('k'), { failures: 2, lastFailureAt: t });
      assert.equal(await s.get('other'), undefined);
      const all = await Promise.all(Array.from({ length: 10 }, () => s.recordFailure('c', t, 10_000)));
      assert.deepEqual(all.map((r) => r.failures).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'atomic increments');
      await s.undo('c');
      assert.equal((await s.get('c'))?.failures, 9, 'undo takes one back');
      const mixed = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? s.undo('c') : s.recordFailure('c', t, 10_000))));
      assert.equal(mixed.length, 20);
      assert.equal((await s.get('c'))?.failures, 9, 'concurrent increments and undos balance');
      await s.undo('nothing-here');
      assert.equal(await s.get('nothing-here'), undefined, 'undo of nothing makes nothing');
      await s.reset('k');
      assert.equal(await s.get('k'), undefined);
      await s.recordFailure('e', t, 1_000);
      t += 999;
      assert.equal((await s.get('e'))?.failures, 1);
      t += 1;
      assert.equal(await s.get('e'), undefined, 'expired');
      assert.equal((await s.recordFailure('e', t, 1_000)).failures, 1, 'starts over after expiry');
    } finally {
      await s.close?.();
    }
  });
}
