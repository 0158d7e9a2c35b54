// Mongo-style query documents for document collections ($eq $ne $gt $gte $lt $lte $in $nin
// $exists $and $or $not, dotted paths, array membership), compiled to parameterized SQL over the
// JSON column: SQLite JSON1, PostgreSQL jsonb, MySQL/MariaDB JSON functions.
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import type { SqlDialect } from './dialects/dialect.js';
import { jsonPathText } from './dialects/dialect.js';
import { QueryParamError } from './errors.js';
import { jsonLiteral, jsonOperand, jsonSegments, numberParam, type JsonKind } from './filter-json.js';
import { hasNul, isPlainObject } from './record-validate.js';

const MAX_DEPTH = 16;
const MAX_TERMS = 100;
const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;
const SYSTEM = new Set(['id', 'created', 'updated']);
type Scalar = string | number | boolean | null;

const bad = (message: string): never => {
  throw new QueryParamError('filter', message);
};
const not = (cond: RawBuilder<SqlBool>) => sql<SqlBool>`(CASE WHEN ${cond} THEN 1 ELSE 0 END) = 0`;
const join = (parts: RawBuilder<SqlBool>[], op: 'AND' | 'OR') => sql<SqlBool>`(${sql.join(parts, sql.raw(` ${op} `))})`;

/** Parses the `filter` text of a document collection (a JSON object) and compiles it. */
export function compileDocumentFilter(text: string, alias: string, d: SqlDialect): RawBuilder<SqlBool> {
  if (text.length > 4096) bad('longer than 4096 characters');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return bad('not a JSON query document');
  }
  if (hasNul(doc)) bad('NUL characters are not allowed');
  let terms = 0;
  const data = sql.ref(`${alias}.data`);

  function pathOf(key: string) {
    if (SYSTEM.has(key)) return { system: true as const, col: sql.ref(`${alias}.${key}`), path: [] as (string | number)[] };
    const segs = key.split('.');
    if (segs.length > 16 || !segs.every((s) => SEGMENT.test(s))) bad(`"${key.slice(0, 64)}" is not a usable path (letters, digits, _ and - between dots)`);
    return { system: false as const, col: data, path: jsonSegments(segs) };
  }

  function scalar(v: unknown): Scalar {
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return v as Scalar;
    return bad('compare with strings, numbers, booleans or null (use dotted paths for nested values)');
  }

  function operand(p: ReturnType<typeof pathOf>, v: Scalar): RawBuilder<unknown> {
    const kind: JsonKind = v === null ? 'null' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'text';
    return p.system ? p.col : jsonOperand(d, p.col, p.path, kind);
  }

  function bind(p: ReturnType<typeof pathOf>, v: Exclude<Scalar, null>): unknown {
    if (p.system && typeof v !== 'string') bad('id, created and updated compare with strings');
    return p.system ? v : typeof v === 'number' ? numberParam(d, v) : jsonLiteral(d, v);
  }

  /** The array at the path holds v (Mongo's equality on arrays). */
  function contains(p: ReturnType<typeof pathOf>, v: Exclude<Scalar, null>): RawBuilder<SqlBool> {
    if (d.name === 'sqlite') return sql<SqlBool>`EXISTS (SELECT 1 FROM json_each(${p.col}, ${jsonPathText(p.path)}) WHERE value = ${typeof v === 'boolean' ? (v ? 1 : 0) : v})`;
    if (d.name === 'postgres') return sql<SqlBool>`COALESCE(jsonb_typeof(${p.col} #> ${`{${p.path.join(',')}}`}::text[]) = 'array' AND (${p.col} #> ${`{${p.path.join(',')}}`}::text[]) @> ${JSON.stringify([v])}::jsonb, FALSE)`;
    return sql<SqlBool>`COALESCE(JSON_TYPE(JSON_EXTRACT(${p.col}, ${jsonPathText(p.path)})) = 'ARRAY' AND JSON_CONTAINS(JSON_EXTRACT(${p.col}, ${jsonPathText(p.path)}), ${JSON.stringify(v)}), 0)`;
  }

  function eq(p: ReturnType<typeof pathOf>, raw: unknown): RawBuilder<SqlBool> {
    const v = scalar(raw);
    if (v === null) return sql<SqlBool>`${operand(p, v)} IS NULL`;
    const direct = sql<SqlBool>`${operand(p, v)} = ${bind(p, v)}`;
    return p.system ? direct : sql<SqlBool>`(${direct} OR ${contains(p, v)})`;
  }

  function exists(p: ReturnType<typeof pathOf>): RawBuilder<SqlBool> {
    if (p.system) return sql<SqlBool>`1 = 1`;
    if (d.name === 'sqlite') return sql<SqlBool>`json_type(${p.col}, ${jsonPathText(p.path)}) IS NOT NULL`;
    if (d.name === 'postgres') return sql<SqlBool>`(${p.col} #> ${`{${p.path.join(',')}}`}::text[]) IS NOT NULL`;
    return sql<SqlBool>`JSON_CONTAINS_PATH(${p.col}, 'one', ${jsonPathText(p.path)}) = 1`;
  }

  function fieldOps(key: string, spec: unknown, depth: number): RawBuilder<SqlBool> {
    const p = pathOf(key);
    if (!isPlainObject(spec) || !Object.keys(spec).some((k) => k.startsWith('$'))) return eq(p, spec);
    const parts: RawBuilder<SqlBool>[] = [];
    for (const [op, v] of Object.entries(spec)) {
      if (++terms > MAX_TERMS) bad(`more than ${MAX_TERMS} conditions`);
      switch (op) {
        case '$eq':
          parts.push(eq(p, v));
          break;
        case '$ne':
          parts.push(not(eq(p, v)));
          break;
        case '$gt':
        case '$gte':
        case '$lt':
        case '$lte': {
          const s = scalar(v);
          if (s === null || typeof s === 'boolean') bad(`${op} takes a number or a string`);
          const sym = { $gt: '>', $gte: '>=', $lt: '<', $lte: '<=' }[op];
          parts.push(sql<SqlBool>`${operand(p, s)} ${sql.raw(sym)} ${bind(p, s as string | number)}`);
          break;
        }
        case '$in':
        case '$nin': {
          if (!Array.isArray(v) || v.length === 0 || v.length > 100) bad(`${op} takes a list of 1 to 100 values`);
          const any = join((v as unknown[]).map((x) => eq(p, x)), 'OR');
          parts.push(op === '$in' ? any : not(any));
          break;
        }
        case '$exists':
          if (typeof v !== 'boolean') bad('$exists takes true or false');
          parts.push(v ? exists(p) : not(exists(p)));
          break;
        case '$not':
          if (!isPlainObject(v)) bad('$not takes an operator object');
          if (depth > MAX_DEPTH) bad('nested too deeply');
          parts.push(not(fieldOps(key, v, depth + 1)));
          break;
        default:
          bad(`unknown operator ${op.slice(0, 32)}`);
      }
    }
    return parts.length === 1 ? parts[0] : join(parts, 'AND');
  }

  function query(q: unknown, depth: number): RawBuilder<SqlBool> {
    if (depth > MAX_DEPTH) bad('nested too deeply');
    if (!isPlainObject(q)) return bad('a query is a JSON object');
    const parts: RawBuilder<SqlBool>[] = [];
    for (const [k, v] of Object.entries(q)) {
      if (k === '$and' || k === '$or') {
        if (!Array.isArray(v) || v.length === 0 || v.length > MAX_TERMS) bad(`${k} takes a non-empty list of queries`);
        parts.push(join((v as unknown[]).map((x) => query(x, depth + 1)), k === '$and' ? 'AND' : 'OR'));
      } else if (k === '$not') parts.push(not(query(v, depth + 1)));
      else if (k.startsWith('$')) bad(`unknown operator ${k.slice(0, 32)}`);
      else {
        if (++terms > MAX_TERMS) bad(`more than ${MAX_TERMS} conditions`);
        parts.push(fieldOps(k, v, depth + 1));
      }
    }
    if (parts.length === 0) return sql<SqlBool>`1 = 1`;
    return parts.length === 1 ? parts[0] : join(parts, 'AND');
  }
  return query(doc, 0);
}
