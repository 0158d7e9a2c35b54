// Aggregates over a collection: count, sum, avg, min, max grouped by fields, with the same
// filter language and access rule as lists (GET .../aggregate).
import { sql, type AliasedRawBuilder, type Expression, type SqlBool } from 'kysely';
import { refuseEncrypted } from './field-cipher.js';
import { fieldOf, hasColumn, type Collection } from './collection-model.js';
import type { Db } from './dialects/dialect.js';
import { QueryParamError } from './errors.js';
import { compileFilter, type FilterContext } from './filter-compile.js';
import { compileDocumentFilter } from './document-filter.js';

export interface AggregateQuery {
  /** `count,sum(views),avg(score),min(created),max(views)` */
  metrics: string;
  /** `status,author` */
  groupBy?: string;
  filter?: string;
  limit?: number;
}

export type AggregateRow = Record<string, unknown>;

const METRIC = /^(count|sum|avg|min|max)(?:\(([A-Za-z_][A-Za-z0-9_]*)\))?$/;
const SYSTEM = new Set(['id', 'created', 'updated']);

export async function aggregate(db: Db, ctx: FilterContext, c: Collection, q: AggregateQuery, rule?: Expression<SqlBool>, maxGroups = 500): Promise<AggregateRow[]> {
  if (c.type !== 'base') throw new QueryParamError('metrics', 'aggregates work on base collections');
  const groups = (q.groupBy ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (groups.length > 4) throw new QueryParamError('groupBy', 'at most 4 fields');
  for (const g of groups) {
    const f = fieldOf(c, g);
    if (!SYSTEM.has(g) && (!f || !hasColumn(f) || f.type === 'json')) throw new QueryParamError('groupBy', `cannot group by "${g.slice(0, 64)}"`);
    if (f?.encrypted) refuseEncrypted('groupBy', f, 'grouped');
  }
  const items = (q.metrics ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0 || items.length > 16) throw new QueryParamError('metrics', 'name 1 to 16 metrics, e.g. count,sum(views)');
  const selects: AliasedRawBuilder<unknown, string>[] = groups.map((g) => sql`${sql.ref(`t.${g}`)}`.as(g));
  const kinds = new Map<string, string>();
  for (const m of items) {
    const match = METRIC.exec(m);
    if (!match) throw new QueryParamError('metrics', `"${m.slice(0, 64)}" is not count, sum(f), avg(f), min(f) or max(f)`);
    const [, fn, field] = match;
    if (fn === 'count' && !field) {
      selects.push(sql`COUNT(*)`.as('count'));
      kinds.set('count', 'number');
      continue;
    }
    if (!field) throw new QueryParamError('metrics', `${fn} needs a field, like ${fn}(views)`);
    const f = fieldOf(c, field);
    if (!f && !SYSTEM.has(field)) throw new QueryParamError('metrics', `unknown field "${field.slice(0, 64)}" in ${c.name}`);
    if (f?.encrypted && fn !== 'count') refuseEncrypted('metrics', f, 'aggregated with ' + fn);
    const numeric = f?.type === 'number' || f?.type === 'integer';
    const orderable = numeric || SYSTEM.has(field) || f?.type === 'date' || f?.type === 'text' || f?.type === 'select';
    if ((fn === 'sum' || fn === 'avg') && !numeric) throw new QueryParamError('metrics', `${fn} needs a number field, not "${field}"`);
    if (!orderable && fn !== 'count') throw new QueryParamError('metrics', `cannot aggregate "${field}"`);
    const name = `${fn}_${field}`;
    const col = sql.ref(`t.${field}`);
    const expr = fn === 'count' ? sql`COUNT(${col})` : fn === 'avg' ? sql`AVG(${col})` : fn === 'sum' ? sql`SUM(${col})` : fn === 'min' ? sql`MIN(${col})` : sql`MAX(${col})`;
    selects.push(expr.as(name));
    kinds.set(name, fn === 'min' || fn === 'max' ? (numeric ? 'number' : 'text') : 'number');
  }
  let query = db.selectFrom(`${ctx.names.record(c.name)} as t`).select(selects);
  if (q.filter) query = query.where(q.filter.trimStart().startsWith('{') ? compileDocumentFilter(q.filter, 't', ctx.dialect) : compileFilter(q.filter, c, 't', ctx));
  if (rule) query = query.where(rule);
  if (groups.length > 0) query = query.groupBy(groups.map((g) => sql.ref(`t.${g}`))).orderBy(sql.join(groups.map((g) => sql.ref(`t.${g}`))));
  const rows = (await query.limit(Math.min(q.limit ?? maxGroups, maxGroups)).execute()) as AggregateRow[];
  return rows.map((r) => {
    const out: AggregateRow = {};
    for (const g of groups) {
      const v = r[g];
      const f = fieldOf(c, g);
      out[g] = v === null || v === undefined ? null : f?.type === 'boolean' ? v === true || v === 1 : f?.type === 'number' || f?.type === 'integer' ? Number(v) : v;
    }
    for (const [name, kind] of kinds) {
      const v = r[name];
      out[name] = v === null || v === undefined ? null : kind === 'number' ? Number(v) : v;
    }
    return out;
  });
}
