// Writing records inside a transaction: relation targets checked, unique and foreign-key
// violations turned into 409/400 problems, optimistic concurrency on _version (If-Match → 412).
import { sql, type Expression, type SqlBool } from 'kysely';
import { ForbiddenError, NotFoundError, ValidationError, type FieldError } from '../core/index.js';
import type { Collection } from './collection-model.js';
import type { Db, WriteNow } from './dialects/dialect.js';
import { ConflictError, PreconditionFailedError, UniqueConflictError } from './errors.js';
import { newRecordId } from './record-id.js';
import type { LoadContext } from './record-load.js';
import { etagOf, ifMatchOk, toRow, type RecordData, type Row } from './record-row.js';
import type { insertStatements, insertWithStatements, RunCompiled } from './write-statements.js';

function uniqueFields(c: Collection, ctx: LoadContext, e: unknown): string[] {
  const o = e as { message?: unknown; constraint?: unknown };
  const text = `${String(o.message ?? '')} ${String(o.constraint ?? '')}`;
  const table = ctx.names.record(c.name);
  if (text.includes(`${table}.id`) || text.includes('PRIMARY') || text.includes(`${table}_pkey`)) return ['id'];
  const out: string[] = [];
  for (const f of c.fields) {
    if (f.unique && (text.includes(ctx.names.index(table, [f.name], true)) || text.includes(`${table}.${f.name}`))) out.push(f.name);
  }
  for (const ix of c.indexes) if (ix.unique && text.includes(ctx.names.index(table, ix.fields, true))) out.push(...ix.fields);
  return out;
}

/** Maps engine constraint errors to client problems; anything else is rethrown as is. */
export function mapWriteError(c: Collection, ctx: LoadContext, e: unknown, op: 'write' | 'delete'): never {
  if (ctx.dialect.isUniqueViolation(e)) throw new UniqueConflictError(uniqueFields(c, ctx, e));
  if (ctx.dialect.isForeignKeyViolation(e)) {
    if (op === 'delete') throw new ConflictError('The record is still referenced by other records (onDelete: restrict).');
    throw new ValidationError('A related record does not exist.', []);
  }
  throw e;
}

/** Fails with per-field errors when a relation names a record that does not exist. */
async function checkTargets(db: Db, ctx: LoadContext, c: Collection, values: RecordData): Promise<void> {
  const errors: FieldError[] = [];
  for (const f of c.fields) {
    if (f.type !== 'relation' || values[f.name] === null || values[f.name] === undefined) continue;
    const ids = f.multiple ? (values[f.name] as string[]) : [values[f.name] as string];
    if (ids.length === 0) continue;
    const rows = await db.selectFrom(ctx.names.record(f.collection!)).select('id').where('id', 'in', ids).execute();
    if (rows.length !== ids.length) errors.push({ field: f.name, message: 'refers to a record that does not exist' });
  }
  if (errors.length > 0) throw new ValidationError('Related records do not exist.', errors);
}

async function writeLinks(db: Db, ctx: LoadContext, c: Collection, id: string, values: RecordData, replace: boolean): Promise<void> {
  for (const f of c.fields) {
    if (f.type !== 'relation' || !f.multiple || !(f.name in values)) continue;
    const table = ctx.names.link(c.name, f.name);
    if (replace) await db.deleteFrom(table).where('owner_id', '=', id).execute();
    const ids = (values[f.name] as string[] | null) ?? [];
    if (ids.length > 0) await db.insertInto(table).values(ids.map((t, pos) => ({ owner_id: id, target_id: t, pos }))).execute();
  }
}

async function ruleAllows(db: Db, ctx: LoadContext, c: Collection, id: string, rule?: Expression<SqlBool>): Promise<Row | undefined> {
  let q = db.selectFrom(`${ctx.names.record(c.name)} as t`).selectAll('t').where('t.id', '=', id);
  if (rule) q = q.where(rule);
  return (await q.executeTakeFirst()) as Row | undefined;
}

function documentData(values: RecordData): RecordData {
  const { id: _id, ...rest } = values;
  return rest;
}

/** Statements of the write path compiled once per shape (write-statements.ts); absent: built per write. */
export interface WriteStatements {
  run: RunCompiled;
  insert: ReturnType<typeof insertStatements>;
  /** Two inserts in one statement (PostgreSQL only). */
  insertWith?: ReturnType<typeof insertWithStatements>;
  /** A write transaction run at once, its statements synchronous (SQLite only). */
  writeNow?: WriteNow;
}

/** The id and stored row of a new record (system fields set, encrypted fields sealed). */
export function newRow(ctx: LoadContext, c: Collection, values: RecordData): { id: string; row: Row } {
  const id = typeof values.id === 'string' ? values.id : newRecordId();
  const now = new Date().toISOString();
  const row: Row = { id, created: now, updated: now, _version: 1, ...toRow(c, values, ctx.dialect, id, ctx.cipher) };
  if (c.type === 'document') row.data = JSON.stringify(documentData(values));
  return { id, row };
}

/**
 * Inserts a record; returns its id and, where the engine returns inserted rows (`RETURNING *`), the
 * stored row, so the caller need not read it back.
 */
export async function insertRecord(db: Db, ctx: LoadContext & { statements?: WriteStatements }, c: Collection, values: RecordData, rule?: Expression<SqlBool>): Promise<{ id: string; row?: Row }> {
  const { id, row } = newRow(ctx, c, values);
  await checkTargets(db, ctx, c, values);
  let stored: Row | undefined;
  try {
    const st = ctx.statements;
    if (st) {
      const q = st.insert(ctx.names.record(c.name), row, ctx.dialect.insertReturning);
      stored = (await st.run(db, q.sql, q.parameters)).rows[0];
    } else await db.insertInto(ctx.names.record(c.name)).values(row).execute();
    await writeLinks(db, ctx, c, id, values, false);
  } catch (e) {
    mapWriteError(c, ctx, e, 'write');
  }
  if (rule && !(await ruleAllows(db, ctx, c, id, rule))) throw new ForbiddenError('The access rule does not allow creating this record.');
  return { id, row: stored };
}

/** Current row (rule applied) or 404, and the If-Match check. */
async function current(db: Db, ctx: LoadContext, c: Collection, id: string, rule: Expression<SqlBool> | undefined, ifMatch: string | undefined): Promise<Row> {
  const row = await ruleAllows(db, ctx, c, id, rule);
  if (!row) throw new NotFoundError(`No record ${id} in ${c.name}.`);
  if (ifMatch !== undefined && !ifMatchOk(ifMatch, etagOf(row))) throw new PreconditionFailedError();
  return row;
}

export async function updateRecord(
  db: Db,
  ctx: LoadContext,
  c: Collection,
  id: string,
  values: RecordData,
  opts: { rule?: Expression<SqlBool>; ifMatch?: string; merge?: (old: Row) => RecordData },
): Promise<void> {
  const row = await current(db, ctx, c, id, opts.rule, opts.ifMatch);
  await checkTargets(db, ctx, c, values);
  const set: Row = { ...toRow(c, values, ctx.dialect, id, ctx.cipher), updated: new Date().toISOString(), _version: sql`_version + 1` };
  if (c.type === 'document' && opts.merge) set.data = JSON.stringify(opts.merge(row));
  try {
    const r = await db.updateTable(ctx.names.record(c.name)).set(set).where('id', '=', id).where('_version', '=', row._version).executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new PreconditionFailedError('The record was changed by someone else meanwhile.');
    await writeLinks(db, ctx, c, id, values, true);
  } catch (e) {
    if (e instanceof PreconditionFailedError) throw e;
    mapWriteError(c, ctx, e, 'write');
  }
}

export async function deleteRecord(db: Db, ctx: LoadContext, c: Collection, id: string, opts: { rule?: Expression<SqlBool>; ifMatch?: string }): Promise<void> {
  const row = await current(db, ctx, c, id, opts.rule, opts.ifMatch);
  try {
    const r = await db.deleteFrom(ctx.names.record(c.name)).where('id', '=', id).where('_version', '=', row._version).executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new PreconditionFailedError('The record was changed by someone else meanwhile.');
  } catch (e) {
    if (e instanceof PreconditionFailedError) throw e;
    mapWriteError(c, ctx, e, 'delete');
  }
}
