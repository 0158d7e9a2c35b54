// Mapping between records (what clients see) and table rows (what each engine stores):
// booleans as 0/1 where needed, JSON as text, multiple relations in link tables, ETags from _version.
import { hasColumn, type Collection, type Field } from './collection-model.js';
import type { SqlDialect } from './dialects/dialect.js';
import { openValue, sealValue, type ValueCipher } from './field-cipher.js';
import { fileFromColumn, fileToColumn } from './file-field.js';

/** A record as clients see it: system fields, declared fields, optional `expand`. */
export type RecordData = Record<string, unknown>;
export type Row = Record<string, unknown>;

/**
 * Column values for the given clean field values (multiple relations excluded); encrypted fields are sealed
 * with `cipher`, bound to the record `id`.
 */
export function toRow(c: Collection, values: RecordData, d: SqlDialect, id: string, cipher?: ValueCipher): Row {
  const row: Row = {};
  if (c.type === 'document') return row;
  for (const f of c.fields) {
    if (!(f.name in values) || !hasColumn(f)) continue;
    const v = values[f.name];
    if (f.type === 'file') row[f.name] = fileToColumn(f, v ?? null);
    else if (v === null || v === undefined) row[f.name] = null;
    else if (f.encrypted) row[f.name] = sealValue(cipher, c, f, id, f.type === 'json' ? JSON.stringify(v) : String(v));
    else if (f.type === 'boolean') row[f.name] = d.bool(v as boolean);
    else if (f.type === 'json') row[f.name] = JSON.stringify(v);
    else row[f.name] = v;
  }
  return row;
}

function parseJson(v: unknown, d: SqlDialect): unknown {
  if (v === null || v === undefined) return null;
  if (d.parsesJson) return v;
  return JSON.parse(Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
}

/** The record of a row (encrypted fields opened); multiple relations start empty and are filled from the link tables. */
export function fromRow(c: Collection, row: Row, d: SqlDialect, cipher?: ValueCipher): RecordData {
  const rec: RecordData = { id: row.id, created: row.created, updated: row.updated };
  if (c.type === 'document') {
    const data = parseJson(row.data, d) as Record<string, unknown>;
    return { ...rec, ...data, id: row.id, created: row.created, updated: row.updated };
  }
  for (const f of c.fields) {
    if (!hasColumn(f)) {
      rec[f.name] = [];
      continue;
    }
    const v = row[f.name];
    if (f.type === 'file') rec[f.name] = fileFromColumn(f, v);
    else if (v === null || v === undefined) rec[f.name] = null;
    else if (f.encrypted) {
      const text = openValue(cipher, c, f, String(row.id), typeof v === 'string' ? v : JSON.stringify(v));
      rec[f.name] = f.type === 'json' ? JSON.parse(text) : text;
    } else if (f.type === 'boolean') rec[f.name] = v === true || v === 1 || v === '1';
    else if (f.type === 'json') rec[f.name] = parseJson(v, d);
    else if (f.type === 'number' || f.type === 'integer') rec[f.name] = Number(v);
    else rec[f.name] = v;
  }
  return rec;
}

/** Field types whose value every engine returns exactly as the record holds it. */
const SAME_IN_ROW = new Set(['text', 'date', 'email', 'url', 'select', 'relation']);

/** How rows of a collection become records in place: the columns to select, in record order, and the fields to convert. */
export interface RecordColumns {
  columns: string[];
  /** Fields whose stored value differs from the record's (booleans as 0/1, JSON as text, integers as strings): converted in the row itself. */
  convert: Field[];
}

/**
 * Whether each row of `c` can be the record itself (selected in record order, a few fields converted
 * in place) rather than copied by fromRow: not for documents, auth collections (hidden columns),
 * encrypted fields or multiple relations (link tables).
 */
export function recordColumns(c: Collection, d: SqlDialect): RecordColumns | undefined {
  if (c.type === 'document' || c.auth) return undefined;
  const convert: Field[] = [];
  for (const f of c.fields) {
    if (!hasColumn(f) || f.encrypted) return undefined;
    const same =
      SAME_IN_ROW.has(f.type) ||
      (f.type === 'number' && d.name !== 'mysql') ||
      (f.type === 'integer' && d.name === 'sqlite') ||
      (f.type === 'boolean' && d.name === 'postgres') ||
      (f.type === 'json' && d.parsesJson) ||
      (f.type === 'file' && !f.multiple);
    if (!same) convert.push(f);
  }
  return { columns: ['id', 'created', 'updated', ...c.fields.map((f) => f.name)], convert };
}

/** Turns a row selected with recordColumns into its record, in place (what fromRow would make). */
export function rowToRecord(row: Row, convert: readonly Field[], d: SqlDialect): RecordData {
  for (const f of convert) {
    const v = row[f.name];
    if (f.type === 'file') row[f.name] = fileFromColumn(f, v);
    else if (v === null || v === undefined) row[f.name] = null;
    else if (f.type === 'boolean') row[f.name] = v === true || v === 1 || v === '1';
    else if (f.type === 'json') row[f.name] = parseJson(v, d);
    else if (f.type === 'number' || f.type === 'integer') row[f.name] = Number(v);
  }
  return row;
}

/** Strong ETag of a stored row (RFC 9110 §8.8.3): version plus update time, so a re-created id never matches. */
export function etagOf(row: Row): string {
  return `"${Number(row._version)}-${Date.parse(String(row.updated)).toString(36)}"`;
}

/** Whether an If-Match header value matches (a list of ETags or `*`). */
export function ifMatchOk(header: string, etag: string): boolean {
  const h = header.trim();
  if (h === '*') return true;
  return h.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}
