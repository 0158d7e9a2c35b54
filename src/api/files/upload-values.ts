// From a multipart request's parts to record input (PocketBase's semantics): text parts converted by
// field type (`@jsonPayload` for a JSON body), and each file field's new list of names from its old
// one: `field` uploads replace, `field+` uploads append, `field-` names are removed, a text `field`
// lists the names to keep (only names the record already holds).
import type { FieldError } from '../../core/index.js';
import type { Collection, Field } from '../../data/index.js';
import { FileUploadError } from './errors.js';
import type { ParsedUpload } from './upload-parse.js';

const NUMBER = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function convert(f: Field, values: string[]): unknown {
  const v = values[values.length - 1]!;
  switch (f.type) {
    case 'number':
    case 'integer':
      return v === '' ? null : NUMBER.test(v) ? Number(v) : v;
    case 'boolean':
      return v === 'true' || v === '1' || v === 'on' ? true : v === 'false' || v === '0' || v === '' ? false : v;
    case 'json':
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return v;
      }
    case 'relation':
      return f.multiple ? values.filter((x) => x !== '') : v === '' ? null : v;
    default:
      return v;
  }
}

/** Names a file field holds in a record value. */
export function namesIn(v: unknown): string[] {
  if (typeof v === 'string' && v) return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];
}

/** What a write does to one file field: its new value, and the names it drops. */
export interface FileFieldChange {
  field: Field;
  value: string | string[] | null;
  removed: string[];
}

/**
 * The new value of each file field the request touches. `keep` gives names to keep (a text part or
 * JSON value); they must be names the record holds: a client cannot point a record at a file it did not upload.
 */
export function fileChanges(c: Collection, old: Record<string, unknown> | undefined, keep: Map<string, unknown>, removes: Map<string, string[]>, uploads: ParsedUpload['files']): FileFieldChange[] {
  const errors: FieldError[] = [];
  const out: FileFieldChange[] = [];
  for (const f of c.fields) {
    if (f.type !== 'file') continue;
    const mine = uploads.filter((u) => u.field === f.name);
    if (!keep.has(f.name) && !removes.has(f.name) && mine.length === 0) continue;
    const before = namesIn(old?.[f.name]);
    let names = before;
    if (keep.has(f.name)) {
      const k = namesIn(keep.get(f.name));
      const unknown = k.filter((n) => !before.includes(n));
      if (unknown.length > 0) errors.push({ field: f.name, message: `names files the record does not hold (${unknown.slice(0, 3).join(', ')}); upload new files as multipart parts` });
      names = k.filter((n) => before.includes(n));
    } else if (mine.some((u) => !u.append)) names = [];
    const drop = new Set(removes.get(f.name) ?? []);
    names = names.filter((n) => !drop.has(n));
    names = [...names, ...mine.map((u) => u.name)];
    if (!f.multiple && mine.length > 1) errors.push({ field: f.name, message: 'takes one file' });
    const value = f.multiple ? names : (names[names.length - 1] ?? null);
    const now = namesIn(value);
    out.push({ field: f, value, removed: before.filter((n) => !now.includes(n)) });
  }
  if (errors.length > 0) throw new FileUploadError(`${errors.length} problem(s) with the files.`, errors);
  return out;
}

/** Record input from the text parts (file fields and `field-` parts are read by fileChanges). */
export function textValues(c: Collection, text: ParsedUpload['text']): { input: Record<string, unknown>; keep: Map<string, unknown>; removes: Map<string, string[]> } {
  let input: Record<string, unknown> = {};
  const payload = text.get('@jsonPayload');
  if (payload) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload[payload.length - 1]!);
    } catch {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new FileUploadError('@jsonPayload must be a JSON object.', [{ field: '@jsonPayload', message: 'must be a JSON object' }]);
    input = { ...(parsed as Record<string, unknown>) };
  }
  const keep = new Map<string, unknown>();
  const removes = new Map<string, string[]>();
  for (const [name, values] of text) {
    if (name === '@jsonPayload') continue;
    const minus = name.endsWith('-') ? c.fields.find((f) => f.name === name.slice(0, -1) && f.type === 'file') : undefined;
    if (minus) {
      removes.set(minus.name, values.filter((v) => v !== ''));
      continue;
    }
    const f = c.fields.find((x) => x.name === name);
    if (f?.type === 'file') keep.set(name, values.filter((v) => v !== ''));
    else input[name] = f ? convert(f, values) : values[values.length - 1];
  }
  for (const f of c.fields) {
    if (f.type === 'file' && f.name in input) {
      if (!keep.has(f.name)) keep.set(f.name, input[f.name]);
      delete input[f.name];
    }
  }
  return { input, keep, removes };
}
