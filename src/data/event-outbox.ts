// The transactional outbox for record-change events: one row per write, inserted in the write's own
// transaction (so a rollback leaves no event), read by the relay in seq order and by the change feed.
import { sql, type RawBuilder } from 'kysely';
import { ValidationError, type ChangeFeed, type RecordChangeAction, type RecordChangeEvent } from '../core/index.js';
import type { Db, SqlDialect } from './dialects/dialect.js';
import type { TableNames } from './table-names.js';
import { EventsGoneError } from './errors.js';

export interface OutboxContext {
  db: Db;
  dialect: SqlDialect;
  names: TableNames;
}

export interface OutboxRow {
  seq: number;
  collection: string;
  action: RecordChangeAction;
  record_id: string;
  record: string;
  at: string;
}

const PRUNED = 'pruned_through';
const SEQ = 'seq';
const FEED_MAX = 1000;

/** Statements that create the outbox tables when missing (idempotent, all three engines). */
export function outboxDdl(dialect: SqlDialect, names: TableNames): RawBuilder<unknown>[] {
  const t = sql.table(names.outbox);
  const s = sql.table(names.outboxState);
  const ix = sql.id(names.index(names.outbox, ['pending'], false));
  const text = dialect.name === 'mysql' ? 'LONGTEXT' : 'TEXT';
  const name = dialect.name === 'mysql' ? 'VARCHAR(64)' : dialect.name === 'postgres' ? 'varchar(64) COLLATE "C"' : 'TEXT';
  const cols = sql`collection ${sql.raw(name)} NOT NULL,
    action ${sql.raw(name)} NOT NULL,
    record_id ${sql.raw(dialect.idType)} NOT NULL,
    record ${sql.raw(text)} NOT NULL,
    at ${sql.raw(dialect.dateType)} NOT NULL,
    published_at ${sql.raw(dialect.dateType)} NULL`;
  const state = sql`CREATE TABLE IF NOT EXISTS ${s} (name ${sql.raw(name)} NOT NULL PRIMARY KEY, value BIGINT NOT NULL)${sql.raw(dialect.tableOptions)}`;
  switch (dialect.name) {
    case 'sqlite':
      // no AUTOINCREMENT (it costs a write per insert): pruning always keeps the newest row, so a
      // rowid is never reused. The partial index holds only unpublished rows, so it stays small.
      return [sql`CREATE TABLE IF NOT EXISTS ${t} (seq INTEGER PRIMARY KEY, ${cols})`, sql`CREATE INDEX IF NOT EXISTS ${ix} ON ${t} (seq) WHERE published_at IS NULL`, state];
    case 'postgres':
      return [sql`CREATE TABLE IF NOT EXISTS ${t} (seq BIGINT NOT NULL PRIMARY KEY, ${cols})`, sql`CREATE INDEX IF NOT EXISTS ${ix} ON ${t} (seq) WHERE published_at IS NULL`, state];
    case 'mysql':
      return [sql`CREATE TABLE IF NOT EXISTS ${t} (seq BIGINT NOT NULL PRIMARY KEY, ${cols}, INDEX ${ix} (published_at, seq))${sql.raw(dialect.tableOptions)}`, state];
  }
}

/** Creates the outbox tables if missing, and the seq counter row (PostgreSQL, MySQL). */
export async function ensureOutbox(o: OutboxContext): Promise<void> {
  for (const stmt of outboxDdl(o.dialect, o.names)) await stmt.execute(o.db);
  if (o.dialect.name === 'sqlite') return;
  const s = sql.table(o.names.outboxState);
  try {
    await sql`INSERT INTO ${s} (name, value) SELECT ${SEQ}, COALESCE(MAX(seq), 0) FROM ${sql.table(o.names.outbox)} WHERE NOT EXISTS (SELECT 1 FROM ${s} WHERE name = ${SEQ})`.execute(o.db);
  } catch (e) {
    if (!o.dialect.isUniqueViolation(e)) throw e; // another instance made it first
  }
}

/** Drops the outbox tables (tests, `dropAll`). */
export async function dropOutbox(db: Db, names: TableNames): Promise<void> {
  await sql`DROP TABLE IF EXISTS ${sql.table(names.outbox)}`.execute(db);
  await sql`DROP TABLE IF EXISTS ${sql.table(names.outboxState)}`.execute(db);
}

/**
 * Inserts a transaction's events; `tx` is the write's transaction and this is its last write.
 * SQLite has one writer, so rowids follow commit order. PostgreSQL and MySQL take the numbers from
 * the `seq` counter row: its row lock, held until commit, makes seq order commit order with no gaps
 * (a sequence would number at insert time, and a reader resuming after 6 could miss a late 5).
 */
export async function writeOutbox(tx: Db, dialect: SqlDialect, names: TableNames, events: readonly { collection: string; action: RecordChangeAction; record: Record<string, unknown> }[]): Promise<void> {
  if (events.length === 0) return;
  const at = new Date().toISOString();
  const rows = events.map((e) => ({ collection: e.collection, action: e.action, record_id: String(e.record.id), record: JSON.stringify(e.record), at, published_at: null }));
  if (dialect.name === 'sqlite') {
    await tx.insertInto(names.outbox).values(rows).execute();
    return;
  }
  const n = rows.length;
  let last: number;
  if (dialect.name === 'postgres') {
    const r = await sql<{ value: number }>`UPDATE ${sql.table(names.outboxState)} SET value = value + ${n} WHERE name = ${SEQ} RETURNING value`.execute(tx);
    last = Number(r.rows[0]?.value);
  } else {
    await tx.updateTable(names.outboxState).set({ value: sql`value + ${n}` }).where('name', '=', SEQ).execute();
    last = Number((await tx.selectFrom(names.outboxState).select('value').where('name', '=', SEQ).executeTakeFirst())?.value);
  }
  if (!Number.isSafeInteger(last)) throw new Error('the outbox sequence row is missing');
  await tx.insertInto(names.outbox).values(rows.map((r, i) => ({ seq: last - n + 1 + i, ...r }))).execute();
}

export function toEvent(r: OutboxRow): RecordChangeEvent {
  const seq = Number(r.seq);
  return { id: String(seq).padStart(16, '0'), seq, action: r.action, collection: r.collection, recordId: r.record_id, record: JSON.parse(r.record) as Record<string, unknown>, at: r.at };
}

const COLUMNS = ['seq', 'collection', 'action', 'record_id', 'record', 'at'] as const;

/** Unpublished rows, oldest first. */
export async function pendingRows(db: Db, names: TableNames, limit: number): Promise<OutboxRow[]> {
  return (await db.selectFrom(names.outbox).select(COLUMNS).where('published_at', 'is', null).orderBy('seq').limit(limit).execute()) as OutboxRow[];
}

/** Marks the rows `seqs` (a prefix of what pendingRows returned, in order) as published. */
export async function markPublished(db: Db, dialect: SqlDialect, names: TableNames, seqs: readonly number[]): Promise<void> {
  if (seqs.length === 0) return;
  const q = db.updateTable(names.outbox).set({ published_at: new Date().toISOString() });
  // SQLite has one writer and gives each row a seq above every existing one, so the unpublished rows
  // in [first, last] are exactly these: a range keeps one cached statement instead of one per list
  // length. Elsewhere a row in the range may have committed meanwhile, unpublished: name each one.
  if (dialect.name === 'sqlite') await q.where('seq', '>=', seqs[0]).where('seq', '<=', seqs[seqs.length - 1]).where('published_at', 'is', null).execute();
  else await q.where('seq', 'in', seqs).execute();
}

async function prunedThrough(db: Db, names: TableNames): Promise<number> {
  const row = await db.selectFrom(names.outboxState).select('value').where('name', '=', PRUNED).executeTakeFirst();
  return row ? Number(row.value) : 0;
}

/**
 * Deletes published events older than `retentionSec` or beyond the newest `maxRows`, and records
 * the highest pruned seq so the feed can answer 410 for positions before it. Returns rows deleted.
 */
export async function pruneOutbox(o: OutboxContext, retentionSec: number, maxRows: number): Promise<number> {
  // the watermark is the highest deleted seq: a feed position before it may have missed events
  return o.db.transaction().execute(async (tx) => {
    const cutoff = new Date(Date.now() - retentionSec * 1000).toISOString();
    const byAge = await tx.selectFrom(o.names.outbox).select(sql<number>`MAX(seq)`.as('s')).where('published_at', 'is not', null).where('published_at', '<', cutoff).executeTakeFirst();
    const newest = await tx.selectFrom(o.names.outbox).select(sql<number>`MAX(seq)`.as('s')).executeTakeFirst();
    if (newest?.s == null) return 0;
    const byCount = Number(newest.s) - maxRows;
    // the newest row always stays: latest() needs it, and SQLite would otherwise reuse its rowid
    const through = Math.min(Math.max(byAge?.s == null ? 0 : Number(byAge.s), byCount), Number(newest.s) - 1);
    if (through <= 0) return 0;
    // only published rows go: an unpublished event is never lost to pruning
    const last = await tx.selectFrom(o.names.outbox).select(sql<number>`MAX(seq)`.as('s')).where('seq', '<=', through).where('published_at', 'is not', null).executeTakeFirst();
    if (last?.s == null) return 0;
    const mark = Number(last.s);
    const r = await tx.deleteFrom(o.names.outbox).where('seq', '<=', mark).where('published_at', 'is not', null).executeTakeFirst();
    const deleted = Number(r.numDeletedRows);
    const before = await prunedThrough(tx, o.names);
    if (mark <= before) return deleted;
    const upd = await tx.updateTable(o.names.outboxState).set({ value: mark }).where('name', '=', PRUNED).executeTakeFirst();
    if (Number(upd.numUpdatedRows) === 0) await tx.insertInto(o.names.outboxState).values({ name: PRUNED, value: mark }).execute();
    return deleted;
  });
}

/**
 * The change feed over the outbox: replay of retained events by seq.
 *
 * @example
 * const feed = outboxFeed({ db, dialect, names });
 * const events = await feed.since(lastSeen, { collections: ['posts'], limit: 100 });
 */
export function outboxFeed(o: OutboxContext): ChangeFeed {
  return {
    async since(afterSeq, opts = {}) {
      if (!Number.isSafeInteger(afterSeq) || afterSeq < 0) throw new ValidationError('afterSeq must be a non-negative integer.', [{ field: 'afterSeq', message: 'must be a non-negative integer' }]);
      const limit = Math.min(Math.max(1, Math.trunc(opts.limit ?? 100)), FEED_MAX);
      const pruned = await prunedThrough(o.db, o.names);
      if (afterSeq < pruned) throw new EventsGoneError(afterSeq, pruned);
      let q = o.db.selectFrom(o.names.outbox).select(COLUMNS).where('seq', '>', afterSeq);
      if (opts.collections && opts.collections.length > 0) q = q.where('collection', 'in', [...opts.collections]);
      const rows = (await q.orderBy('seq').limit(limit).execute()) as OutboxRow[];
      return rows.map(toEvent);
    },
    async latest() {
      const row = await o.db.selectFrom(o.names.outbox).select(sql<number>`MAX(seq)`.as('s')).executeTakeFirst();
      const max = row?.s == null ? 0 : Number(row.s);
      return Math.max(max, await prunedThrough(o.db, o.names));
    },
  };
}
