// Comparable scalars at a JSON path, per engine: SQLite json_extract, PostgreSQL jsonb #>> with
// type-guarded casts (a cast never fails at run time), MySQL/MariaDB JSON_EXTRACT.
import { sql, type RawBuilder } from 'kysely';
import type { SqlDialect } from './dialects/dialect.js';
import { jsonPathText } from './dialects/dialect.js';

export type JsonKind = 'text' | 'number' | 'boolean' | 'null';

export function jsonSegments(path: readonly string[]): (string | number)[] {
  return path.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

/** The value at `path` inside `col`, shaped to compare with a literal of `kind`. */
export function jsonOperand(d: SqlDialect, col: RawBuilder<unknown>, path: readonly (string | number)[], kind: JsonKind): RawBuilder<unknown> {
  if (d.name === 'sqlite') return sql`json_extract(${col}, ${jsonPathText(path)})`;
  if (d.name === 'postgres') {
    const p = sql`${`{${path.map((x) => String(x)).join(',')}}`}::text[]`;
    if (kind === 'number') return sql`(CASE WHEN jsonb_typeof(${col} #> ${p}) = 'number' THEN (${col} #>> ${p})::double precision END)`;
    return sql`(${col} #>> ${p})`;
  }
  const p = jsonPathText(path);
  if (kind === 'number') return sql`(CASE WHEN JSON_TYPE(JSON_EXTRACT(${col}, ${p})) IN ('INTEGER', 'DOUBLE', 'DECIMAL', 'UNSIGNED INTEGER') THEN JSON_EXTRACT(${col}, ${p}) + 0 END)`;
  if (kind === 'null') return sql`(CASE WHEN JSON_TYPE(JSON_EXTRACT(${col}, ${p})) <> 'NULL' THEN 1 END)`;
  return sql`JSON_UNQUOTE(JSON_EXTRACT(${col}, ${p}))`;
}

/** A literal as the JSON operand of its kind compares with it. */
export function jsonLiteral(d: SqlDialect, v: string | number | boolean): unknown {
  if (typeof v !== 'boolean') return v;
  return d.name === 'sqlite' ? (v ? 1 : 0) : String(v);
}
