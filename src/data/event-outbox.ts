// The transactional outbox for record-change events: one row per write, inserted in the write's own
// transaction (so a rollback leaves no event), given its position by the relay (PostgreSQL, MySQL)
// and read by the relay in position order and by the change feed.
import { CompiledQuery, sql } from 'kysely';
import { ValidationError, type ChangeFeed, type RecordChangeAction, type RecordChangeEvent } from '../core/index.js';
import type { Db, SqlDialect } from './dialects/dialect.js';
import type { TableNames } from './table-names.js';
import { EventsGoneError } from './errors.js';
import { outboxIndexNames, SEQ } from './event-outbox-schema.js';
import type { WriteStatements } from './record-write.js';

export { ensureOutbox, dropOutbox, outboxDdl } from './event-outbox-schema.js';

export interface OutboxContext {
  db: Db;
  dialect: SqlDialect;
  names: TableNames;
}

export interface OutboxRow {
  /** The position: what clients see as the event id. NULL on PostgreSQL/MySQL until the relay assigns it. */
  seq: number | null;
  /** The engine's insertion key (PostgreSQL, MySQL; on SQLite `seq` is the rowid and this is absent). */
  insert_key?: number;
  collection: string;
  action: RecordChangeAction;
  record_id: string;
  record: string;
  at: string;
}

/** A row with its position. */
export type PositionedRow = OutboxRow & { seq: number };

const PRUNED = 'pruned_through';
const FEED_MAX = 1000;

/**
 * Inserts a transaction's events; `tx` is the write's transaction and this is its last write.
 * Nothing else is touched, so concurrent writers do not wait for each other here: on SQLite the
 * rowid is the position (one writer: rowid order is commit order); on PostgreSQL and MySQL the row
 * gets an insertion key from the engine (identity / AUTO_INCREMENT, not held to commit) and its
 * position later, from the relay ({@link assignPositions}).
 */
export async function writeOutbox(tx: Db, names: TableNames, events: readonly { collection: string; action: RecordChangeAction; record: Record<string, unknown> }[], statements?: WriteStatements): Promise<void> {
  if (events.length === 0) return;
  const at = new Date().toISOString();
  const rows = events.map((e) => outboxRow(e, at));
  if (statements && rows.length === 1) {
    // one event (a single write): the statement compiled once, run on the transaction's connection
    const q = statements.insert(names.outbox, rows[0], false);
    await statements.run(tx, q.sql, q.parameters);
  } else await tx.insertInto(names.outbox).values(rows).execute();
}

/** The outbox row of one event (`at`: the write's time). */
export function outboxRow(e: { collection: string; action: RecordChangeAction; record: Record<string, unknown> }, at = new Date().toISOString()): Record<string, unknown> {
  return { collection: e.collection, action: e.action, record_id: String(e.record.id), record: JSON.stringify(e.record), at, published_at: null };
}

export function toEvent(r: PositionedRow): RecordChangeEvent {
  const seq = Number(r.seq);
  return { id: String(seq).padStart(16, '0'), seq, action: r.action, collection: r.collection, recordId: r.record_id, record: JSON.parse(r.record) as Record<string, unknown>, at: r.at };
}

const COLUMNS = ['seq', 'collection', 'action', 'record_id', 'record', 'at'] as const;

/** Compiled statement texts of the relay's per-pass statements, by purpose, engine and outbox table. */
const compiledTexts = new Map<string, string>();

/** The SQL text `build` compiles to, built once per key (its one parameter list is the caller's). */
function compiledOnce(key: string, build: () => { sql: string }): string {
  let text = compiledTexts.get(key);
  if (text === undefined) {
    text = build().sql;
    if (compiledTexts.size >= 64) compiledTexts.delete(compiledTexts.keys().next().value!);
    compiledTexts.set(key, text);
  }
  return text;
}

/**
 * Unpublished rows the relay publishes next, in publish order: rows that already have a position (a
 * pass positioned them, then failed or died before publishing) by position, then rows without one
 * by insertion key. Read outside any transaction, so only committed rows are seen.
 */
export async function pendingRows(db: Db, dialect: SqlDialect, names: TableNames, limit: number, after = 0): Promise<OutboxRow[]> {
  if (dialect.name !== 'mysql') {
    // one statement text per outbox, compiled once: the relay reads on every pass. On SQLite
    // `after` skips the rows this relay published and has not marked yet (markPublished is deferred there).
    const text = compiledOnce(`pending\u0000${dialect.name}\u0000${names.outbox}`, () => {
      const q = db.selectFrom(names.outbox).select(COLUMNS).where('published_at', 'is', null);
      // PostgreSQL sorts NULLs last in ascending order, as its partial index (seq, insert_key) holds them
      return (dialect.name === 'sqlite' ? q.where('seq', '>', 0).orderBy('seq') : q.select('insert_key').orderBy('seq').orderBy('insert_key')).limit(limit).compile();
    });
    return (await db.executeQuery(CompiledQuery.raw(text, dialect.name === 'sqlite' ? [after, limit] : [limit]))).rows as OutboxRow[];
  }
  // MySQL sorts NULLs first: two reads, each a range of the index (published_at, seq, insert_key).
  // Named, because MariaDB otherwise walks the primary key for the second, through every published row.
  const from = sql`${sql.table(names.outbox)} FORCE INDEX (${sql.id(outboxIndexNames(names).pending)})`;
  const cols = sql.join([...COLUMNS, 'insert_key'].map((c) => sql.ref(c)));
  const positioned = (await sql<OutboxRow>`SELECT ${cols} FROM ${from} WHERE published_at IS NULL AND seq IS NOT NULL ORDER BY seq LIMIT ${limit}`.execute(db)).rows;
  if (positioned.length === limit) return positioned;
  const fresh = (await sql<OutboxRow>`SELECT ${cols} FROM ${from} WHERE published_at IS NULL AND seq IS NULL ORDER BY insert_key LIMIT ${limit - positioned.length}`.execute(db)).rows;
  return [...positioned, ...fresh];
}

/**
 * Gives positions to the rows (what {@link pendingRows} returned) that have none, in their order,
 * from the counter row of the outbox state table, atomically (one statement on PostgreSQL, one short transaction on MySQL); returns the rows with
 * their positions, in position order. Only the relay calls this, under the publisher lock, so only
 * the relay ever waits on the counter row, never a writer. SQLite rows have theirs (the rowid).
 *
 * Why the order is safe: a transaction that writes after another committed (it touched the same
 * record, so it waited for that row lock, or it acted on what it read) inserts its outbox row after
 * that commit, so it gets a higher insertion key, and the relay cannot see it without also seeing
 * the earlier one: it is positioned after it. Only truly concurrent transactions (neither saw the
 * other) may be positioned out of insertion-key order (one committed and was published while the
 * other was still open), and no observer can tell that apart from the other commit order. Positions
 * are handed out gap-free and published in increasing order, and a row is readable by position only
 * once its position is committed, with every lower one: a feed reader resuming after N never misses
 * an event positioned later. A crash after this and before publishing leaves the positions in place;
 * the next pass publishes those rows first, with the same positions (stable ids, at least once).
 */
export async function assignPositions(db: Db, dialect: SqlDialect, names: TableNames, rows: readonly OutboxRow[]): Promise<PositionedRow[]> {
  const fresh = rows.filter((r) => r.seq === null);
  if (fresh.length === 0 || dialect.name === 'sqlite') return rows as PositionedRow[];
  const n = fresh.length;
  const keys = fresh.map((r) => String(r.insert_key));
  const t = sql.table(names.outbox);
  const s = sql.table(names.outboxState);
  let first: number;
  if (dialect.name === 'postgres') {
    // the counter and the rows in one statement, outside any explicit transaction (one round trip,
    // atomic as a statement is); it fails, changing nothing, unless every row got its position here:
    // a division by zero when the count differs (a position is given once)
    const r = await sql<{ last: string | number }>`WITH c AS (UPDATE ${s} SET value = value + ${n} WHERE name = ${SEQ} RETURNING value),
      u AS (UPDATE ${t} SET seq = c.value - ${n} + u.ord FROM c, unnest(${keys}::bigint[]) WITH ORDINALITY AS u(k, ord)
        WHERE ${t}.insert_key = u.k AND ${t}.seq IS NULL RETURNING c.value AS last)
      SELECT MAX(last) AS last, 1 / (CASE WHEN COUNT(*) = ${n} THEN 1 ELSE 0 END) AS ok FROM u`.execute(db).catch((err: unknown) => {
      if ((err as { code?: string }).code === '22012') throw new Error(`outbox positions: not all ${n} rows could be positioned (counter row missing, or a relay running without the publisher lock)`);
      throw err;
    });
    first = Number(r.rows[0]?.last) - n + 1;
  } else {
    first = await db
      .transaction()
      .setIsolationLevel('read committed')
      .execute(async (tx) => {
        await tx.updateTable(names.outboxState).set({ value: sql`value + ${n}` }).where('name', '=', SEQ).execute();
        const from = Number((await tx.selectFrom(names.outboxState).select('value').where('name', '=', SEQ).executeTakeFirst())?.value) - n + 1;
        if (!Number.isSafeInteger(from)) throw new Error('the outbox position counter row is missing');
        const r = await sql`UPDATE ${t} SET seq = CASE insert_key ${sql.join(keys.map((k, i) => sql`WHEN ${k} THEN ${from + i}`), sql` `)} END WHERE insert_key IN (${sql.join(keys)}) AND seq IS NULL`.execute(tx);
        // rolls back (counter included) unless every row got its position here: a position is given once
        if (Number(r.numAffectedRows) !== n) throw new Error(`outbox positions: ${Number(r.numAffectedRows)} of ${n} rows positioned (counter row missing, or a relay running without the publisher lock)`);
        return from;
      });
  }
  if (!Number.isSafeInteger(first)) throw new Error('the outbox position counter row is missing');
  let i = 0;
  return rows.map((r) => (r.seq === null ? { ...r, seq: first + i++ } : (r as PositionedRow)));
}

/** Marks the rows `seqs` (a prefix of what assignPositions returned, in order) as published. */
export async function markPublished(db: Db, dialect: SqlDialect, names: TableNames, seqs: readonly number[]): Promise<void> {
  if (seqs.length === 0) return;
  const now = new Date().toISOString();
  // SQLite has one writer and gives each row a seq above every existing one, so the unpublished rows
  // in [first, last] are exactly these: a range, one statement for any batch. Elsewhere name each one
  // (a position is unique, and this stays right whatever happened): PostgreSQL as one array
  // parameter (one statement text for any batch), MySQL as a list.
  const key = `mark\u0000${dialect.name}\u0000${names.outbox}`;
  if (dialect.name === 'sqlite') {
    const text = compiledOnce(key, () => db.updateTable(names.outbox).set({ published_at: now }).where('seq', '>=', 0).where('seq', '<=', 0).where('published_at', 'is', null).compile());
    await db.executeQuery(CompiledQuery.raw(text, [now, seqs[0], seqs[seqs.length - 1]]));
  } else if (dialect.name === 'postgres') {
    const text = compiledOnce(key, () => sql`UPDATE ${sql.table(names.outbox)} SET published_at = ${now} WHERE seq = ANY(${[]}::bigint[])`.compile(db));
    await db.executeQuery(CompiledQuery.raw(text, [now, seqs.map(String)]));
  } else await db.updateTable(names.outbox).set({ published_at: now }).where('seq', 'in', seqs).execute();
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
  // the watermark is the highest deleted seq: a feed position before it may have missed events.
  // READ COMMITTED: MySQL then locks only the rows deleted, not the gaps where writers insert.
  const txn = o.dialect.name === 'sqlite' ? o.db.transaction() : o.db.transaction().setIsolationLevel('read committed');
  return txn.execute(async (tx) => {
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
 * The change feed over the outbox: replay of retained events by position (`seq`). A row the relay
 * has not positioned yet is not in the feed yet; it will be, after every position already there.
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
      const rows = (await q.orderBy('seq').limit(limit).execute()) as PositionedRow[];
      return rows.map(toEvent);
    },
    async latest() {
      const row = await o.db.selectFrom(o.names.outbox).select(sql<number>`MAX(seq)`.as('s')).executeTakeFirst();
      const max = row?.s == null ? 0 : Number(row.s);
      return Math.max(max, await prunedThrough(o.db, o.names));
    },
  };
}
