// Scoped API keys: `sk_<id>_<secret>`, shown once, stored as SHA-256 of the secret, compared in constant time.
import { InvalidTokenError, } from '../errors.js';
import { ForbiddenError } from '../../core/index.js';
import { randomToken, safeEqual, sha256Hex } from '../tokens/token-hash.js';

export interface ApiKeyRecord {
  /** Public lookup id (also shown in lists). */
  id: string;
  userId: string;
  name: string;
  scopes: string[];
  secretHash: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface ApiKeyStore {
  insert(record: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  listForUser(userId: string): Promise<ApiKeyRecord[]>;
  revoke(id: string, at: number): Promise<void>;
  touch(id: string, at: number): Promise<void>;
}

export function createMemoryApiKeyStore(): ApiKeyStore {
  const rows = new Map<string, ApiKeyRecord>();
  return {
    async insert(r) {
      rows.set(r.id, { ...r, scopes: [...r.scopes] });
    },
    async get(id) {
      const r = rows.get(id);
      return r ? { ...r, scopes: [...r.scopes] } : undefined;
    },
    async listForUser(userId) {
      return [...rows.values()].filter((r) => r.userId === userId).map((r) => ({ ...r, scopes: [...r.scopes] }));
    },
    async revoke(id, at) {
      const r = rows.get(id);
      if (r && r.revokedAt === null) r.revokedAt = at;
    },
    async touch(id, at) {
      const r = rows.get(id);
      if (r) r.lastUsedAt = at;
    },
  } satisfies ApiKeyStore;
}

export interface ApiKeys {
  /** Create a key; `key` is returned once and never stored. */
  create(input: { userId: string; name: string; scopes: string[]; ttlSeconds?: number }): Promise<{ key: string; record: Omit<ApiKeyRecord, 'secretHash'> }>;
  /** The key's record when valid and (if given) holding `scope`; InvalidTokenError / ForbiddenError otherwise. */
  verify(key: string, scope?: string): Promise<Omit<ApiKeyRecord, 'secretHash'>>;
  revoke(id: string): Promise<void>;
  /** The keys of an owner (`<collection>:<id>`), newest first, without secrets; revoked and expired ones included. */
  list(userId: string): Promise<Omit<ApiKeyRecord, 'secretHash'>[]>;
  /** Revoke key `id` if `userId` owns it; false when it does not exist or belongs to someone else. */
  revokeOwned(userId: string, id: string): Promise<boolean>;
}

const KEY_RE = /^sk_([A-Za-z0-9_-]{12})_([A-Za-z0-9_-]{43})$/;
const SCOPE_RE = /^(\*|[a-z][a-z0-9_.:*-]{0,63})$/;

export function createApiKeys(opts: { store: ApiKeyStore; now?: () => number }): ApiKeys {
  const now = opts.now ?? (() => Math.floor(Date.now() / 1000));
  const strip = ({ secretHash: _s, ...r }: ApiKeyRecord) => r;
  return {
    async create({ userId, name, scopes, ttlSeconds }) {
      for (const s of scopes) if (!SCOPE_RE.test(s)) throw new RangeError(`invalid scope ${JSON.stringify(s)}`);
      let id = randomToken(9);
      // never begin with '-' or '_', so an id is never read as a command-line option
      while (!/^[A-Za-z0-9]/.test(id)) id = randomToken(9);
      const secret = randomToken(32);
      const t = now();
      const record: ApiKeyRecord = {
        id, userId, name, scopes: [...new Set(scopes)], secretHash: sha256Hex(secret), createdAt: t,
        expiresAt: ttlSeconds ? t + ttlSeconds : null, revokedAt: null, lastUsedAt: null,
      };
      await opts.store.insert(record);
      return { key: `sk_${id}_${secret}`, record: strip(record) };
    },
    async verify(key, scope) {
      const m = typeof key === 'string' ? KEY_RE.exec(key) : null;
      if (!m) throw new InvalidTokenError();
      const rec = await opts.store.get(m[1]);
      // Compare against a fixed digest when the id is unknown so both paths do the same work.
      const ok = safeEqual(sha256Hex(m[2]), rec?.secretHash ?? '0'.repeat(64));
      const t = now();
      if (!rec || !ok || rec.revokedAt !== null || (rec.expiresAt !== null && rec.expiresAt <= t)) throw new InvalidTokenError();
      if (scope !== undefined && !rec.scopes.includes(scope) && !rec.scopes.includes('*')) {
        throw new ForbiddenError(`This API key lacks the scope "${scope}".`);
      }
      // Last use is informational: write it at most once a minute, not on every request.
      if (rec.lastUsedAt === null || t - rec.lastUsedAt >= 60) await opts.store.touch(rec.id, t);
      return strip(rec);
    },
    revoke: (id) => opts.store.revoke(id, now()),
    async list(userId) {
      return (await opts.store.listForUser(userId)).map(strip).sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1));
    },
    async revokeOwned(userId, id) {
      const rec = typeof id === 'string' && /^[A-Za-z0-9_-]{12}$/.test(id) ? await opts.store.get(id) : undefined;
      if (!rec || rec.userId !== userId) return false;
      await opts.store.revoke(id, now());
      return true;
    },
  };
}
