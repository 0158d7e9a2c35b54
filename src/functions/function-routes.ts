// Function routes on Fastify: one dispatcher route per declared method and path, reading its
// definition from a table that hot reload swaps (in-flight requests finish on the old one).
// Input is validated with Ajv (Fastify's own settings, all errors) and the reply serialized
// with fast-json-stringify through the response schema, so undeclared fields never leave; other
// formats (function-formats.ts) encode what that serializer let through.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import fastJson from 'fast-json-stringify';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../core/index.js';
import { hasScope, principalOf } from '../auth/index.js';
import { chooseResponseCodec, msgpackCodec } from '../formats/index.js';
import { FunctionLoadError, FunctionTimeoutError, FunctionUnavailableError } from './errors.js';
import { scopedFiles, scopedRecords, type ContextServices } from './function-context.js';
import type { Principal } from '../core/index.js';
import type { AuthLevel, RouteContext, RouteDefinition, Schema, ScopedFiles, ScopedRecords } from './function-define.js';
import { identityOf, type LoadedFunction } from './function-load.js';
import { decodeBody, encodeResponse, FORMATS, routeFormats, SCHEMA_BODY_TYPES, type RouteFormats } from './function-formats.js';
import { pascal, SchemaMapError } from './function-schema-map.js';
import { closeObjects } from './function-schema-close.js';

type Serializer = (v: unknown) => string;

export interface CompiledRoute {
  key: string;
  file: string;
  def: RouteDefinition;
  auth: AuthLevel;
  timeout: number;
  params?: ValidateFunction;
  query?: ValidateFunction;
  body?: ValidateFunction;
  /** By status: `200`, `2xx`, `default`. */
  responses: Map<string, Serializer>;
  /** Media types it reads and answers with, and its Protobuf / Avro messages. */
  formats: RouteFormats;
}

export type Renderer = (template: string, data: Record<string, unknown>, nonce: string) => Promise<string>;

/** The common case (no Accept, JSON, or anything) costs no negotiation. */
const PLAIN_ACCEPT = /^(\*\/\*|application\/json)(\s*[;,]|$)/;

const STATUS_KEY = /^([1-5]\d\d|[1-5]xx|default)$/;

/** `{ 200: schema, 404: schema }` rather than one schema. */
export function isStatusMap(r: unknown): r is Record<string, Schema> {
  if (typeof r !== 'object' || r === null) return false;
  const keys = Object.keys(r);
  return keys.length > 0 && keys.every((k) => STATUS_KEY.test(k));
}

/** What happens to body and query properties a route's schema does not declare (`functions.undeclaredProperties`). */
export type UndeclaredProperties = 'remove' | 'reject';

export function routeAjv(undeclared: UndeclaredProperties = 'remove'): Ajv {
  // Fastify's defaults (coercion of query strings, defaults), but every error reported; the input
  // schemas are closed (closeObjects), so undeclared properties are removed here, or refused (400).
  const ajv = new Ajv({ coerceTypes: 'array', useDefaults: true, removeAdditional: undeclared === 'remove', allErrors: true, strict: false, addUsedSchema: false });
  (addFormats as unknown as (a: Ajv) => Ajv)(ajv);
  return ajv;
}

/** `GET /api/tasks/:id` → `GetApiTasksById`, made unique within `names`. */
function messageBase(method: string, path: string, names?: Set<string>): string {
  let base = pascal(`${method.toLowerCase()} ${path.replace(/:/g, 'by ')}`) || 'Route';
  if (/^[0-9]/.test(base)) base = `R${base}`;
  if (names) {
    const first = base;
    for (let i = 2; names.has(base); i++) base = `${first}${i}`;
    names.add(base);
  }
  return base;
}

/** Compiles one route's validators, serializers and formats; a bad schema throws (reported against its file). */
export function compileRoute(f: LoadedFunction, ajv: Ajv, defaultTimeout: number, names?: Set<string>): CompiledRoute {
  const def = f.def as unknown as RouteDefinition;
  const s = def.schema ?? {};
  const compile = (schema: Schema | undefined) => (schema ? ajv.compile(closeObjects(schema) as object) : undefined);
  const responses = new Map<string, Serializer>();
  if (s.response) {
    const entries: [string, Schema][] = isStatusMap(s.response) ? Object.entries(s.response) : [['2xx', s.response as Schema]];
    for (const [status, schema] of entries) responses.set(status, fastJson(schema as never, { ajv: { strict: false } }) as Serializer);
  }
  const responseSchemas: [string, unknown][] = !s.response ? [] : isStatusMap(s.response) ? Object.entries(s.response) : [['2xx', s.response]];
  let formats: RouteFormats;
  try {
    formats = routeFormats(messageBase(def.method, def.path, names), { body: s.body, responses: responseSchemas }, def.formats);
  } catch (e) {
    if (!(e instanceof SchemaMapError)) throw e;
    throw new Error(`${def.method} ${def.path}: ${e.message}. Protocol Buffers and Avro need scalars, objects and arrays; list the formats this route speaks without them (formats: ['json', 'msgpack', 'xml'])`, { cause: e });
  }
  return { key: identityOf(f)!, file: f.file, def, auth: def.auth ?? 'user', timeout: def.timeout ?? defaultTimeout, params: compile(s.params), query: compile(s.query), body: compile(s.body), responses, formats };
}

function statusKey(r: CompiledRoute, status: number): string | undefined {
  if (r.responses.size === 0) return undefined;
  return [String(status), `${Math.floor(status / 100)}xx`, 'default'].find((k) => r.responses.has(k));
}

function check(validate: ValidateFunction | undefined, value: unknown, context: 'params' | 'query' | 'body'): void {
  if (!validate || validate(value)) return;
  // An undeclared property (reject mode) is named as the field itself: `body.owner`, not `body`.
  const validation = (validate.errors ?? []).map((e) =>
    e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string'
      ? { ...e, instancePath: `${e.instancePath}/${e.params.additionalProperty}`, message: 'is not declared by the schema' }
      : e,
  );
  // Shaped like Fastify's own validation error, so the edge's one mapping gives per-field problem+json.
  throw Object.assign(new Error('The request does not match the schema.'), { statusCode: 400, validation, validationContext: context });
}

function authorize(level: AuthLevel, request: FastifyRequest) {
  const principal = principalOf(request.auth ?? null);
  if (level === 'public') return principal;
  if (!principal) throw new UnauthorizedError();
  // A scoped credential (an API key) reaches signed-in function routes only with the `functions` scope.
  if (!hasScope(principal.scopes, 'functions')) throw new ForbiddenError("The credential's scopes do not allow function routes.");
  if (level === 'superuser' && !principal.superuser) throw new ForbiddenError('This route is for superusers.');
  return principal;
}

const csp = (n: string) => `default-src 'self'; script-src 'nonce-${n}'; style-src 'self' 'nonce-${n}'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'`;

/** A route handler's context: one small object per request, services and the nonce made on first use. */
class HttpContext implements RouteContext {
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
  readonly auth: Principal | null;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly signal: AbortSignal;
  readonly #services: ContextServices;
  readonly #renderer?: Renderer;
  #records?: ScopedRecords;
  #files?: ScopedFiles;
  #nonce?: string;

  constructor(services: ContextServices, auth: Principal | null, request: FastifyRequest, reply: FastifyReply, signal: AbortSignal, renderer?: Renderer) {
    this.#services = services;
    this.#renderer = renderer;
    this.auth = auth;
    this.request = request;
    this.reply = reply;
    this.signal = signal;
    this.params = request.params;
    this.query = request.query;
    this.body = request.body;
  }
  get records(): ScopedRecords {
    return (this.#records ??= scopedRecords(this.#services.records(), this.#services.access(), this.auth));
  }
  get files(): ScopedFiles {
    return (this.#files ??= scopedFiles(this.#services, this.auth));
  }
  get db() {
    return this.#services.db();
  }
  get cache() {
    return this.#services.cache();
  }
  get queue() {
    return this.#services.queue();
  }
  get bus() {
    return this.#services.bus();
  }
  get log() {
    return this.request.log;
  }
  get nonce(): string {
    return (this.#nonce ??= randomBytes(16).toString('base64'));
  }
  /** A getter handing out a bound function: handlers destructure it (`{ render }`). */
  get render(): RouteContext['render'] {
    return async (template, data = {}) => {
      if (!this.#renderer) throw new Error('templates are not configured');
      const n = this.nonce;
      const html = await this.#renderer(template, { ...data, nonce: n }, n);
      this.reply.type('text/html; charset=utf-8').header('content-security-policy', csp(n));
      return html;
    };
  }
}

export interface RouteTable {
  /** Current definitions by identity (`route GET /api/x/:`); replaced whole on reload. */
  routes: Map<string, CompiledRoute>;
  /** Aborted on shutdown: every in-flight handler's signal follows it. */
  readonly inflight: Set<AbortController>;
}

export interface DispatchDeps {
  table: RouteTable;
  services: ContextServices;
  render?: Renderer;
}

/** The Fastify handler for one route identity. */
export function dispatcher(key: string, deps: DispatchDeps) {
  return async function dispatch(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const r = deps.table.routes.get(key);
    if (!r) throw new NotFoundError('This function route was removed.');
    const principal = authorize(r.auth, request);
    // Routes with a response schema negotiate (406 before the handler runs); others answer as they choose (HTML...).
    const accept = request.headers.accept;
    const format = r.responses.size > 0 && accept && !PLAIN_ACCEPT.test(accept) ? chooseResponseCodec(accept, r.formats.offered) : FORMATS.json;
    // XML, Protobuf and Avro bodies arrive as bytes (see registerRoutes) and are read against the body schema.
    if (Buffer.isBuffer(request.body)) {
      const mt = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (SCHEMA_BODY_TYPES.includes(mt)) request.body = decodeBody(r.formats, mt, request.body);
    }
    check(r.params, request.params, 'params');
    check(r.query, request.query, 'query');
    check(r.body, request.body, 'body');

    const ac = new AbortController();
    const onClose = () => {
      if (!reply.raw.writableFinished) ac.abort(new FunctionUnavailableError('The client went away.'));
    };
    reply.raw.once('close', onClose);
    deps.table.inflight.add(ac);
    let timer: NodeJS.Timeout | undefined;
    const ctx = new HttpContext(deps.services, principal, request, reply, ac.signal, deps.render);
    let result: unknown;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const e = new FunctionTimeoutError(r.timeout);
          ac.abort(e);
          reject(e);
        }, r.timeout);
      });
      result = await Promise.race([Promise.resolve().then(() => r.def.handler(ctx)), timeout]);
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
      deps.table.inflight.delete(ac);
    }
    if (reply.sent) return reply;
    if (result === undefined) {
      if (reply.statusCode === 200) reply.code(204);
      return reply.send();
    }
    const status = statusKey(r, reply.statusCode);
    if (!status) return reply.send(result);
    reply.header('vary', 'Accept');
    const json = r.responses.get(status)!(result);
    if (format === FORMATS.json) return reply.type('application/json; charset=utf-8').send(json);
    // Other formats carry exactly what the schema let through.
    return reply.type(format.mediaTypes[0]).send(encodeResponse(format.name, JSON.parse(json), r.formats.responses.get(status)));
  };
}

/** Registers one Fastify route per distinct method and path. */
export function registerRoutes(app: FastifyInstance, routes: Iterable<CompiledRoute>, deps: DispatchDeps, bodyLimit?: number): void {
  // MessagePack bodies, in this plugin's scope only.
  app.addContentTypeParser(msgpackCodec.mediaTypes as unknown as string[], { parseAs: 'buffer' }, (_req, body, done) => {
    try {
      done(null, msgpackCodec.decodeValue(body as Buffer));
    } catch (e) {
      done(e as Error);
    }
  });
  // XML, Protocol Buffers and Avro bodies: raw bytes here, decoded per route against its body schema.
  app.addContentTypeParser(SCHEMA_BODY_TYPES, { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  for (const r of routes) {
    try {
      app.route({ method: r.def.method, url: r.def.path, handler: dispatcher(r.key, deps), ...(bodyLimit ? { bodyLimit } : {}) });
    } catch (e) {
      // Most often a path Strata itself serves (the records API, health...): name the file.
      throw new FunctionLoadError(r.file, `${r.def.method} ${r.def.path} cannot be registered: ${(e as Error).message}`, { cause: e });
    }
  }
}
