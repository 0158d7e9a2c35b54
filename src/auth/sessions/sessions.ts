// Server-side sessions (OWASP Session Management Cheat Sheet): 256-bit ids, stored hashed, idle and absolute
// timeouts, id rotation on login and privilege change (session fixation defence), log out everywhere.
import { randomToken, sha256Hex } from '../tokens/token-hash.js';
import type { SessionRecord, SessionStore } from './session-store.js';

export interface SessionOptions {
  store: SessionStore;
  /** Idle timeout in ms (default 30 min). */
  idleMs?: number;
  /** Absolute lifetime in ms (default 7 days). */
  absoluteMs?: number;
  /** Write `lastSeenAt` at most this often, to spare the store (default 60 s). */
  touchEveryMs?: number;
  now?: () => number;
}

export interface Session extends SessionRecord {
  id: string;
}

export interface Sessions {
  /**
   * Start a session after login. Any `previousId` (e.g. an anonymous session the browser sent) is destroyed,
   * so an id planted before login never becomes authenticated.
   */
  create(user: { userId: string; collection: string }, data?: Record<string, unknown>, previousId?: string): Promise<Session>;
  /** The live session, or undefined when unknown, idle too long or past its absolute lifetime. */
  get(id: string | undefined): Promise<Session | undefined>;
  /** New id, same session (call on privilege change); the old id stops working. */
  rotate(id: string): Promise<Session | undefined>;
  destroy(id: string): Promise<void>;
  destroyAllForUser(userId: string): Promise<void>;
}

const ID_RE = /^[A-Za-z0-9_-]{43}$/;

export function createSessions(opts: SessionOptions): Sessions {
  const idle = opts.idleMs ?? 30 * 60_000;
  const absolute = opts.absoluteMs ?? 7 * 86_400_000;
  const touchEvery = opts.touchEveryMs ?? 60_000;
  const now = opts.now ?? Date.now;
  const { store } = opts;
  const key = (id: string) => `sess:${sha256Hex(id)}`;
  const ttl = (r: SessionRecord, t: number) => Math.max(1, Math.min(idle, r.createdAt + absolute - t));

  async function save(record: SessionRecord): Promise<Session> {
    const id = randomToken(32);
    await store.set(key(id), record, ttl(record, now()));
    return { id, ...record };
  }

  async function get(id: string | undefined): Promise<Session | undefined> {
    if (typeof id !== 'string' || !ID_RE.test(id)) return undefined;
    const k = key(id);
    const r = await store.get(k);
    if (!r) return undefined;
    const t = now();
    if (t - r.lastSeenAt >= idle || t - r.createdAt >= absolute) {
      await store.delete(k);
      return undefined;
    }
    if (t - r.lastSeenAt >= touchEvery) {
      r.lastSeenAt = t;
      await store.set(k, r, ttl(r, t));
    }
    return { id, ...r };
  }

  return {
    async create(user, data = {}, previousId) {
      if (typeof previousId === 'string' && ID_RE.test(previousId)) await store.delete(key(previousId));
      const t = now();
      return save({ userId: user.userId, collection: user.collection, createdAt: t, lastSeenAt: t, data });
    },
    get,
    async rotate(id) {
      const s = await get(id);
      if (!s) return undefined;
      await store.delete(key(id));
      const { id: _old, ...record } = s;
      return save({ ...record, lastSeenAt: now() });
    },
    async destroy(id) {
      if (typeof id === 'string' && ID_RE.test(id)) await store.delete(key(id));
    },
    destroyAllForUser: (userId) => store.deleteAllForUser(userId),
  };
}
