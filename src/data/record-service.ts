// The records service: list/get/create/update/delete/batch over declared collections, with no
// HTTP in sight. Access rules arrive as optional Kysely WHERE expressions on the alias `t`.
import { sql, type CompiledQuery, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import { NotFoundError, StrataError, ValidationError, type RecordChangeAction } from '../core/index.js';
import type { Collection } from './collection-model.js';
import type { Db, ReadNow, SqlDialect } from './dialects/dialect.js';
import { compileDocumentFilter } from './document-filter.js';
import { aggregate, type AggregateQuery, type AggregateRow } from './record-aggregate.js';
import { compileFilter, type FilterContext } from './filter-compile.js';
import { hasMacros } from './filter-parse.js';
import { mergePatch, validateDocument } from './record-document.js';
import { ID_PATTERN } from './record-id.js';
import { expandRecords, loadLinks, type ExpandRule, type LoadContext } from './record-load.js';
import { cursorWhere, encodeCursor, orderBy, parseExpand, parseFields, parseSort, project, topFields } from './record-query.js';
import { etagOf, fromRow, recordColumns, rowToRecord, type RecordColumns, type RecordData, type Row } from './record-row.js';
import { validateInput } from './record-validate.js';
import { deleteRecord, insertRecord, mapWriteError, newRow, updateRecord, type WriteStatements } from './record-write.js';
import type { TableNames } from './table-names.js';
import { inTransaction, type AfterCommit } from './transaction-retry.js';
import { sealRecord, type ValueCipher } from './field-cipher.js';

export interface ListQuery {
  filter?: string;
  sort?: string;
  page?: number;
  perPage?: number;
  /** Count all matches (costs a COUNT query). */
  totalItems?: boolean;
  /** Opaque cursor from a previous page's `nextCursor` (keyset pagination; `page` is then ignored). */
  cursor?: string;
  fields?: string;
  expand?: string;
}

export interface ListResult {
  items: RecordData[];
  page: number;
  perPage: number;
  totalItems?: number;
  totalPages?: number;
  /** Cursor of the next page; null on the last one. Present on every list. */
  nextCursor: string | null;
}

export interface StoredRecord {
  record: RecordData;
  /** Strong ETag (quoted) of the stored version. */
  etag: string;
}

/** Options every operation takes; `where` is an access rule on alias `t` (from the auth capability). */
export interface OperationOptions {
  where?: Expression<SqlBool>;
  /** Access rule for records reached through `expand`. */
  expandWhere?: ExpandRule;
  /** Runs inside the write's transaction after the record is written or deleted (delete passes only `{ id }`). */
  inTx?: (tx: Db, record: RecordData) => Promise<void>;
  /** Access rule for records a `filter` reaches through relations (on the given alias). */
  relationWhere?: FilterContext['hopWhere'];
  /** Where a field's value is visible to the caller; a filter reads it as null elsewhere (`FilterContext.fieldWhere`). */
  fieldWhere?: FilterContext['fieldWhere'];
  /** The record as the caller may see it (fields hidden from them removed), before `fields` projects it; expanded records included. */
  shown?: (c: Collection, rec: RecordData) => RecordData;
  /** If-Match header value (update, delete). */
  ifMatch?: string;
  fields?: string;
  expand?: string;
  /**
   * Create only: validate, check the rule, insert and read the record back exactly as a real create
   * would, then roll the transaction back. Nothing is kept: no row, no event, no after-hook, `inTx` not run.
   */
  dryRun?: boolean;
}

/** Carries a dry run's record out of its transaction, which throwing rolls back. */
class DryRunDone extends Error {
  constructor(readonly result: StoredRecord) {
    super('dry run');
  }
}

export type BatchOperation =
  | { action: 'create'; collection: string; body: unknown }
  | { action: 'update'; collection: string; id: string; body: unknown; ifMatch?: string }
  | { action: 'delete'; collection: string; id: string; ifMatch?: string };

export interface BatchResult {
  status: number;
  body?: RecordData;
  etag?: string;
}

export interface RecordsServiceOptions {
  db: Db;
  dialect: SqlDialect;
  names: TableNames;
  collections: readonly Collection[];
  maxPerPage?: number;
  maxBatch?: number;
  maxExpandDepth?: number;
  fullText?: FilterContext['fullText'];
  /** Immediate reads outside transactions (SQLite). */
  readNow?: ReadNow;
  /** Write statements compiled once per shape (absent: built by Kysely per write). */
  statements?: WriteStatements;
  /** Cipher for fields marked `encrypted` (the auth capability's FieldCipher). */
  cipher?: ValueCipher;
  /** Record hooks (user functions): before-hooks inside each write's transaction, after-hooks after commit. */
  hooks?: RecordHooks;
  /** Record-change events: written in each write's transaction, announced after it commits. */
  events?: RecordEventSink;
}

/** One record-change event before it is stored: the record as REST returns it. */
export interface PendingRecordEvent {
  collection: string;
  action: RecordChangeAction;
  record: RecordData;
}

/** Where record-change events go (the data layer's outbox). */
export interface RecordEventSink {
  /** Called inside the write's transaction, as its last statement(s). */
  write(tx: Db, events: readonly PendingRecordEvent[]): Promise<void>;
  /** Called after a transaction holding events committed. */
  committed(): void;
  /** The outbox table and the row of one event, for a write that inserts its event in its own statement (PostgreSQL). */
  outbox?: { table: string; row(ev: PendingRecordEvent): Record<string, unknown> };
}

/** Hooks around writes. A before-hook may return a replacement body, or throw (a StrataError reaches the client). */
export interface RecordHooks {
  /** Whether a before-hook exists for this write now (absent: assume one does); without one the write needs no hook call in its transaction. */
  hasBefore?(action: 'create' | 'update' | 'delete', collection: string): boolean;
  before?(action: 'create' | 'update' | 'delete', collection: string, input: { id?: string; body?: unknown }, tx: Db): unknown;
  after?(action: 'create' | 'update' | 'delete', collection: string, result: { id: string; record?: RecordData }): Promise<void> | void;
}

/** After-hooks of one operation (or one batch), run once the transaction committed. */
const runAfter = async (afters: AfterCommit) => {
  for (const a of afters) await a();
};

export interface RecordsService {
  readonly collections: ReadonlyMap<string, Collection>;
  collection(name: string): Collection;
  list(collection: string, q: ListQuery, opts?: OperationOptions): Promise<ListResult>;
  get(collection: string, id: string, opts?: OperationOptions): Promise<StoredRecord>;
  create(collection: string, body: unknown, opts?: OperationOptions): Promise<StoredRecord>;
  update(collection: string, id: string, body: unknown, opts?: OperationOptions): Promise<StoredRecord>;
  delete(collection: string, id: string, opts?: OperationOptions): Promise<void>;
  /** All operations in one transaction: all commit or none. */
  /** count/sum/avg/min/max grouped by fields, filtered like a list. */
  aggregate(collection: string, q: AggregateQuery, opts?: OperationOptions): Promise<AggregateRow[]>;
  batch(ops: readonly BatchOperation[], rules?: (collection: string, action: BatchOperation['action'], index: number) => Expression<SqlBool> | undefined): Promise<BatchResult[]>;
}

const LIST_CACHE = 256;

const intParam = (name: string, v: unknown, min: number, max: number, def: number): number => {
  if (v === undefined) return def;
  const n = typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) throw new ValidationError(`${name} must be an integer from ${min} to ${max}.`, [{ field: name, message: `must be ${min}..${max}` }]);
  return n;
};

/**
 * @example
 * const records = createRecordsService({ db, dialect, names, collections });
 * const { items } = await records.list('posts', { filter: 'views > 10', sort: '-created', perPage: 20 });
 */
export function createRecordsService(o: RecordsServiceOptions): RecordsService {
  const collections = new Map(o.collections.map((c) => [c.name, c]));
  const ctx: LoadContext & FilterContext & { statements?: WriteStatements } = { dialect: o.dialect, names: o.names, collections, fullText: o.fullText, cipher: o.cipher, statements: o.statements };
  const maxPerPage = o.maxPerPage ?? 500;
  const maxExpand = o.maxExpandDepth ?? 3;
  const listCache = new Map<string, { compiled: CompiledQuery; ranked: boolean }>();
  const getCache = new Map<string, CompiledQuery>();
  const hooks = o.hooks;

  const plain = new Map<Collection, RecordColumns | undefined>();
  const plainColumns = (c: Collection) => {
    if (!plain.has(c)) plain.set(c, recordColumns(c, o.dialect));
    return plain.get(c);
  };
  const beforeHook = (action: 'create' | 'update' | 'delete', c: Collection): boolean => hooks?.before !== undefined && (hooks.hasBefore?.(action, c.name) ?? true);
  const collection = (name: string): Collection => {
    const c = typeof name === 'string' ? collections.get(name) : undefined;
    if (!c) throw new NotFoundError(`No collection named ${JSON.stringify(String(name).slice(0, 64))}.`);
    return c;
  };
  const checkId = (id: string) => {
    if (typeof id !== 'string' || !ID_PATTERN.test(id)) throw new NotFoundError('No record with this id.');
  };
  /** A compiled read: immediately when the engine allows, else through Kysely. */
  const readRows = async (db: Db, q: CompiledQuery): Promise<Row[]> => (db === o.db ? o.readNow?.(q.sql, q.parameters) : undefined) ?? ((await db.executeQuery(q)).rows as Row[]);
  const inTx = <T>(db: Db, fn: (db: Db) => Promise<T>, afters?: AfterCommit): Promise<T> => inTransaction(db, fn, { isRetryable: o.dialect.isRetryable }, afters);

  async function read(db: Db, c: Collection, id: string, opts: OperationOptions = {}): Promise<StoredRecord> {
    checkId(id);
    const fields = parseFields(c, opts.fields, collections);
    const tree = parseExpand(c, opts.expand, collections, maxExpand);
    let row: Row | undefined;
    if (opts.where) {
      row = (await db.selectFrom(`${o.names.record(c.name)} as t`).selectAll('t').where('t.id', '=', id).where(opts.where).executeTakeFirst()) as Row | undefined;
    } else {
      let byId = getCache.get(c.name);
      if (!byId) getCache.set(c.name, (byId = db.selectFrom(`${o.names.record(c.name)} as t`).selectAll('t').where('t.id', '=', '').compile()));
      row = (await readRows(db, { ...byId, parameters: [id] }))[0];
    }
    if (!row) throw new NotFoundError(`No record ${id} in ${c.name}.`);
    return present(db, c, row, opts, fields, tree);
  }

  /** A stored row as the caller is answered: links loaded, relations expanded, hidden fields removed, fields selected. */
  async function present(db: Db, c: Collection, row: Row, opts: OperationOptions, fields = parseFields(c, opts.fields, collections), tree = parseExpand(c, opts.expand, collections, maxExpand)): Promise<StoredRecord> {
    const rec = fromRow(c, row, o.dialect, o.cipher);
    await loadLinks(db, ctx, c, [rec]);
    await expandRecords(db, ctx, c, [rec], tree, opts.expandWhere);
    return { record: project(opts.shown ? opts.shown(c, rec) : rec, fields), etag: etagOf(row) };
  }

  async function list(collName: string, q: ListQuery, opts: OperationOptions = {}): Promise<ListResult> {
    const c = collection(collName);
    const perPage = intParam('perPage', q.perPage, 1, maxPerPage, Math.min(30, maxPerPage));
    const page = intParam('page', q.page, 1, 1_000_000, 1);
    let keys = parseSort(c, q.sort, 't', o.dialect);
    let rank: RawBuilder<unknown> | undefined;
    const fields = parseFields(c, q.fields, collections);
    const tree = parseExpand(c, q.expand, collections, maxExpand);
    const wheres: Expression<SqlBool>[] = [];
    const table = `${o.names.record(c.name)} as t`;
    // Without a per-user rule the query depends only on the parameters: reuse its compiled form.
    // A caller with relation rules gets entries of its own: a filter compiled without them (a superuser's) must
    // never serve a caller whose relations are narrowed (one compiled with them is never cached, see `hopped`).
    // A filter with a date macro (@now...) changes meaning with the clock: never reused either.
    const cacheKey = opts.where || (q.filter !== undefined && hasMacros(q.filter)) ? undefined : JSON.stringify([c.name, q.filter ?? '', q.sort ?? '', q.cursor ?? '', perPage, page, opts.relationWhere ? 1 : 0, opts.fieldWhere ? 1 : 0]);
    const hit = cacheKey === undefined ? undefined : listCache.get(cacheKey);
    let compiled = hit?.compiled;
    // A filter through relations carries the caller's rules for the related records: never cached.
    let hopped = false;
    const { relationWhere, fieldWhere } = opts;
    let hopCtx: FilterContext = relationWhere ? { ...ctx, hopWhere: (t, a) => ((hopped = true), relationWhere(t, a)) } : ctx;
    // A field seen only on some rows (per caller): a filter reading it is never cached either.
    if (fieldWhere) hopCtx = { ...hopCtx, fieldWhere: (fc, f, a) => { const w = fieldWhere(fc, f, a); if (w) hopped = true; return w; } };
    if (!compiled || q.totalItems) {
      if (q.filter !== undefined && q.filter !== '') {
        const mongo = c.type === 'document' && q.filter.trimStart().startsWith('{');
        wheres.push(mongo ? compileDocumentFilter(q.filter, 't', o.dialect) : compileFilter(q.filter, c, 't', hopCtx, (r) => (rank = r)));
      }
      if (opts.where) wheres.push(opts.where);
    }
    // a full-text search without an explicit sort is ordered by relevance
    if (rank && !q.sort) keys = [{ name: '@rank', desc: true, expr: rank, total: false, cursor: false, kind: 'number' }, ...keys];
    // Where the rows already are the records (recordColumns), they are selected as such and kept:
    // no copy per row (fewer allocations; on PostgreSQL they outlive scavenges while the query waits).
    const columns = plainColumns(c);
    if (!compiled) {
      let sel = columns ? o.db.selectFrom(table).select(columns.columns.map((n) => `t.${n}`)) : o.db.selectFrom(table).selectAll('t');
      for (const w of wheres) sel = sel.where(w);
      if (q.cursor) sel = sel.where(cursorWhere(keys, q.cursor, o.dialect));
      // LIMIT and OFFSET as literals (checked integers, and part of the cache key): SQLite plans a
      // bound LIMIT as unknown and reads ~7% slower (bench/records-profile.ts)
      sel = sel.orderBy(orderBy(keys, o.dialect)).limit(sql.lit(perPage + 1));
      if (!q.cursor && page > 1) sel = sel.offset(sql.lit((page - 1) * perPage));
      compiled = sel.compile();
      if (cacheKey !== undefined && !hopped) {
        if (listCache.size >= LIST_CACHE) listCache.delete(listCache.keys().next().value!);
        listCache.set(cacheKey, { compiled, ranked: rank !== undefined && !q.sort });
      }
    }
    const rows = await readRows(o.db, compiled);
    const more = rows.length > perPage;
    const page1 = rows.length > perPage ? rows.slice(0, perPage) : rows;
    const items = columns ? page1.map((r) => rowToRecord(r, columns.convert, o.dialect)) : page1.map((r) => fromRow(c, r, o.dialect, o.cipher));
    const last = items[items.length - 1];
    const nextCursor = more && last && !hit?.ranked && keys.every((k) => k.cursor) ? encodeCursor(keys, last) : null;
    const top = topFields(fields);
    await loadLinks(o.db, ctx, c, items, top && new Set([...top, ...tree.keys()]));
    await expandRecords(o.db, ctx, c, items, tree, opts.expandWhere);
    const shown = opts.shown;
    const out: ListResult = { items: items.map((r) => project(shown ? shown(c, r) : r, fields)), page: q.cursor ? 1 : page, perPage, nextCursor };
    if (q.totalItems) {
      let cq = o.db.selectFrom(table).select(sql<number>`COUNT(*)`.as('n'));
      for (const w of wheres) cq = cq.where(w);
      out.totalItems = Number((await cq.executeTakeFirstOrThrow()).n);
      out.totalPages = Math.ceil(out.totalItems / perPage);
    }
    return out;
  }

  // Record-change events (outbox): the full record as REST returns it, not the caller's projection.
  async function writeEvent(tx: Db, c: Collection, action: RecordChangeAction, id: string, shown: StoredRecord, opts: OperationOptions = {}): Promise<void> {
    // System collections (`_superusers`) publish nothing: their records are not app data.
    if (!o.events || c.name.startsWith('_')) return;
    const plain = opts.fields === undefined && opts.expand === undefined && opts.shown === undefined ? shown.record : (await read(tx, c, id)).record;
    // Events outlive the request (outbox, bus, webhooks, the WAL): encrypted fields travel sealed.
    const record = sealRecord(c, plain, o.cipher);
    const ev = { collection: c.name, action, record };
    const batched = batchEvents.get(tx);
    if (batched) batched.push(ev);
    else await o.events.write(tx, [ev]);
  }
  // a batch stores its events together at its end, so the outbox is always a transaction's last write
  const batchEvents = new WeakMap<Db, PendingRecordEvent[]>();
  const announce = <T>(p: Promise<T>): Promise<T> => (o.events ? p.then((v) => (o.events!.committed(), v)) : p);

  /**
   * Whether a create can be written at once, the record and its event inserted together: on
   * PostgreSQL as one statement (a data-modifying WITH: atomic, one round trip instead of BEGIN, two
   * INSERTs and COMMIT), on SQLite as one synchronous transaction (no Kysely transaction, queue or
   * await between its statements). Only with nothing to run inside a transaction (before-hooks,
   * `inTx`, an access rule, a dry run, an enclosing batch), nothing to read first or after (relations
   * are checked and expanded by queries), and an event record that is exactly the stored one (JSON
   * fields come back normalized by jsonb).
   */
  const oneStatement = (db: Db, c: Collection, opts: OperationOptions): boolean =>
    (o.statements?.insertWith !== undefined || o.statements?.writeNow !== undefined) &&
    !db.isTransaction &&
    !beforeHook('create', c) &&
    !opts.where &&
    !opts.inTx &&
    !opts.dryRun &&
    !opts.expand &&
    c.type === 'base' &&
    !c.auth &&
    (!o.events || c.name.startsWith('_') || o.events.outbox !== undefined) &&
    c.fields.every((f) => f.type !== 'relation' && f.type !== 'json');

  /** The create written at once (see oneStatement); undefined when SQLite's connection is in a transaction now. */
  async function createInOneStatement(c: Collection, values: RecordData, opts: OperationOptions, afters: AfterCommit): Promise<StoredRecord | undefined> {
    const st = o.statements!;
    const { id, row } = newRow(ctx, c, values);
    // the event's record is what a read of the stored row gives (fromRow), as writeEvent's is; sealed
    const sink = o.events && !c.name.startsWith('_') ? o.events : undefined;
    const event = sink ? { collection: c.name, action: 'create' as const, record: sealRecord(c, fromRow(c, row, o.dialect, o.cipher), o.cipher) } : undefined;
    const table = o.names.record(c.name);
    let stored: Row | undefined;
    try {
      if (st.insertWith) {
        const q = event ? st.insertWith(table, row, sink!.outbox!.table, sink!.outbox!.row(event)) : st.insert(table, row, true);
        stored = (await st.run(o.db, q.sql, q.parameters)).rows[0];
      } else {
        const written = st.writeNow!((run) => {
          const q = st.insert(table, row, o.dialect.insertReturning);
          const r = run(q.sql, q.parameters).rows[0];
          if (event) {
            const e = st.insert(sink!.outbox!.table, sink!.outbox!.row(event), false);
            run(e.sql, e.parameters);
          }
          return { row: r };
        });
        if (!written) return undefined;
        stored = written.row;
      }
    } catch (e) {
      mapWriteError(c, ctx, e, 'write');
    }
    if (!stored) throw new Error(`the insert of ${c.name}/${id} returned no row`);
    const out = await present(o.db, c, stored, { fields: opts.fields, shown: opts.shown });
    if (hooks?.after) afters.push(() => hooks.after!('create', c.name, { id, record: out.record }));
    return out;
  }

  async function create(db: Db, collName: string, body: unknown, opts: OperationOptions = {}, afters: AfterCommit = []): Promise<StoredRecord> {
    const c = collection(collName);
    const validate = (b: unknown) => (c.type === 'document' ? validateDocument(c, b, false) : validateInput(c, b, false));
    const checked = beforeHook('create', c) ? undefined : validate(body);
    if (checked && oneStatement(db, c, opts)) {
      const done = await createInOneStatement(c, checked, opts, afters);
      if (done) return done;
    }
    if (opts.dryRun && db.isTransaction) throw new Error('a dry run needs a transaction of its own');
    const run = inTx(db, async (tx) => {
      const values = checked ?? validate((await hooks!.before!('create', c.name, { body }, tx)) ?? body);
      const { id, row } = await insertRecord(tx, ctx, c, values, opts.where);
      // the row as stored came back with the insert where the engine can (RETURNING): not read again
      const shownOpts = { fields: opts.fields, expand: opts.expand, expandWhere: opts.expandWhere, shown: opts.shown };
      const out = row ? await present(tx, c, row, shownOpts) : await read(tx, c, id, shownOpts);
      if (opts.dryRun) throw new DryRunDone(out);
      if (opts.inTx) await opts.inTx(tx, (await read(tx, c, id)).record);
      await writeEvent(tx, c, 'create', id, out, opts);
      if (hooks?.after) afters.push(() => hooks.after!('create', c.name, { id, record: out.record }));
      return out;
    }, afters);
    return opts.dryRun ? run.catch((e: unknown) => (e instanceof DryRunDone ? e.result : Promise.reject(e))) : run;
  }

  async function update(db: Db, collName: string, id: string, body: unknown, opts: OperationOptions = {}, afters: AfterCommit = []): Promise<StoredRecord> {
    const c = collection(collName);
    checkId(id);
    const validate = (b: unknown) => (c.type === 'document' ? validateDocument(c, b, true) : validateInput(c, b, true));
    const checked = beforeHook('update', c) ? undefined : validate(body);
    return inTx(db, async (tx) => {
      const values = checked ?? validate((await hooks!.before!('update', c.name, { id, body }, tx)) ?? body);
      const merge = c.type === 'document' ? (old: Row) => {
        const { id: _i, created: _c, updated: _u, ...data } = fromRow(c, old, o.dialect, o.cipher);
        return mergePatch(data, values) as RecordData;
      } : undefined;
      await updateRecord(tx, ctx, c, id, values, { rule: opts.where, ifMatch: opts.ifMatch, merge });
      const out = await read(tx, c, id, { fields: opts.fields, expand: opts.expand, expandWhere: opts.expandWhere, shown: opts.shown });
      if (opts.inTx) await opts.inTx(tx, (await read(tx, c, id)).record);
      await writeEvent(tx, c, 'update', id, out, opts);
      if (hooks?.after) afters.push(() => hooks.after!('update', c.name, { id, record: out.record }));
      return out;
    }, afters);
  }

  async function remove(db: Db, collName: string, id: string, opts: OperationOptions = {}, afters: AfterCommit = []): Promise<void> {
    const c = collection(collName);
    checkId(id);
    await inTx(db, async (tx) => {
      if (beforeHook('delete', c)) await hooks!.before!('delete', c.name, { id }, tx);
      const before = o.events && !c.name.startsWith('_') ? await read(tx, c, id) : undefined;
      await deleteRecord(tx, ctx, c, id, { rule: opts.where, ifMatch: opts.ifMatch });
      await opts.inTx?.(tx, { id });
      if (before) await writeEvent(tx, c, 'delete', id, before);
      if (hooks?.after) afters.push(() => hooks.after!('delete', c.name, { id }));
    }, afters);
  }
  /** Runs one write, then its after-hooks once it committed. */
  const withAfter = async <T>(fn: (afters: AfterCommit) => Promise<T>): Promise<T> => {
    const afters: AfterCommit = [];
    const r = await fn(afters);
    await runAfter(afters);
    return r;
  };

  return {
    collections,
    collection,
    list,
    get: (coll, id, opts) => read(o.db, collection(coll), id, opts),
    create: (coll, body, opts) => announce(hooks ? withAfter((a) => create(o.db, coll, body, opts, a)) : create(o.db, coll, body, opts)),
    update: (coll, id, body, opts) => announce(hooks ? withAfter((a) => update(o.db, coll, id, body, opts, a)) : update(o.db, coll, id, body, opts)),
    delete: (coll, id, opts) => announce(hooks ? withAfter((a) => remove(o.db, coll, id, opts, a)) : remove(o.db, coll, id, opts)),
    aggregate: (coll, q, opts = {}) => aggregate(o.db, { ...ctx, hopWhere: opts.relationWhere, fieldWhere: opts.fieldWhere }, collection(coll), q, opts.where, maxPerPage),
    async batch(ops, rules) {
      if (!Array.isArray(ops) || ops.length === 0) throw new ValidationError('A batch needs at least one operation.', [{ field: 'requests', message: 'must be a non-empty list' }]);
      if (ops.length > (o.maxBatch ?? 100)) throw new ValidationError(`A batch holds at most ${o.maxBatch ?? 100} operations.`, [{ field: 'requests', message: 'too many operations' }]);
      const afters: AfterCommit = [];
      const done = await announce(o.db.transaction().execute(async (tx) => {
        const results: BatchResult[] = [];
        const events: PendingRecordEvent[] = [];
        if (o.events) batchEvents.set(tx, events);
        for (const [i, op] of ops.entries()) {
          try {
            const where = rules?.(op.collection, op.action, i);
            if (op.action === 'create') {
              const r = await create(tx, op.collection, op.body, { where }, afters);
              results.push({ status: 201, body: r.record, etag: r.etag });
            } else if (op.action === 'update') {
              const r = await update(tx, op.collection, op.id, op.body, { where, ifMatch: op.ifMatch }, afters);
              results.push({ status: 200, body: r.record, etag: r.etag });
            } else if (op.action === 'delete') {
              await remove(tx, op.collection, op.id, { where, ifMatch: op.ifMatch }, afters);
              results.push({ status: 204 });
            } else throw new ValidationError('Unknown batch action.', [{ field: `requests.${i}.action`, message: 'must be create, update or delete' }]);
          } catch (e) {
            if (e instanceof StrataError) Object.assign(e, { extensions: { ...e.extensions, operation: i } });
            throw e;
          }
        }
        if (events.length > 0) await o.events!.write(tx, events);
        return results;
      }));
      await runAfter(afters);
      return done;
    },
  };
}
