// Config sections for the data layer: the database (`data`) and the declared collections (`collections`).
import { Type, type Static } from '@sinclair/typebox';

const Name = Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}$', description: 'Lower-case identifier: letter first, then letters, digits or _.' });

// No defaults inside: config loading would fill them in on every field; collection-model.ts fills them.
export const FileOptionsSchema = Type.Object(
  {
    maxSelect: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Most files the field holds; 1 (default) = a single file name, more = a list of names.' })),
    maxSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 ** 4, description: 'Largest file in bytes (default 5 MiB); checked while the upload streams.' })),
    mimeTypes: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9*][a-z0-9!#$&^_.+*-]{0,126}$' }), {
        maxItems: 100,
        description: 'Allowed MIME types, detected from the content (not the client\'s claim); `image/*` allows a family. Empty (default) = any.',
      }),
    ),
    thumbs: Type.Optional(Type.Array(Type.String({ pattern: '^\\d{1,4}x\\d{1,4}[tbf]?$' }), { maxItems: 20, description: 'Thumbnail sizes served with `?thumb=` (`100x100`, `0x200`, `100x100t`).' })),
    protected: Type.Optional(Type.Boolean({ description: 'Downloads need a file token (`?token=` from POST /api/files/token) besides the view rule (default false).' })),
  },
  { additionalProperties: false, description: 'Options of a file field.' },
);

export const FieldSchema = Type.Object(
  {
    name: Name,
    type: Type.Union(
      ['text', 'number', 'integer', 'boolean', 'date', 'email', 'url', 'select', 'json', 'relation', 'file'].map((t) => Type.Literal(t)),
      { description: 'Field type.' },
    ),
    required: Type.Optional(Type.Boolean({ default: false, description: 'A value must be present (not null, not empty).' })),
    unique: Type.Optional(Type.Boolean({ default: false, description: 'No two records may share a value (unique index).' })),
    indexed: Type.Optional(Type.Boolean({ default: false, description: 'Create an index on this field.' })),
    encrypted: Type.Optional(
      Type.Boolean({
        default: false,
        description: 'Store the value AES-256-GCM encrypted at rest (text, email, url, select, json only; cannot be unique, indexed, full-text, filtered, sorted or grouped).',
      }),
    ),
    default: Type.Optional(Type.Unknown({ description: 'Value used on create when the field is absent.' })),
    min: Type.Optional(Type.Union([Type.Number(), Type.String()], { description: 'Lowest value (number, integer) or earliest date (ISO 8601).' })),
    max: Type.Optional(Type.Union([Type.Number(), Type.String()], { description: 'Highest value (number, integer) or latest date (ISO 8601).' })),
    length: Type.Optional(
      Type.Object(
        {
          min: Type.Optional(Type.Integer({ minimum: 0, description: 'Shortest text / fewest related records.' })),
          max: Type.Optional(Type.Integer({ minimum: 1, description: 'Longest text / most related records.' })),
        },
        { additionalProperties: false, description: 'Length bounds for text, email, url and multiple relations.' },
      ),
    ),
    pattern: Type.Optional(Type.String({ maxLength: 500, description: 'Regular expression text values must match (rejected if it can backtrack catastrophically).' })),
    values: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, description: 'Allowed values of a select field.' })),
    collection: Type.Optional(Type.String({ description: 'Target collection of a relation.' })),
    // No `default` on relation-only options: config loading would fill them in on every field.
    multiple: Type.Optional(Type.Boolean({ description: 'Relation to many records (stored in a link table); default false.' })),
    onDelete: Type.Optional(
      Type.Union([Type.Literal('cascade'), Type.Literal('restrict'), Type.Literal('setNull')], {
        description: 'What deleting the target record does: cascade deletes this record (multiple: the link), restrict refuses, setNull (default) clears the reference.',
      }),
    ),
    file: Type.Optional(FileOptionsSchema),
  },
  { additionalProperties: false },
);

export const IndexSchema = Type.Object(
  {
    fields: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9_]{0,47}(\\.[A-Za-z0-9_-]{1,64}){0,7}$' }), {
      minItems: 1,
      maxItems: 8,
      description: 'Fields of a composite index, in order; document collections may name dotted JSON paths (`address.city`).',
    }),
    unique: Type.Optional(Type.Boolean({ default: false, description: 'A unique composite index.' })),
  },
  { additionalProperties: false },
);

const Rule = Type.Union([Type.String({ maxLength: 4096 }), Type.Null()], {
  description: 'null or absent: superusers only; "": everyone; otherwise an expression over the record\'s fields and @request.auth.*, @request.body.*, @request.query.*.',
});

export const RulesSchema = Type.Object(
  {
    list: Type.Optional(Rule),
    view: Type.Optional(Rule),
    create: Type.Optional(Rule),
    update: Type.Optional(Rule),
    delete: Type.Optional(Rule),
  },
  { additionalProperties: false, description: 'Access rules per operation, compiled into the SQL of each query (see docs/auth.md).' },
);

export const AuthCollectionSchema = Type.Object(
  {
    mfa: Type.Optional(Type.Union([Type.Literal('optional'), Type.Literal('required')], { description: 'optional (default): users may enrol TOTP; required: every login needs a second factor.' })),
    requireVerified: Type.Optional(Type.Boolean({ description: 'Refuse login until the email address is verified (default false).' })),
  },
  { additionalProperties: false, description: 'Options of an auth collection.' },
);

export const CollectionSchema = Type.Object(
  {
    name: Name,
    type: Type.Optional(
      Type.Union([Type.Literal('base'), Type.Literal('document'), Type.Literal('auth')], {
        default: 'base',
        description: 'base: typed columns; document: schemaless JSON documents; auth: a base collection whose records can sign in (adds `email` and `verified`).',
      }),
    ),
    fields: Type.Optional(Type.Array(FieldSchema, { default: [], maxItems: 200, description: 'Declared fields (system fields id, created, updated are implicit).' })),
    indexes: Type.Optional(Type.Array(IndexSchema, { default: [], description: 'Composite indexes.' })),
    fullText: Type.Optional(Type.Array(Name, { default: [], description: 'Text fields searchable with the `@@` filter operator.' })),
    rules: Type.Optional(RulesSchema),
    auth: Type.Optional(AuthCollectionSchema),
  },
  { additionalProperties: false },
);

export const CollectionsSchema = Type.Array(CollectionSchema, {
  default: [],
  description: 'Declared collections; Strata migrates the database to match them on start.',
});

export const DataSchema = Type.Object(
  {
    url: Type.String({
      default: '',
      description: 'Database URL: empty for a SQLite file in dataDir, `sqlite:path`, `postgres://...` or `mysql://...`.',
    }),
    poolSize: Type.Integer({ minimum: 1, maximum: 200, default: 10, description: 'Connections in the pool (PostgreSQL, MySQL).' }),
    tablePrefix: Type.String({ default: '', pattern: '^[a-z0-9_]{0,16}$', description: 'Prefix for every table Strata creates.' }),
    migrateOnStart: Type.Boolean({ default: true, description: 'Apply the migration plan when the server starts.' }),
    allowDestructive: Type.Boolean({ default: false, description: 'Allow migrations that drop collections or fields or narrow a type.' }),
    busyTimeout: Type.Integer({ minimum: 0, maximum: 600_000, default: 5_000, description: 'SQLite busy timeout in milliseconds.' }),
    maxPerPage: Type.Integer({ minimum: 1, maximum: 10_000, default: 500, description: 'Largest page size a list may ask for.' }),
    maxBatch: Type.Integer({ minimum: 1, maximum: 10_000, default: 100, description: 'Most operations in one batch request.' }),
    maxExpandDepth: Type.Integer({ minimum: 0, maximum: 6, default: 3, description: 'Deepest relation expansion (`expand=a.b.c` is depth 3).' }),
    events: Type.Object(
      {
        enabled: Type.Boolean({ default: true, description: 'Write a record-change event to the outbox in the same transaction as every create/update/delete, and publish it on the bus as `records.<collection>.<action>`.' }),
        retention: Type.Integer({ minimum: 0, maximum: 31_536_000, default: 3600, description: 'Seconds published events are kept for the change feed (replay after a disconnect).' }),
        maxRows: Type.Integer({ minimum: 1, maximum: 100_000_000, default: 100_000, description: 'Most published events kept, whatever their age.' }),
        pollInterval: Type.Integer({ minimum: 10, maximum: 60_000, default: 1000, description: 'Milliseconds between outbox polls (catches other instances\' writes; local writes wake the relay at once).' }),
        batchSize: Type.Integer({ minimum: 1, maximum: 10_000, default: 200, description: 'Most events the relay publishes per outbox read.' }),
      },
      { default: {}, additionalProperties: false, description: 'Record-change events through the transactional outbox.' },
    ),
    schemaPollInterval: Type.Integer({
      minimum: 0,
      maximum: 3_600_000,
      default: 2_000,
      description: 'How often (ms) an instance checks the database for collection changes made over the admin API on another instance; 0 = never.',
    }),
  },
  { default: {}, additionalProperties: false },
);

export type DataConfig = Static<typeof DataSchema>;
export type CollectionConfig = Static<typeof CollectionSchema>;
export type FieldConfig = Static<typeof FieldSchema>;
export type RulesConfig = Static<typeof RulesSchema>;
