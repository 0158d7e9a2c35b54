// An OpenAPI 3.1 document generated from the collections: one path set and three schemas
// (record, create input, patch input) per collection, problem+json (RFC 9457) for errors, each
// operation's security from the collection's rules; with a server surface, every other mounted route.
import type { Collection, Field, Rules } from '../../data/index.js';
import { FORMAT_NAMES, MEDIA_TYPES } from '../../formats/index.js';
import { authPaths, ruleAccess, securitySchemes, signedIn } from './openapi-auth.js';
import { serverPaths, type OpenApiSurface } from './openapi-server.js';

export type { OpenApiSurface } from './openapi-server.js';

type Json = Record<string, unknown>;

function fieldSchema(f: Field): Json {
  const nullable = (t: string) => (f.required ? t : [t, 'null']);
  switch (f.type) {
    case 'text':
    case 'email':
    case 'url': {
      const s: Json = { type: nullable('string') };
      if (f.maxLength !== undefined) s.maxLength = f.maxLength;
      if (f.minLength !== undefined) s.minLength = f.minLength;
      if (f.pattern !== undefined) s.pattern = f.pattern;
      if (f.type === 'email') s.format = 'email';
      if (f.type === 'url') s.format = 'uri';
      return s;
    }
    case 'number':
    case 'integer': {
      const s: Json = { type: nullable(f.type) };
      if (typeof f.min === 'number') s.minimum = f.min;
      if (typeof f.max === 'number') s.maximum = f.max;
      return s;
    }
    case 'boolean':
      return { type: nullable('boolean') };
    case 'date':
      return { type: nullable('string'), format: 'date-time' };
    case 'select':
      return { enum: f.required ? [...f.values!] : [...f.values!, null] };
    case 'json':
      return { description: 'Any JSON value.' };
    case 'relation':
      return f.multiple ? { type: 'array', items: { type: 'string' }, description: `Ids of ${f.collection} records.` } : { type: nullable('string'), description: `Id of a ${f.collection} record.` };
    case 'file': {
      const o = f.file!;
      const about = `Stored file name${f.multiple ? 's' : ''}, downloaded at /api/files/{collection}/{record}/{name}; uploaded as multipart/form-data parts (at most ${o.maxSize} bytes each${o.mimeTypes.length ? `; ${o.mimeTypes.join(', ')}` : ''}).`;
      return f.multiple
        ? { type: 'array', items: { type: 'string' }, maxItems: o.maxSelect, description: about, 'x-strata-file': { ...o } }
        : { type: nullable('string'), description: about, 'x-strata-file': { ...o } };
    }
  }
}

function schemas(c: Collection): Record<string, Json> {
  const props: Record<string, Json> = {};
  for (const f of c.fields) props[f.name] = fieldSchema(f);
  const system = { id: { type: 'string' }, created: { type: 'string', format: 'date-time' }, updated: { type: 'string', format: 'date-time' } };
  const doc = c.type === 'document';
  const required = c.fields.filter((f) => f.required && f.default === undefined).map((f) => f.name);
  // Auth collections: the server makes ids, the password goes in beside the fields (stored hashed, never shown).
  const password = { type: 'string', writeOnly: true, description: 'Checked by the password policy; stored hashed.' };
  const createProps = c.auth ? { ...props, password, passwordConfirm: { ...password, description: 'Must equal password when given.' } } : { id: { type: 'string', pattern: '^[a-z0-9]{5,32}$' }, ...props };
  const patchProps = c.auth ? { ...props, password, passwordConfirm: password, oldPassword: { ...password, description: 'The current password (superusers excepted).' } } : props;
  if (c.auth) required.push('password');
  return {
    [`${c.name}_record`]: { type: 'object', properties: { ...system, ...props, expand: { type: 'object' } }, required: ['id', 'created', 'updated'], additionalProperties: doc },
    [`${c.name}_create`]: { type: 'object', properties: createProps, ...(required.length ? { required } : {}), additionalProperties: doc },
    [`${c.name}_patch`]: { type: 'object', properties: patchProps, additionalProperties: doc },
  };
}

function content(c: Collection | undefined, schemaRef: string): Json {
  return listContent(c, { $ref: schemaRef });
}

function listContent(c: Collection | undefined, schema: Json): Json {
  const json = { schema };
  // Document collections have no fixed schema, so only the schemaless formats carry them.
  const formats = FORMAT_NAMES.filter((f) => f === 'json' || f === 'msgpack' || (c !== undefined && c.type === 'base'));
  return Object.fromEntries(formats.map((f) => [MEDIA_TYPES[f][0], f === 'json' || f === 'msgpack' ? json : {}]));
}

const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/problem' } } } });
const errors = { '400': problem('Invalid input'), '404': problem('Not found'), '406': problem('Not acceptable'), '415': problem('Unsupported media type') };
const q = (name: string, description: string, schema: Json = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });
const etag = { ETag: { description: 'Strong entity tag of the record version.', schema: { type: 'string' } } };
const ifMatch = { name: 'If-Match', in: 'header', required: false, description: 'Apply only if the record still has this ETag (412 otherwise).', schema: { type: 'string' } };

/** An operation with the security, description and 401/403 answers of the collection rule it runs under. */
function guarded(c: Collection, action: keyof Rules, method: string, op: Json): Json {
  const a = ruleAccess(c.rules, action, method, c.name);
  return { ...op, description: a.description, security: a.security, responses: { ...(op.responses as Json), ...a.responses } };
}

function paths(c: Collection): Record<string, Json> {
  const ref = (s: string) => `#/components/schemas/${c.name}_${s}`;
  const base = `/api/collections/${c.name}`;
  const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const shape = { fields: q('fields', 'Comma-separated fields to return.'), expand: q('expand', 'Comma-separated relation paths to expand (dotted, bounded depth).') };
  const list = {
    type: 'object',
    properties: { items: { type: 'array', items: { $ref: ref('record') } }, page: { type: 'integer' }, perPage: { type: 'integer' }, totalItems: { type: 'integer' }, totalPages: { type: 'integer' }, nextCursor: { type: ['string', 'null'] } },
    required: ['items', 'page', 'perPage', 'nextCursor'],
  };
  const out: Record<string, Json> = {
    [`${base}/records`]: {
      get: guarded(c, 'list', 'get', {
        operationId: `list_${c.name}`,
        summary: `List ${c.name}`,
        parameters: [
          q('filter', 'Filter expression, e.g. title ~ "x" && views > 10.'),
          q('sort', 'Comma-separated fields, - for descending.'),
          q('page', 'Page number (offset pagination).', { type: 'integer', minimum: 1 }),
          q('perPage', 'Items per page.', { type: 'integer', minimum: 1 }),
          q('totalItems', 'Also count all matches.', { type: 'boolean' }),
          q('cursor', 'nextCursor of the previous page (keyset pagination).'),
          shape.fields,
          shape.expand,
        ],
        responses: { '200': { description: 'A page of records', content: { ...listContent(c, list) } }, ...errors },
      }),
      post: guarded(c, 'create', 'post', {
        operationId: `create_${c.name}`,
        summary: `Create a ${c.name} record`,
        parameters: [shape.fields, shape.expand],
        requestBody: { required: true, content: content(c, ref('create')) },
        responses: { '201': { description: 'Created', headers: etag, content: content(c, ref('record')) }, '409': problem('Unique conflict'), ...errors },
      }),
    },
    [`${base}/records/{id}`]: {
      parameters: [id],
      get: guarded(c, 'view', 'get', { operationId: `get_${c.name}`, summary: `Get a ${c.name} record`, parameters: [shape.fields, shape.expand], responses: { '200': { description: 'The record', headers: etag, content: content(c, ref('record')) }, '304': { description: 'Not modified' }, ...errors } }),
      patch: guarded(c, 'update', 'patch', {
        operationId: `update_${c.name}`,
        summary: `Update a ${c.name} record (partial)`,
        parameters: [ifMatch, shape.fields, shape.expand],
        requestBody: { required: true, content: content(c, ref('patch')) },
        responses: { '200': { description: 'Updated', headers: etag, content: content(c, ref('record')) }, '409': problem('Unique conflict'), '412': problem('ETag mismatch'), ...errors },
      }),
      delete: guarded(c, 'delete', 'delete', { operationId: `delete_${c.name}`, summary: `Delete a ${c.name} record`, parameters: [ifMatch], responses: { '204': { description: 'Deleted' }, '409': problem('Still referenced'), '412': problem('ETag mismatch'), ...errors } }),
    },
  };
  // Aggregates serve base collections only (a document collection answers 400).
  if (c.type === 'base') out[`${base}/aggregate`] = {
    get: guarded(c, 'list', 'get', {
      operationId: `aggregate_${c.name}`,
      summary: `Aggregate ${c.name}`,
      parameters: [q('metrics', 'count, sum(f), avg(f), min(f), max(f), comma-separated.'), q('groupBy', 'Comma-separated fields to group by.'), q('filter', 'Filter expression.')],
      responses: { '200': { description: 'One row per group', content: { 'application/json': { schema: { type: 'object', properties: { items: { type: 'array', items: { type: 'object' } } } } } } }, ...errors },
    }),
  };
  if (c.type === 'base') {
    out[`${base}/schema.proto`] = { get: { operationId: `proto_${c.name}`, summary: 'Protocol Buffers schema', security: [], responses: { '200': { description: '.proto source', content: { 'text/plain': { schema: { type: 'string' } } } } } } };
    out[`${base}/schema.avsc`] = { get: { operationId: `avsc_${c.name}`, summary: 'Avro schema (type=list for the page envelope)', security: [], parameters: [q('type', 'record (default) or list')], responses: { '200': { description: 'Avro schema', content: { 'application/json': { schema: { type: 'object' } } } } } } };
  }
  return out;
}

/**
 * The document. Without `surface` it describes the records API alone (as `recordsRoutes` mounts it); the
 * server passes what else it mounted (auth, admin, ops, realtime, RPC schemas, functions).
 *
 * @example
 * openapiDocument([...records.collections.values()], { title: 'Strata', version: '1' }, functions.openapiPaths(), { sessionCookie: 'strata_session', admin: {} });
 */
export function openapiDocument(collections: readonly Collection[], info: { title: string; version: string }, extraPaths: Record<string, Json> = {}, surface?: OpenApiSurface): Json {
  const allPaths: Record<string, Json> = {};
  const allSchemas: Record<string, Json> = {
    problem: {
      type: 'object',
      properties: { type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' }, errors: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } } },
      required: ['type', 'title', 'status'],
    },
  };
  for (const c of collections) {
    Object.assign(allPaths, paths(c));
    if (surface && c.auth) Object.assign(allPaths, authPaths(c));
    Object.assign(allSchemas, schemas(c));
  }
  allPaths['/api/batch'] = {
    post: {
      operationId: 'batch',
      summary: 'Several writes in one transaction',
      description: "Each operation runs under its collection's rule (anonymous callers too); a refusal stops the batch before any write.",
      security: [...signedIn('post', 'records:write'), {}],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['operations'],
              properties: { operations: { type: 'array', items: { type: 'object', required: ['action', 'collection'], properties: { action: { enum: ['create', 'update', 'delete'] }, collection: { type: 'string' }, id: { type: 'string' }, ifMatch: { type: 'string' }, body: { type: 'object' } } } } },
            },
          },
        },
      },
      responses: { '200': { description: 'Every result, in order', content: { 'application/json': { schema: { type: 'object' } } } }, ...errors, '401': problem('Invalid or expired credentials'), '403': problem('Refused by a rule or the credential scopes'), '409': problem('Conflict'), '412': problem('ETag mismatch') },
    },
  };
  if (surface) Object.assign(allPaths, serverPaths(collections, surface));
  for (const [path, item] of Object.entries(extraPaths)) allPaths[path] = { ...(allPaths[path] ?? {}), ...item };
  return {
    openapi: '3.1.0',
    info,
    // Operations without their own `security` (function routes that are not public) take any credential.
    security: signedIn('get', undefined),
    paths: allPaths,
    components: { schemas: allSchemas, securitySchemes: securitySchemes(surface?.sessionCookie ?? 'strata_session') },
  };
}
