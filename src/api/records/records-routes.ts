// REST for records under /api/collections/:collection/records (list, get, create, PATCH, delete),
// POST /api/batch, per-collection schema.proto / schema.avsc and /api/openapi.json, as one
// encapsulated Fastify plugin with its own body parsing (all codecs) and problem+json errors.
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { avroListSchema, avroRecordSchema, chooseRequestCodec, chooseResponseCodec, CODECS, jsonCodec, protoSource, type RecordCodec } from '../../formats/index.js';
import { ValidationError, type Principal } from '../../core/index.js';
import type { BatchOperation, Collection, ListQuery, OperationOptions, RecordAccess, RecordData, RecordsService } from '../../data/index.js';
import { openapiDocument, type OpenApiSurface } from './openapi.js';
import type { RecordFiles } from '../files/index.js';

/** What a write hook may add: the values to store, and work done inside the write's transaction or after it commits. */
export interface PreparedWrite {
  input: Record<string, unknown>;
  inTx?: OperationOptions['inTx'];
  after?: (record: RecordData) => Promise<void>;
  /**
   * Create only: answer as a create would, keep nothing (`OperationOptions.dryRun`), and show the
   * answer through `shown` (auth collections: a sign-up with a registered address looks like a new one).
   */
  dryRun?: { shown: (record: RecordData) => RecordData };
}
/** Turns a client's input into stored values for some collections (auth collections: passwords hashed, system fields guarded). */
export type WriteHook = (req: FastifyRequest, c: Collection, action: 'create' | 'update' | 'delete', input: Record<string, unknown>, id?: string) => Promise<PreparedWrite | undefined>;

export interface RecordsRoutesDeps {
  /** The schema (collections) and the open system operations; records of callers go through `access`. */
  records: RecordsService;
  /** The records access layer: every read and write below runs as the caller through it. */
  access: () => RecordAccess;
  /** Who the caller is (null: anonymous). */
  principal: (req: FastifyRequest) => Principal | null;
  /** Codecs in order of preference; JSON first. Default: JSON, XML, Protocol Buffers, Avro, MessagePack. */
  codecs?: RecordCodec[];
  writes?: WriteHook;
  /** Largest request body in bytes (413 above). */
  bodyLimit?: number;
  /** Title/version written into the OpenAPI document. */
  info?: { title: string; version: string };
  /** More OpenAPI path items (function routes), read on each request of the document. */
  extraPaths?: () => Record<string, Record<string, unknown>>;
  /** The server's other mounted routes, for the OpenAPI document (without it: the records API alone). */
  openapi?: OpenApiSurface;
  /** File fields: multipart uploads on create/update, files deleted after the write commits (api/files). */
  files?: RecordFiles;
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
 * app.register(recordsRoutes({ records: data.records, access: () => recordAccess, principal: (req) => principalOf(req.auth) }));
 */
export function recordsRoutes(deps: RecordsRoutesDeps): FastifyPluginAsync {
  const codecs = deps.codecs ?? DEFAULT_CODECS;
  const as = (req: FastifyRequest) => deps.principal(req);
  const query = (req: FastifyRequest) => req.query as Record<string, unknown>;
  const prepare = async (req: FastifyRequest, c: Collection, action: 'create' | 'update', input: unknown, id?: string): Promise<PreparedWrite> => {
    const p = deps.writes && input && typeof input === 'object' && !Array.isArray(input) ? await deps.writes(req, c, action, input as Record<string, unknown>, id) : undefined;
    return p ?? { input: input as Record<string, unknown> };
  };
  const send = (reply: FastifyReply, codec: RecordCodec, payload: Buffer | string) => reply.header('vary', 'Accept').type(codec.mediaTypes[0]).send(payload);
  // Per records service: the admin API swaps in a new one when collections change.
  let openapi: { for: RecordsService; text: string } | undefined;
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimit }, (_req, body, done) => done(null, body));
    // Uploads stream from the request to storage in the handler (deps.files), never buffered here.
    if (deps.files) app.addContentTypeParser('multipart/form-data', (_req, _payload, done) => done(null, undefined));

    const base = '/api/collections/:collection';
    const collectionOf = (req: FastifyRequest): Collection => deps.records.collection((req.params as Params).collection);

    app.get(`${base}/records`, async (req, reply) => {
      const c = collectionOf(req);
      const codec = chooseResponseCodec(req.headers.accept, codecs, c);
      const q = listQuery(req.query as Record<string, unknown>);
      const result = await deps.access().list(as(req), c.name, q, { query: query(req) });
      return send(reply, codec, codec.encodeList(c, result));
    });

    app.get(`${base}/records/:id`, async (req, reply) => {
      const c = collectionOf(req);
      const codec = chooseResponseCodec(req.headers.accept, codecs, c);
      const q = req.query as Record<string, unknown>;
      const expand = str(q, 'expand');
      const r = await deps.access().get(as(req), c.name, (req.params as Params).id, { fields: str(q, 'fields'), expand, query: q });
      reply.header('etag', r.etag);
      const inm = req.headers['if-none-match'];
      if (inm && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === r.etag || t.trim() === '*')) return reply.code(304).send();
      return send(reply, codec, codec.encodeRecord(c, r.record));
    });

    app.post(`${base}/records`, async (req, reply) => {
      const c = collectionOf(req);
      const out = chooseResponseCodec(req.headers.accept, codecs, c);
      const decode = () => chooseRequestCodec(req.headers['content-type'], codecs, c).decodeRecord(c, bodyOf(req), false);
      const q = req.query as Record<string, unknown>;
      const p = as(req);
      // Refused before the write hook runs (it may hash a password) or a file is stored: the rule sees the client's body.
      deps.access().assert(p, c.name, 'create');
      const files = await deps.files?.prepare(req, c, 'create', decode);
      if (files?.answered) return reply;
      const decoded = files ? files.input : decode();
      let r: Awaited<ReturnType<RecordAccess['create']>>;
      let w: PreparedWrite;
      try {
        w = await prepare(req, c, 'create', decoded);
        r = await deps.access().create(p, c.name, w.input, { ruleBody: decoded, query: q, fields: str(q, 'fields'), expand: str(q, 'expand'), inTx: w.inTx, dryRun: w.dryRun !== undefined });
        if (w.dryRun) await files?.failed();
      } catch (e) {
        await files?.failed();
        throw e;
      }
      await files?.committed();
      const record = w.dryRun ? w.dryRun.shown(r.record) : r.record;
      await w.after?.(record);
      reply.code(201).header('etag', r.etag).header('location', `/api/collections/${c.name}/records/${String(record.id)}`);
      return send(reply, out, out.encodeRecord(c, record));
    });

    app.patch(`${base}/records/:id`, async (req, reply) => {
      const c = collectionOf(req);
      const out = chooseResponseCodec(req.headers.accept, codecs, c);
      const decode = () => chooseRequestCodec(req.headers['content-type'], codecs, c).decodeRecord(c, bodyOf(req), true);
      const q = req.query as Record<string, unknown>;
      const id = (req.params as Params).id;
      const p = as(req);
      deps.access().assert(p, c.name, 'update');
      const files = await deps.files?.prepare(req, c, 'update', decode, id);
      if (files?.answered) return reply;
      const decoded = files ? files.input : decode();
      let r: Awaited<ReturnType<RecordAccess['update']>>;
      let w: PreparedWrite;
      try {
        w = await prepare(req, c, 'update', decoded, id);
        r = await deps.access().update(p, c.name, id, w.input, {
          ruleBody: decoded,
          query: q,
          inTx: w.inTx,
          ifMatch: req.headers['if-match'],
          fields: str(q, 'fields'),
          expand: str(q, 'expand'),
        });
      } catch (e) {
        await files?.failed();
        throw e;
      }
      await files?.committed();
      await w.after?.(r.record);
      reply.header('etag', r.etag);
      return send(reply, out, out.encodeRecord(c, r.record));
    });

    app.delete(`${base}/records/:id`, async (req, reply) => {
      const c = collectionOf(req);
      const id = (req.params as Params).id;
      const p = as(req);
      deps.access().assert(p, c.name, 'delete');
      const w = deps.writes ? await deps.writes(req, c, 'delete', {}, id) : undefined;
      await deps.access().delete(p, c.name, id, { query: query(req), ifMatch: req.headers['if-match'], inTx: w?.inTx });
      await deps.files?.deleted(c, id);
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
      for (const [i, op] of parsed.entries()) {
        // Auth collections take passwords and guard system fields: only through their own endpoints.
        if (deps.writes && deps.records.collection(op.collection).auth) {
          throw new ValidationError('Records of auth collections cannot be written in a batch.', [{ field: `operations.${i}.collection`, message: 'is an auth collection' }]);
        }
        // File names are set through the records API (uploads, removals); a batch delete deletes files after the commit.
        const body = op.action === 'delete' ? undefined : op.body;
        const fileField = body && typeof body === 'object' ? deps.records.collection(op.collection).fields.find((f) => f.type === 'file' && f.name in body) : undefined;
        if (fileField) throw new ValidationError('File fields cannot be written in a batch.', [{ field: `operations.${i}.body.${fileField.name}`, message: 'is a file field' }]);
      }
      const results = await deps.access().batch(as(req), parsed, { query: query(req) });
      // The batch committed as a whole: the files of the records it deleted go now (the sweeper catches a crash here).
      for (const [i, op] of parsed.entries()) {
        if (op.action === 'delete' && (results[i]?.status ?? 500) < 300) await deps.files?.deleted(deps.records.collection(op.collection), op.id);
      }
      return send(reply, out, out.encodeValue!({ results }));
    });

    app.get(`${base}/aggregate`, async (req, reply) => {
      const c = collectionOf(req);
      const out = chooseResponseCodec(req.headers.accept, codecs);
      const q = req.query as Record<string, unknown>;
      const items = await deps.access().aggregate(as(req), c.name, { metrics: str(q, 'metrics') ?? 'count', groupBy: str(q, 'groupBy'), filter: str(q, 'filter') }, { query: q });
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
      const doc = () => JSON.stringify(openapiDocument([...records.collections.values()], deps.info ?? { title: 'Strata API', version: '1.0.0' }, deps.extraPaths?.(), deps.openapi));
      // Function routes can change (hot reload): then the document is built per request.
      if (deps.extraPaths) return reply.type('application/json').send(doc());
      if (openapi?.for !== records) openapi = { for: records, text: doc() };
      return reply.type('application/json').send(openapi.text);
    });
  };
}
