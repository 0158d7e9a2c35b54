// The list query parameters other than `filter`: sort, fields, expand and opaque cursors,
// each checked against the collection and bounded in size.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { refuseEncrypted } from './field-cipher.js';
import { expandTarget, fieldOf, hasColumn, type Collection } from './collection-model.js';
import type { SqlDialect } from './dialects/dialect.js';
import { QueryParamError } from './errors.js';
import { jsonOperand, jsonSegments, numberParam } from './filter-json.js';

export interface SortKey {
  name: string;
  desc: boolean;
  expr: RawBuilder<unknown>;
  /** Never null. */
  total: boolean;
  /** Usable in a cursor (a column; NULL sorts first ascending and last descending, and a cursor may carry it). */
  cursor: boolean;
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
      if (SYSTEM.has(name)) keys.push({ name, desc, expr: sql.ref(`${a}.${name}`), total: true, cursor: true, kind: 'text' });
      else if (c.type === 'document') {
        keys.push({ name, desc, expr: jsonOperand(d, sql.ref(`${a}.data`), jsonSegments(name.split('.')), 'text'), total: false, cursor: false, kind: 'text' });
      } else {
        const f = fieldOf(c, name);
        if (!f || !hasColumn(f) || f.type === 'json') throw new QueryParamError('sort', `cannot sort by "${name}"`, pos);
        if (f.encrypted) refuseEncrypted('sort', f, 'sorted', pos);
        const kind = f.type === 'number' || f.type === 'integer' ? 'number' : f.type === 'boolean' ? 'boolean' : 'text';
        keys.push({ name, desc, expr: sql.ref(`${a}.${name}`), total: f.required && f.type !== 'relation', cursor: true, kind });
      }
      pos += item.length + 1;
    }
  }
  if (!keys.some((k) => k.name === 'id')) keys.push({ name: 'id', desc: false, expr: sql.ref(`${a}.id`), total: true, cursor: true, kind: 'text' });
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

/**
 * Keyset condition "after this cursor" for the given sort. NULL is the smallest value on every engine
 * (first ascending, last descending; see orderBy), so a key's "after v" is: ascending, `x > v`, or
 * `x IS NOT NULL` when v is null; descending, `x < v OR x IS NULL`, or nothing when v is null.
 */
export function cursorWhere(keys: SortKey[], cursor: string, d: SqlDialect): RawBuilder<SqlBool> {
  if (keys.some((k) => !k.cursor)) throw new QueryParamError('cursor', 'cursor pagination needs sort fields that are columns (system or declared fields, not JSON paths)');
  let vals: unknown;
  try {
    vals = cursor.length <= 4096 ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    vals = undefined;
  }
  if (!Array.isArray(vals) || vals.length !== keys.length + 1 || vals[0] !== signature(keys)) throw new QueryParamError('cursor', 'not a cursor of this list (same sort)');
  const values = vals.slice(1).map((v, i) => {
    const k = keys[i];
    if (v === null && !k.total) return null;
    if (typeof v !== (k.kind === 'text' ? 'string' : k.kind) || (typeof v === 'number' && !Number.isFinite(v)) || (typeof v === 'string' && v.includes('\0'))) {
      throw new QueryParamError('cursor', 'malformed cursor');
    }
    return k.kind === 'boolean' ? d.bool(v as boolean) : typeof v === 'number' ? numberParam(d, v) : v;
  });
  const ors = keys.map((k, i) => {
    const eqs = keys.slice(0, i).map((p, j) => (values[j] === null ? sql`${p.expr} IS NULL` : sql`${p.expr} = ${values[j]}`));
    const v = values[i];
    const after = v === null ? (k.desc ? sql`1 = 0` : sql`${k.expr} IS NOT NULL`) : k.desc ? (k.total ? sql`${k.expr} < ${v}` : sql`(${k.expr} < ${v} OR ${k.expr} IS NULL)`) : sql`${k.expr} > ${v}`;
    return sql`(${sql.join([...eqs, after], sql` AND `)})`;
  });
  return sql<SqlBool>`(${sql.join(ors, sql` OR `)})`;
}

/** `fields=id,title` → the keys to keep (undefined: all). */
/**
 * A field selection as a tree of JSON keys of the answer: `null` keeps a key's whole value, a subtree
 * projects it (arrays item by item), `*` stands for every key of its level (a listed key overrides it).
 */
export type FieldSpec = Map<string, FieldSpec | null>;

const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `id,title,expand.author.name` → a FieldSpec checked against the collection (and, under `expand.<name>`,
 * the expanded collection; `*` any expanded relation); undefined when every field is asked for.
 */
export function parseFields(c: Collection, raw: string | undefined, collections?: ReadonlyMap<string, Collection>): FieldSpec | undefined {
  if (raw === undefined || raw === '' || raw === '*') return undefined;
  const root: FieldSpec = new Map();
  for (const item of paramList('fields', raw, 200)) {
    const segs = item.split('.');
    if (segs.length > 16) throw new QueryParamError('fields', `"${item.slice(0, 64)}" is too deep`);
    // Levels alternate: a record's keys, then (under `expand`) relation names, then the related record's keys...
    let coll: Collection | undefined = c;
    let relationLevel = false;
    let node = root;
    for (let i = 0; i < segs.length; i++) {
      const name = segs[i];
      const last = i === segs.length - 1;
      if (name !== '*' && !FIELD_NAME.test(name)) throw new QueryParamError('fields', `"${item.slice(0, 64)}" is not a field name`);
      if (relationLevel) {
        let target: Collection | undefined;
        if (name !== '*' && coll && collections) {
          target = expandTarget(coll, name, collections);
          if (!target) throw new QueryParamError('fields', `"${name}" is not a relation of ${coll.name}`);
        }
        coll = target;
        relationLevel = false;
      } else if (name === 'expand') {
        relationLevel = true;
      } else {
        if (name !== '*' && !SYSTEM.has(name) && coll && coll.type !== 'document' && !fieldOf(coll, name)) {
          throw new QueryParamError('fields', `unknown field "${name}"${coll === c ? '' : ` in ${coll.name}`}`);
        }
        if (!last) throw new QueryParamError('fields', `"${item.slice(0, 64)}": only expand has sub-fields`);
      }
      if (last) {
        node.set(name, null);
        break;
      }
      let next = node.get(name);
      if (next === null) break; // the whole value is asked for already
      if (next === undefined) node.set(name, (next = new Map()));
      node = next;
    }
  }
  return root;
}

/** The top-level keys a selection reads (undefined: all). */
export function topFields(spec: FieldSpec | undefined): Set<string> | undefined {
  return spec && !spec.has('*') ? new Set(spec.keys()) : undefined;
}

function projectValue(v: unknown, spec: FieldSpec): unknown {
  if (Array.isArray(v)) return v.map((x) => projectValue(x, spec));
  if (v === null || typeof v !== 'object') return v;
  return project(v as Record<string, unknown>, spec);
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
      const target = expandTarget(coll, s, collections);
      if (!target) throw new QueryParamError('expand', `"${s}" is not a relation of ${coll.name} (nor <collection>_via_<field> of one pointing at it)`);
      if (!node.has(s)) node.set(s, new Map());
      node = node.get(s)!;
      coll = target;
    }
  }
  return root;
}

export function project(rec: Record<string, unknown>, fields: FieldSpec | undefined): Record<string, unknown> {
  if (!fields) return rec;
  const out: Record<string, unknown> = {};
  const every = fields.has('*') ? fields.get('*') : undefined;
  if (fields.has('*')) {
    for (const k of Object.keys(rec)) if (!fields.has(k)) out[k] = every ? projectValue(rec[k], every) : rec[k];
  }
  for (const [k, sub] of fields) {
    if (k === '*' || !(k in rec)) continue;
    out[k] = sub ? projectValue(rec[k], sub) : rec[k];
  }
  return out;
}
