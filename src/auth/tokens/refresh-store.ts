// Storage contract for refresh tokens (hashed, grouped in families for reuse detection, OAuth 2.0 Security BCP
// §4.14), with the in-memory implementation.

export interface RefreshTokenRecord {
  /** SHA-256 hex of the token; the token itself is never stored. */
  hash: string;
  familyId: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  /** Set once the token has been exchanged; a second exchange is a reuse. */
  usedAt: number | null;
  revokedAt: number | null;
}

export interface RefreshTokenStore {
  insert(record: RefreshTokenRecord): Promise<void>;
  get(hash: string): Promise<RefreshTokenRecord | undefined>;
  /** Atomically mark unused → used. False when it was already used (a concurrent or replayed exchange). */
  markUsed(hash: string, at: number): Promise<boolean>;
  revokeFamily(familyId: string, at: number): Promise<void>;
  revokeUser(userId: string, at: number): Promise<void>;
  /** Delete records expired before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

export function createMemoryRefreshStore(): RefreshTokenStore {
  const rows = new Map<string, RefreshTokenRecord>();
  return {
    async insert(r) {
      if (rows.has(r.hash)) throw new Error('duplicate refresh token hash');
      rows.set(r.hash, { ...r });
    },
    async get(hash) {
      const r = rows.get(hash);
      return r ? { ...r } : undefined;
    },
    async markUsed(hash, at) {
      const r = rows.get(hash);
      if (!r || r.usedAt !== null) return false;
      r.usedAt = at;
      return true;
    },
    async revokeFamily(familyId, at) {
      for (const r of rows.values()) if (r.familyId === familyId && r.revokedAt === null) r.revokedAt = at;
    },
    async revokeUser(userId, at) {
      for (const r of rows.values()) if (r.userId === userId && r.revokedAt === null) r.revokedAt = at;
    },
    async deleteExpired(now) {
      let n = 0;
      for (const [h, r] of rows) if (r.expiresAt <= now) (rows.delete(h), n++);
      return n;
    },
  } satisfies RefreshTokenStore;
}
