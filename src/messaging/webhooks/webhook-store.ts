// Webhook subscriptions and the delivery log in SQLite (the embedded default), beside
// the queue database. Secrets are stored as given; encryption at rest is the auth
// capability's field encryption, to be applied when the data layer owns this table.
import { randomUUID } from 'node:crypto';
import { NotFoundError } from '../../core/index.js';
import { openSqlite, type SqliteDatabase } from '../backends/sqlite-driver.js';
import type { DeliveryLog, DeliveryRecord, WebhookSubscription, WebhookSubscriptions } from './webhook-delivery.js';
import { generateSecret } from './webhook-sign.js';

export interface WebhookStore extends WebhookSubscriptions, DeliveryLog {
  create(input: { topics: string; url: string; secret?: string; enabled?: boolean }): Promise<WebhookSubscription>;
  update(id: string, patch: Partial<Pick<WebhookSubscription, 'topics' | 'url' | 'enabled'>>): Promise<WebhookSubscription>;
  remove(id: string): Promise<boolean>;
  deliveries(subscriptionId: string, limit?: number): Promise<DeliveryRecord[]>;
  close(): Promise<void>;
}

interface Row {
  id: string;
  topics: string;
  url: string;
  secret: string;
  enabled: number;
}

export function sqliteWebhookStore(file: string, options: { keepDeliveries?: number } = {}): WebhookStore {
  const db: SqliteDatabase = openSqlite(file, 'normal');
  db.exec(`
    CREATE TABLE IF NOT EXISTS strata_webhooks (id TEXT PRIMARY KEY, topics TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL, enabled INTEGER NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS strata_webhook_deliveries (
      n INTEGER PRIMARY KEY, subscription_id TEXT NOT NULL, event_id TEXT NOT NULL, attempt INTEGER NOT NULL,
      at TEXT NOT NULL, status INTEGER, error TEXT, duration_ms INTEGER NOT NULL);
    CREATE INDEX IF NOT EXISTS strata_webhook_deliveries_sub ON strata_webhook_deliveries (subscription_id, n);
  `);
  const keep = options.keepDeliveries ?? 10_000;
  const toSub = (r: Row): WebhookSubscription => ({ id: r.id, topics: r.topics, url: r.url, secret: r.secret, enabled: r.enabled === 1 });
  const s = {
    list: db.prepare('SELECT * FROM strata_webhooks ORDER BY created_at'),
    get: db.prepare('SELECT * FROM strata_webhooks WHERE id = ?'),
    insert: db.prepare('INSERT INTO strata_webhooks (id, topics, url, secret, enabled, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    update: db.prepare('UPDATE strata_webhooks SET topics = ?, url = ?, enabled = ? WHERE id = ?'),
    remove: db.prepare('DELETE FROM strata_webhooks WHERE id = ?'),
    log: db.prepare('INSERT INTO strata_webhook_deliveries (subscription_id, event_id, attempt, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    trim: db.prepare('DELETE FROM strata_webhook_deliveries WHERE n <= (SELECT max(n) FROM strata_webhook_deliveries) - ?'),
    deliveries: db.prepare('SELECT * FROM strata_webhook_deliveries WHERE subscription_id = ? ORDER BY n DESC LIMIT ?'),
  };
  let writes = 0;
  return {
    async list() {
      return (s.list.all() as Row[]).map(toSub);
    },
    async get(id) {
      const r = s.get.get(id) as Row | undefined;
      return r ? toSub(r) : undefined;
    },
    async create(input) {
      const sub: WebhookSubscription = { id: `wh_${randomUUID().replace(/-/g, '')}`, topics: input.topics, url: input.url, secret: input.secret ?? generateSecret(), enabled: input.enabled ?? true };
      s.insert.run(sub.id, sub.topics, sub.url, sub.secret, sub.enabled ? 1 : 0, Date.now());
      return sub;
    },
    async update(id, patch) {
      const cur = s.get.get(id) as Row | undefined;
      if (!cur) throw new NotFoundError(`No webhook ${id}.`);
      const next = { ...toSub(cur), ...patch };
      s.update.run(next.topics, next.url, next.enabled ? 1 : 0, id);
      return next;
    },
    async remove(id) {
      return s.remove.run(id).changes === 1;
    },
    record(e) {
      s.log.run(e.subscriptionId, e.eventId, e.attempt, e.at, e.status ?? null, e.error ?? null, e.durationMs);
      if (++writes % 500 === 0) s.trim.run(keep);
    },
    async deliveries(subscriptionId, limit = 50) {
      return (s.deliveries.all(subscriptionId, Math.min(Math.max(1, limit), 1000)) as { subscription_id: string; event_id: string; attempt: number; at: string; status: number | null; error: string | null; duration_ms: number }[]).map((r) => ({
        subscriptionId: r.subscription_id,
        eventId: r.event_id,
        attempt: r.attempt,
        at: r.at,
        ...(r.status !== null ? { status: r.status } : {}),
        ...(r.error !== null ? { error: r.error } : {}),
        durationMs: r.duration_ms,
      }));
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
