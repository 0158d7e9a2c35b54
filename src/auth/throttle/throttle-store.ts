// Counter store for login throttling: failures per key with the time of the last one, expiring after a quiet
// period. Memory implementation here; a Redis one (HINCRBY + EXPIRE in MULTI) fits the same contract.

export interface AttemptState {
  failures: number;
  /** Epoch ms of the latest failure. */
  lastFailureAt: number;
}

export interface AttemptStore {
  get(key: string): Promise<AttemptState | undefined>;
  /** Atomically add one failure at `at`; the entry expires `ttlMs` after its latest failure. */
  recordFailure(key: string, at: number, ttlMs: number): Promise<AttemptState>;
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
  return {
    async get(key) {
      const r = live(key);
      return r ? { failures: r.failures, lastFailureAt: r.lastFailureAt } : undefined;
    },
    async recordFailure(key, at, ttlMs) {
      const r = live(key) ?? { failures: 0, lastFailureAt: at, expiresAt: 0 };
      r.failures++;
      r.lastFailureAt = at;
      r.expiresAt = at + ttlMs;
      rows.delete(key); // re-insert: Map order becomes least-recently-failed first
      rows.set(key, r);
      // Bound memory under a spray of distinct keys: drop the stalest entries.
      while (rows.size > maxKeys) rows.delete(rows.keys().next().value as string);
      return { failures: r.failures, lastFailureAt: r.lastFailureAt };
    },
    async reset(key) {
      rows.delete(key);
    },
  } satisfies AttemptStore;
}
