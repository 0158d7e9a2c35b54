// Checks a client's record input against the collection's fields and returns clean values.
// Every problem is collected into one ValidationError with per-field errors (RFC 9457 `errors`).
import { ValidationError, type FieldError } from '../core/index.js';
import type { Collection, Field } from './collection-model.js';
import { ID_PATTERN } from './record-id.js';
import { parseIsoDate } from './iso-date.js';
import { checkFileValue } from './file-field.js';

export type RecordInput = Record<string, unknown>;
export const JSON_FIELD_MAX_BYTES = 1_000_000;
const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const regexCache = new WeakMap<Field, RegExp>();

function patternOf(f: Field): RegExp | undefined {
  if (f.pattern === undefined) return undefined;
  let re = regexCache.get(f);
  if (!re) {
    re = new RegExp(f.pattern, 'u');
    regexCache.set(f, re);
  }
  return re;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function normalizeDate(v: string): string {
  return parseIsoDate(v) ?? new Date(v.length === 10 ? v + 'T00:00:00Z' : v).toISOString();
}

/** Whether a JSON value holds a number JSON cannot write (1e400 parses to Infinity, which would be stored as null). */
function hasNonFinite(v: unknown, depth = 0): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (depth > 64 || v === null || typeof v !== 'object') return false;
  return (Array.isArray(v) ? v : Object.values(v)).some((x) => hasNonFinite(x, depth + 1));
}

/** Whether a string, or any string or key inside a JSON value, holds U+0000 (PostgreSQL refuses it). */
export function hasNul(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\0');
  if (depth > 64 || v === null || typeof v !== 'object') return false;
  if (Array.isArray(v)) return v.some((x) => hasNul(x, depth + 1));
  return Object.entries(v).some(([k, x]) => k.includes('\0') || hasNul(x, depth + 1));
}

/** Returns the clean value or an error message. */
function checkValue(f: Field, v: unknown): { value: unknown } | { error: string } {
  if (f.type === 'file') return checkFileValue(f, v);
  if (v === null) return f.required ? { error: 'is required' } : { value: null };
  switch (f.type) {
    case 'text':
    case 'email':
    case 'url': {
      if (typeof v !== 'string') return { error: 'must be a string' };
      if (v.includes('\0')) return { error: 'must not contain NUL characters' };
      if (v === '' && f.required) return { error: 'is required' };
      const len = [...v].length;
      if (f.maxLength !== undefined && len > f.maxLength) return { error: `must be at most ${f.maxLength} characters` };
      if (f.minLength !== undefined && len < f.minLength && v !== '') return { error: `must be at least ${f.minLength} characters` };
      if (v === '') return { value: v };
      if (f.type === 'email' && !EMAIL.test(v)) return { error: 'must be an email address' };
      if (f.type === 'url') {
        let u: URL | undefined;
        try {
          u = new URL(v);
        } catch {
          u = undefined;
        }
        if (!u || (u.protocol !== 'http:' && u.protocol !== 'https:')) return { error: 'must be an http(s) URL' };
      }
      const re = patternOf(f);
      if (re && !re.test(v)) return { error: `must match ${f.pattern}` };
      return { value: v };
    }
    case 'number':
    case 'integer': {
      if (typeof v !== 'number' || !Number.isFinite(v)) return { error: 'must be a number' };
      if (f.type === 'integer' && !Number.isSafeInteger(v)) return { error: 'must be an integer' };
      if (typeof f.min === 'number' && v < f.min) return { error: `must be at least ${f.min}` };
      if (typeof f.max === 'number' && v > f.max) return { error: `must be at most ${f.max}` };
      return { value: v };
    }
    case 'boolean':
      return typeof v === 'boolean' ? { value: v } : { error: 'must be true or false' };
    case 'date': {
      const d = typeof v === 'string' ? parseIsoDate(v) : undefined;
      if (d === undefined) return { error: 'must be an ISO 8601 date that exists (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)' };
      if (typeof f.min === 'string' && d < normalizeDate(f.min)) return { error: `must be on or after ${f.min}` };
      if (typeof f.max === 'string' && d > normalizeDate(f.max)) return { error: `must be on or before ${f.max}` };
      return { value: d };
    }
    case 'select':
      if (typeof v !== 'string' || !f.values!.includes(v)) return { error: `must be one of ${f.values!.join(', ')}` };
      return { value: v };
    case 'json': {
      let text: string | undefined;
      try {
        text = JSON.stringify(v);
      } catch {
        text = undefined;
      }
      if (text === undefined) return { error: 'must be JSON' };
      if (hasNul(v)) return { error: 'must not contain NUL characters' };
      if (hasNonFinite(v)) return { error: 'holds a number out of range (JSON numbers must be finite doubles)' };
      if (Buffer.byteLength(text) > JSON_FIELD_MAX_BYTES) return { error: `must be at most ${JSON_FIELD_MAX_BYTES} bytes of JSON` };
      return { value: JSON.parse(text) };
    }
    case 'relation': {
      if (!f.multiple) return typeof v === 'string' && ID_PATTERN.test(v) ? { value: v } : { error: 'must be a record id' };
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !ID_PATTERN.test(x))) return { error: 'must be a list of record ids' };
      const ids = [...new Set(v as string[])];
      if (f.required && ids.length === 0) return { error: 'is required' };
      if (f.maxLength !== undefined && ids.length > f.maxLength) return { error: `must hold at most ${f.maxLength} ids` };
      if (f.minLength !== undefined && ids.length < f.minLength) return { error: `must hold at least ${f.minLength} ids` };
      return { value: ids };
    }
  }
}

/**
 * Validates a create (`partial` false: defaults and required apply) or an update (`partial` true).
 * System fields are read-only, except `id` on create.
 */
export function validateInput(c: Collection, input: unknown, partial: boolean): RecordInput {
  if (!isPlainObject(input)) throw new ValidationError('The body must be an object of field values.', [{ field: '', message: 'must be an object' }]);
  const errors: FieldError[] = [];
  const out: RecordInput = {};
  for (const key of Object.keys(input)) {
    if (key === 'id' && !partial) {
      const id = input.id;
      if (typeof id !== 'string' || !ID_PATTERN.test(id)) errors.push({ field: 'id', message: 'must be 5-32 lower-case letters or digits' });
      else out.id = id;
    } else if (key === 'id' || key === 'created' || key === 'updated') {
      if (!partial || input[key] !== undefined) errors.push({ field: key, message: 'is read-only' });
    } else if (!c.fields.some((f) => f.name === key)) {
      errors.push({ field: key, message: 'is not a field of this collection' });
    }
  }
  for (const f of c.fields) {
    let v = input[f.name];
    if (v === undefined) {
      if (partial) continue;
      if (f.default !== undefined) v = structuredClone(f.default);
      else {
        if (f.required) errors.push({ field: f.name, message: 'is required' });
        continue;
      }
    }
    const r = checkValue(f, v);
    if ('error' in r) errors.push({ field: f.name, message: r.error });
    else out[f.name] = r.value;
  }
  if (errors.length > 0) throw new ValidationError(`${errors.length} field(s) failed validation.`, errors);
  return out;
}
