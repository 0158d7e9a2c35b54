// The retry of deadlock victims (transaction-retry.ts). A deadlock cannot be caused on demand, so the
// transaction here is a stand-in whose execute() fails as an engine would; test/data-concurrent-writes.test.ts
// runs the real thing (concurrent sign-ups on MariaDB, PostgreSQL and SQLite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from './dialects/dialect.js';
import { inTransaction, type AfterCommit } from './transaction-retry.js';

const DEADLOCK = Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { code: 'ER_LOCK_DEADLOCK' });
const isRetryable = (e: unknown) => (e as { code?: string }).code === 'ER_LOCK_DEADLOCK';

/** A database whose first `failures` transactions fail with `error` after running fn. */
function flaky(failures: number, error: unknown = DEADLOCK) {
  let tries = 0;
  const tx = { isTransaction: true } as unknown as Db;
  const db = {
    isTransaction: false,
    transaction: () => ({
      execute: async <T>(fn: (d: Db) => Promise<T>) => {
        const out = await fn(tx);
        if (++tries <= failures) throw error;
        return out;
      },
    }),
  } as unknown as Db;
  return { db, tries: () => tries };
}

test('a deadlock victim is run again; what the failed attempts queued for after the commit is dropped', async () => {
  const { db, tries } = flaky(2);
  const afters: AfterCommit = [() => undefined];
  let runs = 0;
  const out = await inTransaction(db, async () => {
    runs++;
    afters.push(() => undefined);
    return 'done';
  }, { isRetryable, pause: () => 0 }, afters);
  assert.equal(out, 'done');
  assert.equal(tries(), 3);
  assert.equal(runs, 3);
  assert.equal(afters.length, 2, 'the one queued before, and the successful attempt\'s');
});

test('other errors are not retried, and a deadlock past the attempts is thrown', async () => {
  const other = flaky(1, Object.assign(new Error('duplicate'), { code: 'ER_DUP_ENTRY' }));
  await assert.rejects(inTransaction(other.db, async () => 1, { isRetryable, pause: () => 0 }), /duplicate/);
  assert.equal(other.tries(), 1);
  const always = flaky(10);
  await assert.rejects(inTransaction(always.db, async () => 1, { isRetryable, attempts: 4, pause: () => 0 }), /Deadlock/);
  assert.equal(always.tries(), 4);
});

test('inside the caller\'s transaction fn runs once, in it, and is not retried there', async () => {
  const tx = { isTransaction: true } as unknown as Db;
  let seen: Db | undefined;
  assert.equal(await inTransaction(tx, async (d) => ((seen = d), 7), { isRetryable }), 7);
  assert.equal(seen, tx);
});
