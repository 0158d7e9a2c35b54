// Collections as the data layer sees them: config entries checked and normalized once
// (defaults filled, regexes vetted, relations resolved) into plain immutable objects.
import safeRegex from 'safe-regex2';
import { ValidationError, type FieldError, type RuleAction } from '../core/index.js';
import type { CollectionConfig, FieldConfig, RulesConfig } from '../config/schema-data.js';
import type { FieldNumbering } from './field-numbers.js';
import { ENCRYPTABLE } from './field-cipher.js';
import { parseIsoDate } from './iso-date.js';

export type FieldType = 'text' | 'number' | 'integer' | 'boolean' | 'date' | 'email' | 'url' | 'select' | 'json' | 'relation' | 'file';
export type OnDelete = 'cascade' | 'restrict' | 'setNull';

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly required: boolean;
  readonly unique: boolean;
  readonly indexed: boolean;
  /** Stored encrypted at rest (see field-cipher.ts); never filtered, sorted or indexed. Absent = false. */
  readonly encrypted?: boolean;
  readonly default?: unknown;
  readonly min?: number | string;
  readonly max?: number | string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly values?: readonly string[];
  readonly collection?: string;
  /** Relations: many records (link table). Files: a list of names (`file.maxSelect` above 1). */
  readonly multiple: boolean;
  readonly onDelete: OnDelete;
  /** Set on file fields: their value is stored file names (see data/file-field.ts). */
  readonly file?: FileOptions;
}

/** Options of a file field, defaults filled. */
export interface FileOptions {
  readonly maxSelect: number;
  readonly maxSize: number;
  readonly mimeTypes: readonly string[];
  readonly thumbs: readonly string[];
  readonly protected: boolean;
}

/** Largest file by default: 5 MiB (PocketBase's default too). */
export const FILE_MAX_SIZE = 5 * 1024 * 1024;

export interface CompositeIndex {
  readonly fields: readonly string[];
  readonly unique: boolean;
}

/** Per operation: null = superusers only, '' = everyone, otherwise a rule expression. */
export type Rules = Readonly<Record<RuleAction, string | null>>;

/** Present on auth collections: their records can sign in. */
export interface AuthOptions {
  readonly mfa: 'optional' | 'required';
  readonly requireVerified: boolean;
}

export interface Collection {
  readonly name: string;
  readonly type: 'base' | 'document';
  readonly fields: readonly Field[];
  readonly indexes: readonly CompositeIndex[];
  readonly fullText: readonly string[];
  readonly rules: Rules;
  /** Set on auth collections (`type: auth`), which also get the fields `email`, `verified` and `emailVisibility`. */
  readonly auth?: AuthOptions;
  /** Stable wire numbers of the fields (set by the data layer at start; not part of the declaration). */
  readonly numbering?: FieldNumbering;
}

/** The collection of superusers: an auth collection only superusers can reach. */
export const SUPERUSERS_COLLECTION = '_superusers';

const LOCKED: Rules = { list: null, view: null, create: null, update: null, delete: null };
// Bound to the collection as well as the id: a caller is `{collection, id}` (the rule compiler also
// refuses an id of another collection; the explicit check keeps the rule readable as it stands).
const OWN = "id = @request.auth.id && @request.auth.collectionName = 'users'";

/** The `users` auth collection every app has unless it declares its own `users`: open sign-up, each user sees and edits only itself. */
export const DEFAULT_USERS: CollectionConfig = {
  name: 'users',
  type: 'auth',
  fields: [{ name: 'name', type: 'text', length: { max: 200 } }],
  rules: { list: OWN, view: OWN, create: '', update: OWN, delete: OWN },
};

/** Declared collections plus the system ones: `_superusers` always, and `users` unless declared. */
export function withSystemCollections(input: readonly CollectionConfig[]): CollectionConfig[] {
  const out = [...input];
  if (!out.some((c) => c.name === 'users')) out.unshift(DEFAULT_USERS);
  out.unshift({ name: SUPERUSERS_COLLECTION, type: 'auth', fields: [], rules: {} });
  return out;
}

/** The system fields every record has; users cannot declare them. */
export const SYSTEM_FIELDS = ['id', 'created', 'updated'] as const;
const RESERVED = new Set<string>([...SYSTEM_FIELDS, 'expand', 'version', 'data', 'collection', 'password', 'passwordConfirm', 'oldPassword']);
/** Fields every auth collection has. */
export const AUTH_FIELDS = ['email', 'verified', 'emailVisibility'] as const;
/** Longest text in an index (MySQL's utf8mb4 key limit is 3072 bytes). */
export const INDEXED_TEXT_MAX = 768;
export const TEXT_MAX = 16_000;
const TYPE_MAX: Partial<Record<FieldType, number>> = { email: 254, url: 2048 };

export function fieldOf(c: Collection, name: string): Field | undefined {
  return c.fields.find((f) => f.name === name);
}

/** A back-relation: the records of `source` whose relation field `field` points at a record of the collection. */
export interface BackRelation {
  readonly source: Collection;
  readonly field: Field;
}

/**
 * `<collection>_via_<field>` seen from `c`: the records of `<collection>` whose relation `<field>` targets `c`
 * (PocketBase's naming; `comments_via_post` on posts). Undefined when no such relation exists.
 */
export function backRelationOf(c: Collection, name: string, collections: ReadonlyMap<string, Collection>): BackRelation | undefined {
  for (let at = name.indexOf('_via_'); at > 0; at = name.indexOf('_via_', at + 1)) {
    const source = collections.get(name.slice(0, at));
    const field = source && fieldOf(source, name.slice(at + 5));
    if (source && source.type !== 'document' && field?.type === 'relation' && field.collection === c.name) return { source, field };
  }
  return undefined;
}

/** The collection of the records `expand=<name>` puts under `expand.<name>` (a relation field or a back-relation). */
export function expandTarget(c: Collection, name: string, collections: ReadonlyMap<string, Collection>): Collection | undefined {
  const f = fieldOf(c, name);
  if (f) return f.type === 'relation' && f.collection ? collections.get(f.collection) : undefined;
  return backRelationOf(c, name, collections)?.source;
}

/** Whether a field has a column in the record table (multiple relations live in link tables). */
export function hasColumn(f: Field): boolean {
  return !(f.type === 'relation' && f.multiple);
}

function isoDate(v: unknown): boolean {
  return typeof v === 'string' && parseIsoDate(v) !== undefined;
}

function normalizeField(collection: string, f: FieldConfig, errors: FieldError[]): Field {
  const at = `collections.${collection}.fields.${f.name}`;
  const err = (message: string) => errors.push({ field: at, message });
  if (RESERVED.has(f.name)) err(`"${f.name}" is a reserved name`);
  if (f.name.includes('__')) err('names may not contain "__"');
  const type = f.type as FieldType;
  const indexed = f.indexed ?? false;
  const unique = f.unique ?? false;
  let maxLength = f.length?.max;
  if (type === 'text' || type === 'email' || type === 'url') {
    const cap = unique || indexed ? INDEXED_TEXT_MAX : (TYPE_MAX[type] ?? TEXT_MAX);
    if (maxLength !== undefined && maxLength > cap) err(`length.max ${maxLength} is above ${cap} for this field`);
    maxLength = Math.min(maxLength ?? cap, cap, TYPE_MAX[type] ?? cap);
  }
  if (f.pattern !== undefined) {
    if (type !== 'text') err('pattern applies to text fields only');
    let ok = true;
    try {
      new RegExp(f.pattern, 'u');
    } catch {
      ok = false;
      err('pattern is not a valid regular expression');
    }
    if (ok && !safeRegex(f.pattern)) err('pattern can backtrack catastrophically (nested quantifiers); simplify it');
  }
  if (type === 'select' && (!f.values || f.values.length === 0)) err('select fields need `values`');
  if (type === 'relation' && !f.collection) err('relation fields need `collection`');
  if (type !== 'relation' && (f.collection !== undefined || f.multiple || f.onDelete !== undefined)) err('collection/multiple/onDelete apply to relations only (file fields: file.maxSelect)');
  if (type !== 'file' && f.file !== undefined) err('file options apply to file fields only');
  let file: FileOptions | undefined;
  if (type === 'file') {
    if (unique || indexed || f.default !== undefined || f.pattern !== undefined || f.length !== undefined) err('file fields take no unique, indexed, default, pattern or length (use file.maxSelect / file.maxSize)');
    const o = f.file ?? {};
    file = { maxSelect: o.maxSelect ?? 1, maxSize: o.maxSize ?? FILE_MAX_SIZE, mimeTypes: [...(o.mimeTypes ?? [])], thumbs: [...new Set(o.thumbs ?? [])], protected: o.protected ?? false };
  }
  for (const k of ['min', 'max'] as const) {
    const v = f[k];
    if (v === undefined) continue;
    if ((type === 'number' || type === 'integer') && typeof v !== 'number') err(`${k} must be a number`);
    else if (type === 'date' && !isoDate(v)) err(`${k} must be an ISO 8601 date`);
    else if (type !== 'number' && type !== 'integer' && type !== 'date') err(`${k} applies to number, integer and date fields`);
  }
  if (f.multiple && (unique || indexed)) err('multiple relations cannot be unique or indexed');
  if (type === 'json' && (unique || indexed)) err('json fields cannot be unique or indexed');
  const encrypted = f.encrypted ?? false;
  if (encrypted && !ENCRYPTABLE.has(type)) err(`${type} fields cannot be encrypted (only text, email, url, select and json)`);
  if (encrypted && (unique || indexed)) err('encrypted fields cannot be unique or indexed (the database only holds ciphertext)');
  const onDelete = (f.onDelete ?? 'setNull') as OnDelete;
  if (type === 'relation' && !f.multiple && onDelete === 'setNull' && f.required) err('a required relation cannot use onDelete setNull');
  return {
    name: f.name,
    type,
    required: f.required ?? false,
    unique,
    indexed,
    encrypted,
    ...(f.default !== undefined ? { default: f.default } : {}),
    ...(f.min !== undefined ? { min: f.min } : {}),
    ...(f.max !== undefined ? { max: f.max } : {}),
    ...(f.length?.min !== undefined ? { minLength: f.length.min } : {}),
    ...(maxLength !== undefined ? { maxLength } : type === 'relation' && f.length?.max !== undefined ? { maxLength: f.length.max } : {}),
    ...(f.pattern !== undefined ? { pattern: f.pattern } : {}),
    ...(f.values ? { values: [...f.values] } : {}),
    ...(f.collection ? { collection: f.collection } : {}),
    multiple: file ? file.maxSelect > 1 : (f.multiple ?? false),
    onDelete,
    ...(file ? { file } : {}),
  };
}

/**
 * Checks declared collections and fills their defaults, adding the system collections (`_superusers`, and `users` unless declared). Throws a ValidationError
 * listing every problem (config keys as `field`).
 *
 * @example
 * const cols = normalizeCollections(config.collections);
 */
export function normalizeCollections(declared: readonly CollectionConfig[]): Collection[] {
  const input = withSystemCollections(declared);
  const errors: FieldError[] = [];
  const out: Collection[] = [];
  const names = new Set<string>();
  for (const c of input) {
    if (names.has(c.name)) errors.push({ field: `collections.${c.name}`, message: 'declared twice' });
    if (c.name.includes('__')) errors.push({ field: `collections.${c.name}`, message: 'names may not contain "__"' });
    names.add(c.name);
    const fields = (c.fields ?? []).map((f) => normalizeField(c.name, f, errors));
    const seen = new Set<string>();
    for (const f of fields) {
      if (seen.has(f.name)) errors.push({ field: `collections.${c.name}.fields.${f.name}`, message: 'declared twice' });
      seen.add(f.name);
    }
    if (c.type === 'document') {
      for (const f of fields) if (f.encrypted) errors.push({ field: `collections.${c.name}.fields.${f.name}`, message: 'document collections cannot encrypt fields (their data is one JSON document)' });
    }
    const known = new Set<string>([...SYSTEM_FIELDS, ...fields.filter(hasColumn).map((f) => f.name)]);
    const indexes = (c.indexes ?? []).map((ix) => ({ fields: [...ix.fields], unique: ix.unique ?? false }));
    for (const ix of indexes) {
      for (const name of ix.fields) {
        const f = fields.find((x) => x.name === name);
        if (c.type === 'document' && !SYSTEM_FIELDS.includes(name as (typeof SYSTEM_FIELDS)[number])) continue; // a JSON path
        if (!known.has(name) || f?.type === 'json' || f?.encrypted) errors.push({ field: `collections.${c.name}.indexes`, message: `cannot index "${name}"` });
      }
    }
    const fullText = [...(c.fullText ?? [])];
    for (const name of fullText) {
      const f = fields.find((x) => x.name === name);
      if (f?.type !== 'text') errors.push({ field: `collections.${c.name}.fullText`, message: `"${name}" is not a text field` });
      else if (f.encrypted) errors.push({ field: `collections.${c.name}.fullText`, message: `"${name}" is encrypted and cannot be searched` });
    }
    const isAuth = c.type === 'auth';
    if (isAuth) {
      for (const name of AUTH_FIELDS) if (fields.some((f) => f.name === name)) errors.push({ field: `collections.${c.name}.fields.${name}`, message: `"${name}" is a field of every auth collection` });
      fields.unshift(
        { name: 'email', type: 'email', required: true, unique: true, indexed: false, maxLength: 254, multiple: false, onDelete: 'setNull' },
        { name: 'verified', type: 'boolean', required: false, unique: false, indexed: false, default: false, multiple: false, onDelete: 'setNull' },
        // Whether other callers see `email` (the account itself and superusers always do).
        { name: 'emailVisibility', type: 'boolean', required: false, unique: false, indexed: false, default: false, multiple: false, onDelete: 'setNull' },
      );
    } else if (c.auth) errors.push({ field: `collections.${c.name}.auth`, message: 'applies to auth collections (type: auth) only' });
    const rules: Record<RuleAction, string | null> = { ...LOCKED };
    for (const k of Object.keys(LOCKED) as RuleAction[]) {
      const r = (c.rules as RulesConfig | undefined)?.[k];
      if (typeof r === 'string') rules[k] = r.trim();
    }
    out.push({
      name: c.name,
      type: isAuth ? 'base' : (c.type ?? 'base') as 'base' | 'document',
      fields,
      indexes,
      fullText,
      rules,
      ...(isAuth ? { auth: { mfa: c.auth?.mfa ?? 'optional', requireVerified: c.auth?.requireVerified ?? false } } : {}),
    });
  }
  for (const c of out) {
    for (const f of c.fields) {
      if (f.type === 'relation' && f.collection && !names.has(f.collection)) {
        errors.push({ field: `collections.${c.name}.fields.${f.name}`, message: `unknown collection "${f.collection}"` });
      }
    }
  }
  if (errors.length > 0) throw new ValidationError(`${errors.length} problem(s) in the declared collections.`, errors);
  return out;
}
