// Reading stored records: by id (batched, chunked IN lists), link-table values of multiple
// relations, and relation expansion to a bounded depth.
import { sql, type Expression, type SqlBool } from 'kysely';
import { backRelationOf, fieldOf, type BackRelation, type Collection } from './collection-model.js';
import type { Db, SqlDialect } from './dialects/dialect.js';
import { fromRow, type RecordData, type Row } from './record-row.js';
import type { ExpandTree } from './record-query.js';
import type { TableNames } from './table-names.js';
import type { ValueCipher } from './field-cipher.js';

export interface LoadContext {
  dialect: SqlDialect;
  names: TableNames;
  collections: ReadonlyMap<string, Collection>;
  /** Encrypts/decrypts fields marked `encrypted` (absent: such fields fail clearly). */
  cipher?: ValueCipher;
}

/** Access rule of a collection for reading expanded records (alias `t`), when there is one. */
export type ExpandRule = (collection: string) => Expression<SqlBool> | undefined;

const CHUNK = 500;

function chunks<T>(xs: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

/** Fills multiple-relation fields from their link tables, in link order. */
export async function loadLinks(db: Db, ctx: LoadContext, c: Collection, recs: RecordData[], only?: Set<string>): Promise<void> {
  if (recs.length === 0 || c.type === 'document') return;
  for (const f of c.fields) {
    if (f.type !== 'relation' || !f.multiple || (only && !only.has(f.name))) continue;
    const byOwner = new Map<string, string[]>();
    for (const ids of chunks(recs.map((r) => String(r.id)))) {
      const rows = await db.selectFrom(ctx.names.link(c.name, f.name)).select(['owner_id', 'target_id']).where('owner_id', 'in', ids).orderBy('owner_id').orderBy('pos').execute();
      for (const r of rows) {
        const list = byOwner.get(r.owner_id) ?? [];
        list.push(r.target_id);
        byOwner.set(r.owner_id, list);
      }
    }
    for (const rec of recs) rec[f.name] = byOwner.get(String(rec.id)) ?? [];
  }
}

export async function loadByIds(db: Db, ctx: LoadContext, c: Collection, ids: string[], rule?: Expression<SqlBool>): Promise<RecordData[]> {
  const out: RecordData[] = [];
  for (const part of chunks([...new Set(ids)])) {
    let q = db.selectFrom(`${ctx.names.record(c.name)} as t`).selectAll('t').where('t.id', 'in', part);
    if (rule) q = q.where(rule);
    const rows = (await q.execute()) as Row[];
    out.push(...rows.map((r) => fromRow(c, r, ctx.dialect, ctx.cipher)));
  }
  await loadLinks(db, ctx, c, out);
  return out;
}

/** Puts related records under `expand.<field>` (one query per relation and level). */
/** At most this many records of one back-relation are expanded per record (oldest first). */
export const BACK_RELATION_LIMIT = 1000;

/** The records pointing at each of `ids` through a back-relation, oldest first, under the source's rule. */
async function loadBack(db: Db, ctx: LoadContext, br: BackRelation, ids: string[], rule?: Expression<SqlBool>): Promise<{ byParent: Map<string, RecordData[]>; records: RecordData[] }> {
  const byParent = new Map<string, RecordData[]>();
  // One object per record, shared by every parent it points at (a multiple relation may name several).
  const seen = new Map<string, RecordData>();
  const table = `${ctx.names.record(br.source.name)} as t`;
  for (const part of chunks([...new Set(ids)])) {
    let rows: Row[];
    if (!br.field.multiple) {
      let q = db.selectFrom(table).selectAll('t').select(sql<string>`t.${sql.id(br.field.name)}`.as('__parent')).where(sql.ref(`t.${br.field.name}`), 'in', part);
      if (rule) q = q.where(rule);
      rows = (await q.orderBy('t.created').orderBy('t.id').execute()) as Row[];
    } else {
      let q = db
        .selectFrom(`${ctx.names.link(br.source.name, br.field.name)} as l`)
        .innerJoin(table, 't.id', 'l.owner_id')
        .selectAll('t')
        .select('l.target_id as __parent')
        .where('l.target_id', 'in', part);
      if (rule) q = q.where(rule);
      rows = (await q.orderBy('t.created').orderBy('t.id').execute()) as Row[];
    }
    for (const row of rows) {
      const parent = String(row.__parent);
      const list = byParent.get(parent) ?? [];
      if (list.length >= BACK_RELATION_LIMIT) continue;
      const { __parent: _p, ...rest } = row;
      const id = String(rest.id);
      let rec = seen.get(id);
      if (!rec) seen.set(id, (rec = fromRow(br.source, rest as Row, ctx.dialect, ctx.cipher)));
      list.push(rec);
      byParent.set(parent, list);
    }
  }
  return { byParent, records: [...seen.values()] };
}

export async function expandRecords(db: Db, ctx: LoadContext, c: Collection, recs: RecordData[], tree: ExpandTree, rule?: ExpandRule): Promise<void> {
  if (recs.length === 0) return;
  for (const [name, sub] of tree) {
    const back = fieldOf(c, name) ? undefined : backRelationOf(c, name, ctx.collections);
    if (back) {
      const { byParent, records } = await loadBack(db, ctx, back, recs.map((r) => String(r.id)), rule?.(back.source.name));
      await loadLinks(db, ctx, back.source, records);
      if (sub.size > 0) await expandRecords(db, ctx, back.source, records, sub, rule);
      for (const r of recs) ((r.expand ??= {}) as Record<string, unknown>)[name] = byParent.get(String(r.id)) ?? [];
      continue;
    }
    const f = fieldOf(c, name)!;
    const target = ctx.collections.get(f.collection!)!;
    const ids = recs.flatMap((r) => (f.multiple ? (r[name] as string[]) : r[name] ? [String(r[name])] : []));
    const found = await loadByIds(db, ctx, target, ids, rule?.(target.name));
    if (sub.size > 0) await expandRecords(db, ctx, target, found, sub, rule);
    const byId = new Map(found.map((r) => [String(r.id), r]));
    for (const r of recs) {
      const ex = (r.expand ??= {}) as Record<string, unknown>;
      ex[name] = f.multiple ? (r[name] as string[]).map((id) => byId.get(id)).filter((x) => x !== undefined) : (byId.get(String(r[name])) ?? null);
    }
  }
}
