// Counter store for login and MFA throttling: attempts per key with the time of the latest one, expiring after
// a quiet period. Memory implementation here; the Redis one (throttle-store-redis.ts) runs the same steps in Lua.

export interface AttemptState {
  failures: number;
  /** Epoch ms of the latest attempt. */
  lastFailureAt: number;
}

export interface RecordedAttempt extends AttemptState {
  /** Epoch ms of the attempt before this one (null when the counter started with it). */
  previousAt: number | null;
}

export interface AttemptStore {
  get(key: string): Promise<AttemptState | undefined>;
  /**
   * Atomically add one attempt at `at` and say when the previous one was; the entry expires `ttlMs` after its
   * latest attempt. Throttles call this BEFORE any verification, so concurrent attempts each see a distinct count.
   */
  recordFailure(key: string, at: number, ttlMs: number): Promise<RecordedAttempt>;
  /** Atomically take one attempt back (a refused or successful one); the time of the latest stays. */
  undo(key: string): Promise<void>;
  reset(key: string): Promise<void>;
}

export function createMemoryAttemptStore(opts: { now?: () => number; maxKeys?: number } = {}): AttemptStore {
  const now = opts.now ?? Date.now;
  const maxKeys = opts.maxKeys ?? 100_000;
  const rows = new Map<string, AttemptState & { expiresAt: number }>();
  const live = (key: string) => {
    const r = rows.get(key);
    if (r && r.expiresAt <= now()) {
      rows.delete(key);
      return undefined;
    }
    return r;
  };
  // Every method reads and writes the Map with no await in between: atomic on one event loop.
  return {
    async get(key) {
      const r = live(key);
      return r ? { failures: r.failures, lastFailureAt: r.lastFailureAt } : undefined;
    },
    async recordFailure(key, at, ttlMs) {
      const old = live(key);
      const previousAt = old ? old.lastFailureAt : null;
      const r = old ?? { failures: 0, lastFailureAt: at, expiresAt: 0 };
      r.failures++;
      r.lastFailureAt = at;
      r.expiresAt = at + ttlMs;
      rows.delete(key); // re-insert: Map order becomes least-recently-failed first
      rows.set(key, r);
      // Bound memory under a spray of distinct keys: drop the stalest entries.
      while (rows.size > maxKeys) rows.delete(rows.keys().next().value as string);
      return { failures: r.failures, lastFailureAt: r.lastFailureAt, previousAt };
    },
    async undo(key) {
      const r = live(key);
      if (!r) return;
      r.failures--;
      if (r.failures <= 0) rows.delete(key);
    },
    async reset(key) {
      rows.delete(key);
    },
  } satisfies AttemptStore;
}
