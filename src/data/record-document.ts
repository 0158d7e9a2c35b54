// Document collections: schemaless JSON objects (RFC 8259) with optional declared fields;
// updates are JSON Merge Patches (RFC 7396): null removes a key, objects merge, the rest replaces.
import { ValidationError, type FieldError } from '../core/index.js';
import type { Collection } from './collection-model.js';
import { isPlainObject, validateInput, JSON_FIELD_MAX_BYTES, type RecordInput } from './record-validate.js';
import { ID_PATTERN } from './record-id.js';

const MAX_DEPTH = 32;

function checkKeys(v: unknown, path: string, depth: number, errors: FieldError[]): void {
  if (depth > MAX_DEPTH) {
    errors.push({ field: path, message: `nested deeper than ${MAX_DEPTH}` });
    return;
  }
  if (typeof v === 'string' && v.includes('\0')) errors.push({ field: path, message: 'must not contain NUL characters' });
  else if (typeof v === 'number' && !Number.isFinite(v)) errors.push({ field: path, message: 'is a number out of range (JSON numbers must be finite doubles)' });
  else if (Array.isArray(v)) v.forEach((x, i) => checkKeys(x, `${path}.${i}`, depth + 1, errors));
  else if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k.startsWith('$') || k.includes('.') || k.includes('\0') || k === '__proto__' || k === '') errors.push({ field: `${path}${path ? '.' : ''}${k}`, message: 'keys may not be empty, start with $, or hold . or NUL' });
      else checkKeys(x, `${path}${path ? '.' : ''}${k}`, depth + 1, errors);
    }
  }
}

/** Validates a whole document (create) or a merge patch (update). */
export function validateDocument(c: Collection, input: unknown, partial: boolean): RecordInput {
  if (!isPlainObject(input)) throw new ValidationError('The body must be a JSON object.', [{ field: '', message: 'must be an object' }]);
  const errors: FieldError[] = [];
  for (const k of ['created', 'updated']) if (k in input) errors.push({ field: k, message: 'is read-only' });
  if ('id' in input && (partial || typeof input.id !== 'string' || !ID_PATTERN.test(input.id))) errors.push({ field: 'id', message: partial ? 'is read-only' : 'must be 5-32 lower-case letters or digits' });
  checkKeys(input, '', 0, errors);
  // only measure what passed the depth check: serializing a very deep value overflows the stack
  if (errors.length === 0 && Buffer.byteLength(JSON.stringify(input)) > JSON_FIELD_MAX_BYTES) errors.push({ field: '', message: `documents are limited to ${JSON_FIELD_MAX_BYTES} bytes` });
  if (errors.length > 0) throw new ValidationError(`${errors.length} problem(s) in the document.`, errors.slice(0, 20));
  // declared fields keep their types; other keys pass through
  const declared: Record<string, unknown> = {};
  for (const f of c.fields) if (f.name in input && !(partial && input[f.name] === null)) declared[f.name] = input[f.name];
  const clean = validateInput({ ...c, type: 'base' }, declared, partial);
  return { ...input, ...clean };
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const out: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
