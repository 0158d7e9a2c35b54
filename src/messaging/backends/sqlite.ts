// The embedded queue on SQLite (better-sqlite3, WAL), written by hand as
// ARCHITECTURE.md allows: group-committed enqueues (a promise resolves only
// after its row is committed), batched claims under a lease, batched acks.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { mkdirSync } from 'node:fs';
import { startClaimLoop, type Claimed, type ClaimDriver } from '../consumer-loop.js';
import { QueueUnavailableError } from '../errors.js';
import { assertQueueName, assertState, DEFAULTS, normalizeJob, type NormalizedJob, type QueueDefaults } from '../job-options.js';
import type { ConsumeOptions, Consumer, EnqueueOptions, EnqueueResult, Handler, JobInfo, JobState, QueueBackend, QueueCounts } from '../queue-types.js';
import { openSqlite, type SqliteDatabase, type SqliteStatement } from './sqlite-driver.js';
import { migrate, type JobRow } from './sqlite-schema.js';
import { sqliteSideState } from './sqlite-side.js';
import type { QueueSideState } from '../queue-side.js';
import { waitFor } from '../wait-for.js';

export interface SqliteQueueOptions extends Partial<QueueDefaults> {
  file: string;
  /** Table name prefix (default `strata_queue`). */
  table?: string;
  synchronous?: 'normal' | 'full';
  /** How long an idempotency key is remembered, ms (default 24 h). */
  idempotencyRetentionMs?: number;
  /** How often idle consumers look for jobs enqueued by other processes, ms. */
  pollMs?: number;
}

interface Pending {
  queue: string;
  job: NormalizedJob;
  resolve: (r: EnqueueResult) => void;
  reject: (e: unknown) => void;
}

export function sqliteQueue(options: SqliteQueueOptions): SqliteQueue {
  return new SqliteQueue(options);
}

export class SqliteQueue implements QueueBackend {
  readonly kind = 'sqlite';
  readonly supportsPriority = true;
  private readonly db: SqliteDatabase;
  private readonly defaults: QueueDefaults;
  private readonly events = new EventEmitter();
  private readonly consumers = new Set<Consumer>();
  private pending: Pending[] = [];
  private acks: { id: number; token: string; resolve: () => void }[] = [];
  private flushScheduled = false;
  private lastKeySweep = 0;
  private readonly s: Record<string, SqliteStatement>;
  private readonly writeBatch: (batch: Pending[]) => EnqueueResult[];
  private readonly ackBatch: (acks: { id: number; token: string }[]) => void;
  private readonly side: QueueSideState;

  constructor(private readonly options: SqliteQueueOptions) {
    mkdirSync(dirname(options.file), { recursive: true });
    this.db = openSqlite(options.file, options.synchronous ?? 'normal');
    this.defaults = { ...DEFAULTS, ...options };
    this.events.setMaxListeners(0);
    const t = options.table ?? 'strata_queue';
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,40}$/.test(t)) throw new Error('invalid queue table prefix');
    migrate(this.db, t);
    this.side = sqliteSideState(this.db, t);
    const p = (sql: string) => this.db.prepare(sql);
    this.s = {
      insert: p(`INSERT INTO ${t}_jobs (queue, priority, run_at, max_attempts, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
      findKey: p(`SELECT job_id FROM ${t}_keys WHERE queue = ? AND key = ? AND expires_at > ?`),
      putKey: p(`INSERT OR REPLACE INTO ${t}_keys (queue, key, job_id, expires_at) VALUES (?, ?, ?, ?)`),
      sweepKeys: p(`DELETE FROM ${t}_keys WHERE expires_at <= ?`),
      addQueue: p(`INSERT OR IGNORE INTO ${t}_queues (name) VALUES (?)`),
      claim: p(`UPDATE ${t}_jobs SET state = 1, attempts = attempts + 1, lease_until = ?, token = ?
                WHERE id IN (SELECT id FROM ${t}_jobs WHERE queue = ? AND state = 0 AND run_at <= ?
                             AND NOT EXISTS (SELECT 1 FROM ${t}_queues WHERE name = ? AND paused = 1)
                             ORDER BY priority DESC, run_at, id LIMIT ?)
                RETURNING *`),
      expireDead: p(`UPDATE ${t}_jobs SET state = 2, token = NULL, last_error = 'lease expired: the worker did not finish in time'
                     WHERE queue = ? AND state = 1 AND lease_until < ? AND attempts >= max_attempts`),
      expire: p(`UPDATE ${t}_jobs SET state = 0, token = NULL WHERE queue = ? AND state = 1 AND lease_until < ?`),
      ack: p(`DELETE FROM ${t}_jobs WHERE id = ? AND token = ?`),
      retry: p(`UPDATE ${t}_jobs SET state = 0, token = NULL, run_at = ?, last_error = ? WHERE id = ? AND token = ?`),
      dead: p(`UPDATE ${t}_jobs SET state = 2, token = NULL, last_error = ? WHERE id = ? AND token = ?`),
      release: p(`UPDATE ${t}_jobs SET state = 0, token = NULL, attempts = attempts - 1 WHERE id = ? AND token = ?`),
      counts: p(`SELECT coalesce(sum(state = 0 AND run_at <= ?), 0) AS waiting, coalesce(sum(state = 0 AND run_at > ?), 0) AS delayed,
                 coalesce(sum(state = 1), 0) AS active, coalesce(sum(state = 2), 0) AS dead FROM ${t}_jobs WHERE queue = ?`),
      paused: p(`SELECT paused FROM ${t}_queues WHERE name = ?`),
      setPaused: p(`INSERT INTO ${t}_queues (name, paused) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET paused = excluded.paused`),
      peekwaiting: p(`SELECT * FROM ${t}_jobs WHERE queue = ? AND state = 0 AND run_at <= ? ORDER BY priority DESC, run_at, id LIMIT ?`),
      peekdelayed: p(`SELECT * FROM ${t}_jobs WHERE queue = ? AND state = 0 AND run_at > ? ORDER BY run_at, id LIMIT ?`),
      peekactive: p(`SELECT * FROM ${t}_jobs WHERE queue = ? AND state = 1 AND ? > 0 ORDER BY id LIMIT ?`),
      peekdead: p(`SELECT * FROM ${t}_jobs WHERE queue = ? AND state = 2 AND ? > 0 ORDER BY id LIMIT ?`),
      retryDeadAll: p(`UPDATE ${t}_jobs SET state = 0, attempts = 0, run_at = ? WHERE queue = ? AND state = 2`),
      retryDeadOne: p(`UPDATE ${t}_jobs SET state = 0, attempts = 0, run_at = ? WHERE queue = ? AND state = 2 AND id = ?`),
      purgeDeadAll: p(`DELETE FROM ${t}_jobs WHERE queue = ? AND state = 2`),
      purgeDeadOne: p(`DELETE FROM ${t}_jobs WHERE queue = ? AND state = 2 AND id = ?`),
      queues: p(`SELECT name FROM ${t}_queues UNION SELECT DISTINCT queue FROM ${t}_jobs ORDER BY 1`),
    };
    const retention = options.idempotencyRetentionMs ?? 86_400_000;
    this.writeBatch = this.db.transaction((batch: Pending[]) => {
      const now = Date.now();
      const seen = new Set<string>();
      const out: EnqueueResult[] = [];
      for (const { queue, job } of batch) {
        if (!seen.has(queue)) {
          this.s.addQueue.run(queue);
          seen.add(queue);
        }
        if (job.idempotencyKey !== undefined) {
          const hit = this.s.findKey.get(queue, job.idempotencyKey, now) as { job_id: number } | undefined;
          if (hit) {
            out.push({ id: String(hit.job_id), duplicate: true });
            continue;
          }
        }
        const id = Number(this.s.insert.run(queue, job.priority, job.runAt, job.maxAttempts, job.body, now).lastInsertRowid);
        if (job.idempotencyKey !== undefined) this.s.putKey.run(queue, job.idempotencyKey, id, now + retention);
        out.push({ id: String(id), duplicate: false });
      }
      if (now - this.lastKeySweep > 60_000) {
        this.lastKeySweep = now;
        this.s.sweepKeys.run(now);
      }
      return out;
    });
    this.ackBatch = this.db.transaction((acks: { id: number; token: string }[]) => {
      for (const a of acks) this.s.ack.run(a.id, a.token);
    });
  }

  async enqueue<T>(queue: string, payload: T, options?: EnqueueOptions): Promise<EnqueueResult> {
    assertQueueName(queue);
    const job = normalizeJob(payload, options, this.defaults);
    return new Promise((resolve, reject) => {
      this.pending.push({ queue, job, resolve, reject });
      this.scheduleFlush();
    });
  }

  async enqueueBulk<T>(queue: string, jobs: readonly { payload: T; options?: EnqueueOptions }[]): Promise<EnqueueResult[]> {
    assertQueueName(queue);
    const normalized = jobs.map((j) => normalizeJob(j.payload, j.options, this.defaults));
    const results = Promise.all(normalized.map((job) => new Promise<EnqueueResult>((resolve, reject) => this.pending.push({ queue, job, resolve, reject }))));
    this.scheduleFlush();
    return results;
  }

  async consume<T>(queue: string, handler: Handler<T>, options: ConsumeOptions = {}): Promise<Consumer> {
    assertQueueName(queue);
    let lastExpire = 0;
    const driver: ClaimDriver = {
      claim: async (limit, leaseMs) => {
        const now = Date.now();
        if (now - lastExpire > Math.min(1000, leaseMs / 4)) {
          lastExpire = now;
          this.s.expireDead.run(queue, now);
          this.s.expire.run(queue, now);
        }
        const token = randomBytes(8).toString('base64url');
        const rows = this.s.claim.all(now + leaseMs, token, queue, now, queue, limit) as JobRow[];
        rows.sort((a, b) => b.priority - a.priority || a.run_at - b.run_at || a.id - b.id);
        return rows.map((r) => ({ job: toJob(r), token, claimedAt: now }) as Claimed);
      },
      ack: (c) =>
        new Promise<void>((resolve) => {
          this.acks.push({ id: Number(c.job.id), token: c.token, resolve });
          this.scheduleFlush();
        }),
      retry: async (c, error, runAt) => {
        this.s.retry.run(runAt, error, Number(c.job.id), c.token);
      },
      dead: async (c, error) => {
        this.s.dead.run(error, Number(c.job.id), c.token);
      },
      release: async (cs) => {
        for (const c of cs) this.s.release.run(Number(c.job.id), c.token);
        if (cs.length > 0) this.events.emit(queue);
      },
      wait: (ms, signal) => waitFor(this.events, queue, ms, signal),
    };
    const consumer = startClaimLoop(driver, handler, { pollMs: this.options.pollMs ?? 100, ...options, side: { queue, state: this.side } });
    this.consumers.add(consumer);
    return {
      stop: async (graceMs?: number) => {
        await consumer.stop(graceMs);
        this.consumers.delete(consumer);
        this.flush();
      },
    };
  }

  async counts(queue: string): Promise<QueueCounts> {
    assertQueueName(queue);
    const now = Date.now();
    const c = this.s.counts.get(now, now, queue) as Omit<QueueCounts, 'paused'>;
    const p = this.s.paused.get(queue) as { paused: number } | undefined;
    return { waiting: c.waiting, delayed: c.delayed, active: c.active, dead: c.dead, paused: p?.paused === 1 };
  }

  async peek(queue: string, state: JobState, limit = 20): Promise<JobInfo[]> {
    assertQueueName(queue);
    assertState(state);
    const rows = this.s[`peek${state}`].all(queue, Date.now(), Math.min(Math.max(1, limit), 1000)) as JobRow[];
    return rows.map((r) => ({ ...toJob(r), state, runAt: r.run_at }));
  }

  async retryDead(queue: string, ids?: readonly string[]): Promise<number> {
    assertQueueName(queue);
    const now = Date.now();
    const n = ids ? this.db.transaction(() => ids.reduce((s, id) => s + this.s.retryDeadOne.run(now, queue, Number(id)).changes, 0))() : this.s.retryDeadAll.run(now, queue).changes;
    this.events.emit(queue);
    return n;
  }

  async purgeDead(queue: string, ids?: readonly string[]): Promise<number> {
    assertQueueName(queue);
    return ids ? this.db.transaction(() => ids.reduce((s, id) => s + this.s.purgeDeadOne.run(queue, Number(id)).changes, 0))() : this.s.purgeDeadAll.run(queue).changes;
  }

  async pause(queue: string): Promise<void> {
    assertQueueName(queue);
    this.s.setPaused.run(queue, 1);
  }

  async resume(queue: string): Promise<void> {
    assertQueueName(queue);
    this.s.setPaused.run(queue, 0);
    this.events.emit(queue);
  }

  async queues(): Promise<string[]> {
    return (this.s.queues.all() as { name: string }[]).map((r) => r.name);
  }

  async progress(queue: string, id: string): Promise<unknown> {
    assertQueueName(queue);
    const v = await this.side.getProgress(queue, String(id));
    return v === undefined ? undefined : (JSON.parse(v) as unknown);
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    this.flush();
    if (this.db.open) this.db.close();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** Group commit: every enqueue and ack gathered since the last flush goes in one transaction each. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) {
      let results: EnqueueResult[] | undefined;
      try {
        results = this.writeBatch(batch);
      } catch (err) {
        for (const p of batch) p.reject(new QueueUnavailableError(undefined, err));
      }
      if (results) {
        batch.forEach((p, i) => p.resolve(results[i]));
        for (const q of new Set(batch.map((b) => b.queue))) this.events.emit(q);
      }
    }
    const acks = this.acks;
    this.acks = [];
    if (acks.length > 0) {
      try {
        this.ackBatch(acks);
      } catch {
        // Not acked: the lease expires and the job is delivered again (at-least-once).
      }
      for (const a of acks) a.resolve();
    }
  }
}

function toJob(r: JobRow) {
  return {
    id: String(r.id),
    queue: r.queue,
    payload: JSON.parse(r.payload) as unknown,
    attempt: r.attempts,
    maxAttempts: r.max_attempts,
    priority: r.priority,
    enqueuedAt: r.created_at,
    ...(r.last_error ? { lastError: r.last_error } : {}),
  };
}

