// Transactions the engine rolls back as deadlock victims, run again: InnoDB's gap locks between concurrent
// inserts ("Deadlock found when trying to get lock; try restarting transaction") and PostgreSQL's deadlock
// detector or serialization failures ask the client to run the transaction again.
import type { Db } from './dialects/dialect.js';

/** What a write queued to run once its transaction commits. */
export type AfterCommit = (() => Promise<void> | void)[];

export interface RetryOptions {
  /** The dialect's test for "rolled back, run it again" (SqlDialect.isRetryable). */
  isRetryable(e: unknown): boolean;
  /** Attempts in all (default 4). */
  attempts?: number;
  /** The pause before attempt n (default 5 ms plus up to 20·n ms at random). */
  pause?(attempt: number): number;
}

/**
 * Runs fn in a transaction: in the caller's when `db` is one, else in its own, run again when the engine
 * rolls it back as a deadlock victim; what fn queued in `afters` during a failed attempt is dropped first.
 * @example
 * await inTransaction(db, (tx) => insert(tx), { isRetryable: dialect.isRetryable }, afters);
 */
export async function inTransaction<T>(db: Db, fn: (db: Db) => Promise<T>, o: RetryOptions, afters?: AfterCommit): Promise<T> {
  if (db.isTransaction) return fn(db);
  const attempts = o.attempts ?? 4;
  const queued = afters?.length ?? 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (e) {
      if (attempt >= attempts || !o.isRetryable(e)) throw e;
      if (afters) afters.length = queued;
      await new Promise((r) => setTimeout(r, o.pause ? o.pause(attempt) : 5 + Math.random() * 20 * attempt));
    }
  }
}
