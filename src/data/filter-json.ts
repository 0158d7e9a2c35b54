// Comparable scalars at a JSON path, per engine: SQLite json_extract, PostgreSQL jsonb #>> with
// type-guarded casts (a cast never fails at run time), MySQL/MariaDB JSON_EXTRACT.
import { sql, type RawBuilder } from 'kysely';
import type { SqlDialect } from './dialects/dialect.js';
import { jsonPathText } from './dialects/dialect.js';
import { QueryParamError } from './errors.js';

export type JsonKind = 'text' | 'number' | 'boolean' | 'null';

export function jsonSegments(path: readonly string[]): (string | number)[] {
  return path.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

const SEGMENT = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The path written into the SQL text (not bound), so that expression indexes on JSON paths
 * match the queries; callers have checked every segment, and this checks again.
 */
export function jsonPathLiteral(d: SqlDialect, path: readonly (string | number)[]): RawBuilder<unknown> {
  if (!path.every((x) => (typeof x === 'number' ? Number.isSafeInteger(x) && x >= 0 : SEGMENT.test(x)))) throw new QueryParamError('filter', 'a JSON path segment holds characters other than letters, digits, _ and -');
  return d.name === 'postgres' ? sql.lit(`{${path.map((x) => String(x)).join(',')}}`) : sql.lit(jsonPathText(path));
}

/** The value at `path` inside `col`, shaped to compare with a literal of `kind`. */
export function jsonOperand(d: SqlDialect, col: RawBuilder<unknown>, path: readonly (string | number)[], kind: JsonKind): RawBuilder<unknown> {
  if (d.name === 'sqlite') return sql`json_extract(${col}, ${jsonPathLiteral(d, path)})`;
  if (d.name === 'postgres') {
    const p = jsonPathLiteral(d, path);
    if (kind === 'number') return sql`(CASE WHEN jsonb_typeof(${col} #> ${p}) = 'number' THEN (${col} #>> ${p})::double precision END)`;
    return sql`(${col} #>> ${p})`;
  }
  const p = jsonPathLiteral(d, path);
  if (kind === 'number') return sql`(CASE WHEN JSON_TYPE(JSON_EXTRACT(${col}, ${p})) IN ('INTEGER', 'DOUBLE', 'DECIMAL', 'UNSIGNED INTEGER') THEN JSON_EXTRACT(${col}, ${p}) + 0 END)`;
  if (kind === 'null') return sql`(CASE WHEN JSON_TYPE(JSON_EXTRACT(${col}, ${p})) <> 'NULL' THEN 1 END)`;
  return sql`JSON_UNQUOTE(JSON_EXTRACT(${col}, ${p}))`;
}

/** A literal as the JSON operand of its kind compares with it. */
export function jsonLiteral(d: SqlDialect, v: string | number | boolean): unknown {
  if (typeof v !== 'boolean') return v;
  return d.name === 'sqlite' ? (v ? 1 : 0) : String(v);
}

/**
 * A number as a bind parameter. PostgreSQL types a parameter after the column it meets, so a
 * fraction or a huge value against a bigint column would fail at run time; such numbers are
 * cast to double precision (integers stay plain, keeping indexes usable).
 */
export function numberParam(d: SqlDialect, v: number): unknown {
  return d.name === 'postgres' && !Number.isSafeInteger(v) ? sql`${v}::double precision` : v;
}

/**
 * The elements of the JSON array at `path` inside `col` as a derived table named `alias` (no rows when the
 * value there is not an array), with each element shaped to compare with a literal of a kind: the "any of"
 * filters (`tags ?= "news"`) on JSON arrays.
 */
export function jsonElements(d: SqlDialect, col: RawBuilder<unknown>, path: readonly (string | number)[], alias: string): { from: RawBuilder<unknown>; value: (kind: JsonKind) => RawBuilder<unknown> } {
  const p = jsonPathLiteral(d, path);
  const ref = (c: string) => sql.ref(`${alias}.${c}`);
  if (d.name === 'sqlite') {
    return {
      from: sql`json_each(CASE WHEN json_type(${col}, ${p}) = 'array' THEN json_extract(${col}, ${p}) ELSE '[]' END) AS ${sql.id(alias)}`,
      value: (kind) =>
        kind === 'number' ? sql`(CASE WHEN ${ref('type')} IN ('integer', 'real') THEN ${ref('value')} END)`
        : kind === 'text' ? sql`(CASE WHEN ${ref('type')} = 'text' THEN ${ref('value')} END)`
        : ref('value'),
    };
  }
  if (d.name === 'postgres') {
    const v = ref('v');
    return {
      from: sql`jsonb_array_elements(CASE WHEN jsonb_typeof(${col} #> ${p}) = 'array' THEN ${col} #> ${p} ELSE '[]'::jsonb END) AS ${sql.id(alias)}(v)`,
      value: (kind) =>
        kind === 'number' ? sql`(CASE WHEN jsonb_typeof(${v}) = 'number' THEN (${v} #>> '{}')::double precision END)`
        : kind === 'text' ? sql`(CASE WHEN jsonb_typeof(${v}) = 'string' THEN ${v} #>> '{}' END)`
        : kind === 'null' ? sql`(CASE WHEN jsonb_typeof(${v}) <> 'null' THEN 1 END)`
        : sql`(${v} #>> '{}')`,
    };
  }
  const j = ref('j');
  return {
    from: sql`JSON_TABLE(CASE WHEN JSON_TYPE(JSON_EXTRACT(${col}, ${p})) = 'ARRAY' THEN JSON_EXTRACT(${col}, ${p}) ELSE '[]' END, '$[*]' COLUMNS (j JSON PATH '$', s LONGTEXT PATH '$')) AS ${sql.id(alias)}`,
    value: (kind) =>
      kind === 'number' ? sql`(CASE WHEN JSON_TYPE(${j}) IN ('INTEGER', 'DOUBLE', 'DECIMAL', 'UNSIGNED INTEGER') THEN ${ref('s')} + 0 END)`
      : kind === 'text' ? sql`(CASE WHEN JSON_TYPE(${j}) = 'STRING' THEN ${ref('s')} END)`
      : kind === 'null' ? sql`(CASE WHEN JSON_TYPE(${j}) <> 'NULL' THEN 1 END)`
      : ref('s'),
  };
}
