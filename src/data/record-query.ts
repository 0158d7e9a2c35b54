// The list query parameters other than `filter`: sort, fields, expand and opaque cursors,
// each checked against the collection and bounded in size.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { refuseEncrypted } from './field-cipher.js';
import { fieldOf, hasColumn, type Collection } from './collection-model.js';
import type { SqlDialect } from './dialects/dialect.js';
import { QueryParamError } from './errors.js';
import { jsonOperand, jsonSegments, numberParam } from './filter-json.js';

export interface SortKey {
  name: string;
  desc: boolean;
  expr: RawBuilder<unknown>;
  /** Never null: usable in a cursor. */
  total: boolean;
  kind: 'text' | 'number' | 'boolean';
}

const SYSTEM = new Set(['id', 'created', 'updated']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

function paramList(param: string, raw: string, max: number): string[] {
  if (raw.length > 1024) throw new QueryParamError(param, 'too long');
  const items = raw.split(',').map((s) => s.trim());
  if (items.length > max) throw new QueryParamError(param, `at most ${max} entries`);
  return items;
}

/** `-created,title` → sort keys on alias `a`; `id` is appended as the tie-breaker. */
export function parseSort(c: Collection, raw: string | undefined, a: string, d: SqlDialect): SortKey[] {
  const keys: SortKey[] = [];
  if (raw !== undefined && raw !== '') {
    let pos = 0;
    for (const item of paramList('sort', raw, 8)) {
      const desc = item.startsWith('-');
      const name = item.replace(/^[-+]/, '');
      if (!NAME.test(name)) throw new QueryParamError('sort', `"${item}" is not a field name`, pos);
      if (SYSTEM.has(name)) keys.push({ name, desc, expr: sql.ref(`${a}.${name}`), total: true, kind: 'text' });
      else if (c.type === 'document') {
        keys.push({ name, desc, expr: jsonOperand(d, sql.ref(`${a}.data`), jsonSegments(name.split('.')), 'text'), total: false, kind: 'text' });
      } else {
        const f = fieldOf(c, name);
        if (!f || !hasColumn(f) || f.type === 'json') throw new QueryParamError('sort', `cannot sort by "${name}"`, pos);
        if (f.encrypted) refuseEncrypted('sort', f, 'sorted', pos);
        const kind = f.type === 'number' || f.type === 'integer' ? 'number' : f.type === 'boolean' ? 'boolean' : 'text';
        keys.push({ name, desc, expr: sql.ref(`${a}.${name}`), total: f.required && f.type !== 'relation', kind });
      }
      pos += item.length + 1;
    }
  }
  if (!keys.some((k) => k.name === 'id')) keys.push({ name: 'id', desc: false, expr: sql.ref(`${a}.id`), total: true, kind: 'text' });
  return keys;
}

/** ORDER BY terms with NULLs first ascending on every engine (PostgreSQL is told so). */
export function orderBy(keys: SortKey[], d: SqlDialect): RawBuilder<unknown> {
  return sql.join(
    keys.map((k) => {
      const nulls = d.name === 'postgres' && !k.total ? (k.desc ? sql` NULLS LAST` : sql` NULLS FIRST`) : sql``;
      return k.desc ? sql`${k.expr} DESC${nulls}` : sql`${k.expr} ASC${nulls}`;
    }),
  );
}

const signature = (keys: SortKey[]) => keys.map((k) => (k.desc ? '-' : '') + k.name).join(',');

export function encodeCursor(keys: SortKey[], rec: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify([signature(keys), ...keys.map((k) => rec[k.name] ?? null)])).toString('base64url');
}

/** Keyset condition "after this cursor" for the given sort. */
export function cursorWhere(keys: SortKey[], cursor: string, d: SqlDialect): RawBuilder<SqlBool> {
  if (keys.some((k) => !k.total)) throw new QueryParamError('cursor', 'cursor pagination needs sort fields that are never empty (system or required fields)');
  let vals: unknown;
  try {
    vals = cursor.length <= 4096 ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    vals = undefined;
  }
  if (!Array.isArray(vals) || vals.length !== keys.length + 1 || vals[0] !== signature(keys)) throw new QueryParamError('cursor', 'not a cursor of this list (same sort)');
  const values = vals.slice(1).map((v, i) => {
    const k = keys[i];
    if (typeof v !== (k.kind === 'text' ? 'string' : k.kind) || (typeof v === 'number' && !Number.isFinite(v)) || (typeof v === 'string' && v.includes('\0'))) {
      throw new QueryParamError('cursor', 'malformed cursor');
    }
    return k.kind === 'boolean' ? d.bool(v as boolean) : typeof v === 'number' ? numberParam(d, v) : v;
  });
  const ors = keys.map((k, i) => {
    const eqs = keys.slice(0, i).map((p, j) => sql`${p.expr} = ${values[j]}`);
    const cmp = k.desc ? sql`${k.expr} < ${values[i]}` : sql`${k.expr} > ${values[i]}`;
    return sql`(${sql.join([...eqs, cmp], sql` AND `)})`;
  });
  return sql<SqlBool>`(${sql.join(ors, sql` OR `)})`;
}

/** `fields=id,title` → the keys to keep (undefined: all). */
export function parseFields(c: Collection, raw: string | undefined): Set<string> | undefined {
  if (raw === undefined || raw === '' || raw === '*') return undefined;
  const out = new Set<string>();
  for (const name of paramList('fields', raw, 200)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new QueryParamError('fields', `"${name}" is not a field name`);
    if (!SYSTEM.has(name) && name !== 'expand' && c.type !== 'document' && !fieldOf(c, name)) throw new QueryParamError('fields', `unknown field "${name}"`);
    out.add(name);
  }
  return out;
}

export type ExpandTree = Map<string, ExpandTree>;

/** `author,tags.owner` → a tree of relation fields, checked and depth-bounded. */
export function parseExpand(c: Collection, raw: string | undefined, collections: ReadonlyMap<string, Collection>, maxDepth: number): ExpandTree {
  const root: ExpandTree = new Map();
  if (raw === undefined || raw === '') return root;
  for (const path of paramList('expand', raw, 16)) {
    const segs = path.split('.');
    if (segs.length > maxDepth) throw new QueryParamError('expand', `"${path}" is deeper than ${maxDepth}`);
    let coll = c;
    let node = root;
    for (const s of segs) {
      const f = fieldOf(coll, s);
      if (!f || f.type !== 'relation') throw new QueryParamError('expand', `"${s}" is not a relation of ${coll.name}`);
      if (!node.has(s)) node.set(s, new Map());
      node = node.get(s)!;
      coll = collections.get(f.collection!)!;
    }
  }
  return root;
}

export function project(rec: Record<string, unknown>, fields: Set<string> | undefined): Record<string, unknown> {
  if (!fields) return rec;
  const out: Record<string, unknown> = {};
  for (const k of fields) if (k in rec) out[k] = rec[k];
  return out;
}
