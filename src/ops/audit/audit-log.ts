// The audit log: who did what to which target, from where, with what outcome (OWASP Logging Cheat Sheet).
// Rows live on the data layer's database (data's `createSqlAuditStore`), can be written in the caller's transaction, and never hold
// secrets: detail keys that look like credentials are dropped before anything is stored.
import type { Db } from '../../data/index.js';
import { ValidationError } from '../../core/index.js';

export type AuditOutcome = 'success' | 'failure' | 'denied';

export interface AuditEntry {
  /** Dotted action name, e.g. `auth.login.success`, `collections.update`, `superuser.create`. */
  action: string;
  /** Who acted; omitted for anonymous callers (a failed login) or the system. */
  actor?: { id: string; collection: string } | null;
  /** What was acted on, e.g. `users/abc123` or a collection name. */
  target?: string;
  ip?: string;
  userAgent?: string;
  /** Default `success`. */
  outcome?: AuditOutcome;
  /** Extra facts; credential-like keys are dropped (see redactDetails). */
  details?: Record<string, unknown>;
  /** Epoch ms; default now. */
  at?: number;
}

export interface AuditRecord {
  id: string;
  at: number;
  actor: { id: string; collection: string } | null;
  action: string;
  target: string | null;
  ip: string | null;
  userAgent: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown> | null;
}

export interface AuditQuery {
  /** `auth.login` matches `auth.login` and `auth.login.failure`. */
  action?: string;
  /** Actor principal id. */
  actor?: string;
  /** Epoch ms, inclusive. */
  since?: number;
  /** Epoch ms, exclusive. */
  until?: number;
  /** 1-500, default 50. */
  limit?: number;
  /** `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AuditLog {
  /** Writes one entry; pass the caller's transaction so the entry commits with the change it describes. */
  record(entry: AuditEntry, tx?: Db): Promise<void>;
  /** Newest first; `nextCursor` is set when there may be more. */
  query(q?: AuditQuery): Promise<{ items: AuditRecord[]; nextCursor: string | null }>;
  /** Deletes entries older than the retention; returns how many (0 when retention is 0 = forever). */
  prune(now?: number): Promise<number>;
}

export const ACTION_RE = /^[a-z][a-z0-9_-]*(\.[a-z0-9_*-]+){0,7}$/;
const SECRET_KEY_RE = /pass(word|phrase|wd)?|token|secret|code|otp|totp|api[-_]?key|private|credential|authorization|cookie|session|hash|salt/i;
const MAX_DETAILS = 8_192;

/** Drops credential-like keys at any depth, bounds depth and size. Exported for tests. */
export function redactDetails(details: Record<string, unknown>): Record<string, unknown> {
  const walk = (v: unknown, depth: number): unknown => {
    if (v === null || typeof v === 'boolean' || typeof v === 'number') return v;
    if (typeof v === 'string') return v.length > 1000 ? v.slice(0, 1000) + '…' : v;
    if (depth >= 5) return '[nested]';
    if (Array.isArray(v)) return v.slice(0, 50).map((x) => walk(x, depth + 1));
    if (typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (SECRET_KEY_RE.test(k) || x === undefined || typeof x === 'function') continue;
        out[k] = walk(x, depth + 1);
      }
      return out;
    }
    return String(v);
  };
  const clean = walk(details, 0) as Record<string, unknown>;
  return JSON.stringify(clean).length > MAX_DETAILS ? { truncated: true } : clean;
}

const clip = (v: string | undefined, n: number) => (v === undefined ? null : v.slice(0, n));

/** Where entries are kept (SQL on the data layer's database: data's `createSqlAuditStore`). */
export interface AuditStore {
  /** One row, already validated and redacted; in the caller's transaction when given. */
  insert(row: Omit<AuditRecord, 'id'>, tx?: Db): Promise<void>;
  /** Newest first, at most `limit` rows; `action` matches itself and its dotted children, `beforeId` pages. */
  query(q: { action?: string; actor?: string; since?: number; until?: number; beforeId?: number; limit: number }): Promise<AuditRecord[]>;
  /** Deletes entries older than `at` (epoch ms); returns how many. */
  deleteBefore(at: number): Promise<number>;
}

export interface AuditLogOptions {
  store: AuditStore;
  /** Days to keep entries; 0 or undefined = forever. */
  retentionDays?: number;
  now?: () => number;
}

/**
 * @example
 * const audit = createAuditLog({ store: createSqlAuditStore({ db: data.db, dialect: data.dialect, names: data.names }), retentionDays: 365 });
 * await audit.record({ action: 'auth.login.failure', target: 'users', ip: request.ip, outcome: 'failure', details: { email } });
 * const { items, nextCursor } = await audit.query({ action: 'auth.login', limit: 20 });
 */
export function createAuditLog(opts: AuditLogOptions): AuditLog {
  const { store } = opts;
  const now = opts.now ?? Date.now;
  return {
    async record(e, tx) {
      if (typeof e.action !== 'string' || e.action.length > 100 || !ACTION_RE.test(e.action)) {
        throw new ValidationError('Audit action must be a dotted lower-case name.', [{ field: 'action', message: 'invalid' }]);
      }
      await store.insert({
        at: e.at ?? now(),
        actor: e.actor ? { id: clip(e.actor.id, 255) ?? '', collection: clip(e.actor.collection, 255) ?? '' } : null,
        action: e.action,
        target: clip(e.target, 1000),
        ip: clip(e.ip, 64),
        userAgent: clip(e.userAgent, 500),
        outcome: e.outcome ?? 'success',
        details: e.details ? redactDetails(e.details) : null,
      }, tx);
    },
    async query(q = {}) {
      const limit = Math.min(Math.max(Math.trunc(q.limit ?? 50), 1), 500);
      const rows = await store.query({
        action: q.action, actor: q.actor, since: q.since, until: q.until,
        beforeId: q.cursor !== undefined ? decodeCursor(q.cursor) : undefined,
        limit: limit + 1,
      });
      const more = rows.length > limit;
      const items = more ? rows.slice(0, limit) : rows;
      return { items, nextCursor: more ? encodeCursor(Number(items[items.length - 1].id)) : null };
    },
    async prune(at = now()) {
      if (!opts.retentionDays) return 0;
      return store.deleteBefore(at - opts.retentionDays * 86_400_000);
    },
  };
}

export function encodeCursor(id: number): string {
  return Buffer.from(`a:${id}`).toString('base64url');
}

/** The id a cursor stands for; ValidationError when it is not one of ours. */
export function decodeCursor(cursor: string): number {
  const m = /^a:(\d{1,15})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new ValidationError('The cursor is not valid.', [{ field: 'cursor', message: 'not a cursor from this API' }]);
  return Number(m[1]);
}
