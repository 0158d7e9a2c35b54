// REST for records under /api/collections/:collection/records (list, get, create, PATCH, delete),
// POST /api/batch, per-collection schema.proto / schema.avsc and /api/openapi.json, as one
// encapsulated Fastify plugin with its own body parsing (all codecs) and problem+json errors.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { avroListSchema, avroRecordSchema, chooseRequestCodec, chooseResponseCodec, CODECS, jsonCodec, protoSource, type RecordCodec } from '../../formats/index.js';
import { sql, type Expression, type SqlBool } from 'kysely';
import { ValidationError, type RuleAction } from '../../core/index.js';
import type { BatchOperation, Collection, ListQuery, OperationOptions, RecordData, RecordsService } from '../../data/index.js';
import { ForbiddenError } from '../../core/index.js';
import { openapiDocument } from './openapi.js';

/** Access rule hook (the auth capability plugs in here): a WHERE on alias `t`, or undefined for none. */
export type AccessRule = (req: FastifyRequest, collection: string, action: RuleAction, body?: unknown) => Expression<SqlBool> | undefined | Promise<Expression<SqlBool> | undefined>;

/** What a write hook may add: the values to store, and work done inside the write's transaction or after it commits. */
export interface PreparedWrite {
  input: Record<string, unknown>;
  inTx?: OperationOptions['inTx'];
  after?: (record: RecordData) => Promise<void>;
}
/** Turns a client's input into stored values for some collections (auth collections: passwords hashed, system fields guarded). */
export type WriteHook = (req: FastifyRequest, c: Collection, action: 'create' | 'update' | 'delete', input: Record<string, unknown>, id?: string) => Promise<PreparedWrite | undefined>;

export interface RecordsRoutesDeps {
  records: RecordsService;
  /** Codecs in order of preference; JSON first. Default: JSON, XML, Protocol Buffers, Avro, MessagePack. */
  codecs?: RecordCodec[];
  rules?: AccessRule;
  /** Rule for records a filter reaches through relations (alias of the related table); per request. */
  relationRules?: (req: FastifyRequest) => OperationOptions['relationWhere'];
  writes?: WriteHook;
  /** Largest request body in bytes (413 above). */
  bodyLimit?: number;
  /** Title/version written into the OpenAPI document. */
  info?: { title: string; version: string };
  /** More OpenAPI path items (function routes), read on each request of the document. */
  extraPaths?: () => Record<string, Record<string, unknown>>;
}

export const DEFAULT_CODECS: readonly RecordCodec[] = CODECS;

interface Params {
  collection: string;
  id: string;
}

function str(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new ValidationError(`Give ${name} once.`, [{ field: name, message: 'repeated parameter' }]);
  return v;
}

function listQuery(q: Record<string, unknown>): ListQuery {
  const num = (name: string) => {
    const v = str(q, name);
    if (v === undefined) return undefined;
    if (!/^\d{1,9}$/.test(v)) throw new ValidationError(`${name} must be a positive integer.`, [{ field: name, message: 'must be a positive integer' }]);
    return Number(v);
  };
  const total = str(q, 'totalItems') ?? str(q, 'total');
  return {
    filter: str(q, 'filter'),
    sort: str(q, 'sort'),
    page: num('page'),
    perPage: num('perPage'),
    totalItems: total === 'true' || total === '1',
    cursor: str(q, 'cursor'),
    fields: str(q, 'fields'),
    expand: str(q, 'expand'),
  };
}

function bodyOf(req: FastifyRequest): Buffer {
  if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new ValidationError('A request body is required.', [{ field: '', message: 'missing body' }]);
  return req.body;
}

/**
 * @example
 * app.register(recordsRoutes({ records: data.records }));
 */
export function recordsRoutes(deps: RecordsRoutesDeps): FastifyPluginAsync {
  const codecs = deps.codecs ?? DEFAULT_CODECS;
  const rule = async (req: FastifyRequest, c: string, a: RuleAction, body?: unknown) => (deps.rules ? await deps.rules(req, c, a, body) : undefined);
  const prepare = async (req: FastifyRequest, c: Collection, action: 'create' | 'update', input: unknown, id?: string): Promise<PreparedWrite> => {
    const p = deps.writes && input && typeof input === 'object' && !Array.isArray(input) ? await deps.writes(req, c, action, input as Record<string, unknown>, id) : undefined;
    return p ?? { input: input as Record<string, unknown> };
  };
  const send = (reply: FastifyReply, codec: RecordCodec, payload: Buffer | string) => reply.header('vary', 'Accept').type(codec.mediaTypes[0]).send(payload);
  // Per records service: the admin API swaps in a new one when collections change.
  let openapi: { for: RecordsService; text: string } | undefined;
  /** Records reached through `expand` obey their own collection's view rule. */
  const expandRules = async (req: FastifyRequest, expand: string | undefined) => {
    if (!deps.rules || !expand) return undefined;
    const byCollection = new Map<string, Expression<SqlBool> | undefined>();
    for (const name of deps.records.collections.keys()) {
      try {
        byCollection.set(name, await rule(req, name, 'view'));
      } catch (e) {
        if (!(e instanceof ForbiddenError)) throw e;
        byCollection.set(name, sql<SqlBool>`1 = 0`); // not viewable: expanded as null
      }
    }
    return (collection: string) => byCollection.get(collection);
  };

  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_req, body, done) => done(null, body));

    const base = '/api/collections/:collection';
    const collectionOf = (req: FastifyRequest): Collection => deps.records.collection((req.params as Params).collection);

    app.get(`${base}/records`, async (req, reply) => {
      const c = collectionOf(req);
      const codec = chooseResponseCodec(req.headers.accept, codecs, c);
      const q = listQuery(req.query as Record<string, unknown>);
      const result = await deps.records.list(c.name, q, { where: await rule(req, c.name, 'list'), expandWhere: await expandRules(req, q.expand), relationWhere: deps.relationRules?.(req) });
      return send(reply, codec, codec.encodeList(c, result));
    });

    app.get(`${base}/records/:id`, async (req, reply) => {
      const c = collectionOf(req);
      const codec = chooseResponseCodec(req.headers.accept, codecs, c);
      const q = req.query as Record<string, unknown>;
      const expand = str(q, 'expand');
      const r = await deps.records.get(c.name, (req.params as Params).id, { where: await rule(req, c.name, 'view'), fields: str(q, 'fields'), expand, expandWhere: await expandRules(req, expand) });
      reply.header('etag', r.etag);
      const inm = req.headers['if-none-match'];
      if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === r.etag || t.trim() === '*')) return reply.code(304).send();
      return send(reply, codec, codec.encodeRecord(c, r.record));
    });

    app.post(`${base}/records`, async (req, reply) => {
      const c = collectionOf(req);
      const out = chooseResponseCodec(req.headers.accept, codecs, c);
      const decoded = chooseRequestCodec(req.headers['content-type'], codecs, c).decodeRecord(c, bodyOf(req), false);
      const q = req.query as Record<string, unknown>;
      const where = await rule(req, c.name, 'create', decoded);
      const w = await prepare(req, c, 'create', decoded);
      const r = await deps.records.create(c.name, w.input, { where, fields: str(q, 'fields'), expand: str(q, 'expand'), inTx: w.inTx });
      await w.after?.(r.record);
      reply.code(201).header('etag', r.etag).header('location', `/api/collections/${c.name}/records/${String(r.record.id)}`);
      return send(reply, out, out.encodeRecord(c, r.record));
    });

    app.patch(`${base}/records/:id`, async (req, reply) => {
      const c = collectionOf(req);
      const out = chooseResponseCodec(req.headers.accept, codecs, c);
      const decoded = chooseRequestCodec(req.headers['content-type'], codecs, c).decodeRecord(c, bodyOf(req), true);
      const q = req.query as Record<string, unknown>;
      const id = (req.params as Params).id;
      const where = await rule(req, c.name, 'update', decoded);
      const w = await prepare(req, c, 'update', decoded, id);
      const r = await deps.records.update(c.name, id, w.input, {
        where,
        inTx: w.inTx,
        ifMatch: req.headers['if-match'],
        fields: str(q, 'fields'),
        expand: str(q, 'expand'),
      });
      await w.after?.(r.record);
      reply.header('etag', r.etag);
      return send(reply, out, out.encodeRecord(c, r.record));
    });

    app.delete(`${base}/records/:id`, async (req, reply) => {
      const c = collectionOf(req);
      const id = (req.params as Params).id;
      const where = await rule(req, c.name, 'delete');
      const w = deps.writes ? await deps.writes(req, c, 'delete', {}, id) : undefined;
      await deps.records.delete(c.name, id, { where, ifMatch: req.headers['if-match'], inTx: w?.inTx });
      await w?.after?.({ id });
      return reply.code(204).send();
    });

    app.post('/api/batch', async (req, reply) => {
      const out = chooseResponseCodec(req.headers.accept, codecs);
      const body = chooseRequestCodec(req.headers['content-type'], codecs).decodeValue!(bodyOf(req)) as { operations?: unknown };
      const ops = body && typeof body === 'object' ? body.operations : undefined;
      if (!Array.isArray(ops)) throw new ValidationError('The body must be { "operations": [...] }.', [{ field: 'operations', message: 'must be a list' }]);
      const parsed: BatchOperation[] = ops.map((o, i) => {
        const op = (o ?? {}) as Record<string, unknown>;
        const at = `operations.${i}`;
        if (typeof op.collection !== 'string') throw new ValidationError('Every operation names a collection.', [{ field: `${at}.collection`, message: 'required' }]);
        deps.records.collection(op.collection);
        const ifMatch = typeof op.ifMatch === 'string' ? op.ifMatch : undefined;
        if (op.action === 'create') return { action: 'create', collection: op.collection, body: op.body };
        if ((op.action === 'update' || op.action === 'delete') && typeof op.id === 'string') {
          return op.action === 'update' ? { action: 'update', collection: op.collection, id: op.id, body: op.body, ifMatch } : { action: 'delete', collection: op.collection, id: op.id, ifMatch };
        }
        throw new ValidationError('Every operation has an action (create, update with id, delete with id).', [{ field: `${at}.action`, message: 'invalid' }]);
      });
      const wheres: (Expression<SqlBool> | undefined)[] = [];
      for (const [i, op] of parsed.entries()) {
        // Auth collections take passwords and guard system fields: only through their own endpoints.
        if (deps.writes && deps.records.collection(op.collection).auth) {
          throw new ValidationError('Records of auth collections cannot be written in a batch.', [{ field: `operations.${i}.collection`, message: 'is an auth collection' }]);
        }
        wheres.push(await rule(req, op.collection, op.action, op.action === 'delete' ? undefined : op.body));
      }
      const results = await deps.records.batch(parsed, (_coll, _action, i) => wheres[i]);
      return send(reply, out, out.encodeValue!({ results }));
    });

    app.get(`${base}/aggregate`, async (req, reply) => {
      const c = collectionOf(req);
      const out = chooseResponseCodec(req.headers.accept, codecs);
      const q = req.query as Record<string, unknown>;
      const items = await deps.records.aggregate(c.name, { metrics: str(q, 'metrics') ?? 'count', groupBy: str(q, 'groupBy'), filter: str(q, 'filter') }, { where: await rule(req, c.name, 'list'), relationWhere: deps.relationRules?.(req) });
      return send(reply, out, out.encodeValue!({ items }));
    });

    app.get(`${base}/schema.proto`, async (req, reply) => {
      const c = collectionOf(req);
      if (c.type !== 'base') throw new ValidationError('Document collections have no fixed schema.', []);
      return reply.type('text/plain; charset=utf-8').send(protoSource(c));
    });

    app.get(`${base}/schema.avsc`, async (req, reply) => {
      const c = collectionOf(req);
      if (c.type !== 'base') throw new ValidationError('Document collections have no fixed schema.', []);
      const which = str(req.query as Record<string, unknown>, 'type');
      return reply.type('application/json').send(JSON.stringify(which === 'list' ? avroListSchema(c) : avroRecordSchema(c)));
    });

    app.get('/api/openapi.json', async (_req, reply) => {
      const records = deps.records;
      const doc = () => JSON.stringify(openapiDocument([...records.collections.values()], deps.info ?? { title: 'Strata API', version: '1.0.0' }, deps.extraPaths?.()));
      // Function routes can change (hot reload): then the document is built per request.
      if (deps.extraPaths) return reply.type('application/json').send(doc());
      if (openapi?.for !== records) openapi = { for: records, text: doc() };
      return reply.type('application/json').send(openapi.text);
    });
  };
}
