// File fields: their value is the names of files kept in blob storage under `<collection>/<record>/<name>`.
// A single field holds one name (or null); a multiple field a list, stored as JSON text in one column.
import type { Field } from './collection-model.js';

/** Stored names the server makes: `<sanitized-base>_<10 random>.<ext>` (never a client's raw name). */
export const FILE_NAME = /^[a-z0-9_-]{1,100}_[a-z0-9]{10}(?:\.[a-z0-9]{1,12})?$/;

export function isFileField(f: Field): boolean {
  return f.type === 'file';
}

/** Checks a client's value for a file field: names only (uploads arrive as multipart parts, never as JSON). */
export function checkFileValue(f: Field, v: unknown): { value: unknown } | { error: string } {
  const max = f.file?.maxSelect ?? 1;
  if (!f.multiple) {
    if (v === '' || v === null) return f.required ? { error: 'is required' } : { value: null };
    return typeof v === 'string' && FILE_NAME.test(v) ? { value: v } : { error: 'must be a stored file name' };
  }
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !FILE_NAME.test(x))) return { error: 'must be a list of stored file names' };
  const names = [...new Set(v as string[])];
  if (f.required && names.length === 0) return { error: 'is required' };
  if (names.length > max) return { error: `must hold at most ${max} files` };
  return { value: names };
}

/** The column value of a clean file value (multiple: JSON text; an empty list is stored as null). */
export function fileToColumn(f: Field, v: unknown): unknown {
  if (!f.multiple) return v === '' ? null : v;
  return Array.isArray(v) && v.length > 0 ? JSON.stringify(v) : null;
}

/** The record value of a stored column (multiple: a list, [] when none). */
export function fileFromColumn(f: Field, v: unknown): unknown {
  if (!f.multiple) return v === undefined || v === '' ? null : v;
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v;
  const parsed = JSON.parse(Buffer.isBuffer(v) ? v.toString('utf8') : String(v)) as unknown;
  return Array.isArray(parsed) ? parsed : [];
}

/** Every file name a record holds in its file fields. */
export function fileNamesOf(fields: readonly Field[], rec: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const f of fields) {
    if (f.type !== 'file') continue;
    const v = rec[f.name];
    if (typeof v === 'string' && v) out.push(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === 'string') out.push(x);
  }
  return out;
}
