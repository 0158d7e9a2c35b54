// Server-side session storage contract, keyed by the SHA-256 of the session id, with an in-memory implementation.
// The Cache-backed implementation (Redis for scale-out) is in session-store-cache.ts.

export interface SessionRecord {
  userId: string;
  /** Auth collection of the user (e.g. `users`). */
  collection: string;
  /** Epoch ms. */
  createdAt: number;
  lastSeenAt: number;
  /** Application data (small, JSON-serializable). */
  data: Record<string, unknown>;
}

export interface SessionStore {
  get(key: string): Promise<SessionRecord | undefined>;
  /** Store with a time to live in ms; replaces any previous value. */
  set(key: string, record: SessionRecord, ttlMs: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** "Log out everywhere": delete every session of the user. */
  deleteAllForUser(userId: string): Promise<void>;
}

export function createMemorySessionStore(opts: { now?: () => number } = {}): SessionStore {
  const now = opts.now ?? Date.now;
  const rows = new Map<string, { record: SessionRecord; expiresAt: number }>();
  const byUser = new Map<string, Set<string>>();
  const drop = (key: string) => {
    const row = rows.get(key);
    if (!row) return;
    rows.delete(key);
    byUser.get(row.record.userId)?.delete(key);
  };
  return {
    async get(key) {
      const row = rows.get(key);
      if (!row) return undefined;
      if (row.expiresAt <= now()) {
        drop(key);
        return undefined;
      }
      return structuredClone(row.record);
    },
    async set(key, record, ttlMs) {
      drop(key);
      rows.set(key, { record: structuredClone(record), expiresAt: now() + ttlMs });
      let keys = byUser.get(record.userId);
      if (!keys) byUser.set(record.userId, (keys = new Set()));
      keys.add(key);
    },
    async delete(key) {
      drop(key);
    },
    async deleteAllForUser(userId) {
      const keys = [...(byUser.get(userId) ?? [])];
      for (const k of keys) drop(k);
      byUser.delete(userId);
    },
  } satisfies SessionStore;
}
