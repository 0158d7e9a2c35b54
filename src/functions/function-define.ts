import type { Readable } from 'node:stream';
// What users write in functions/*.ts: defineRoute, defineConsumer, defineSubscriber, defineCron
// and defineHook. Each returns its definition tagged so the loader recognizes it even when the
// user's file got its own copy of this module (tsx loads each function file in its own namespace).
import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Principal } from '../core/index.js';
import type { FormatName } from './function-formats.js';
import type { Cache } from '../cache/index.js';
import type { Bus, Job, QueueBackend } from '../messaging/index.js';
import type { Db, ListQuery, ListResult, RecordData, RecordsService, StoredRecord, OperationOptions, AggregateQuery, AggregateRow } from '../data/index.js';

/** Tag on every definition (a registry symbol, equal across module copies). */
export const FUNCTION_KIND: unique symbol = Symbol.for('strata.function') as never;

export type AuthLevel = 'public' | 'user' | 'superuser';
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A TypeBox schema, or a plain JSON Schema object. */
export type Schema = TSchema | Readonly<Record<string, unknown>>;
/** The TypeScript type a schema describes (unknown for plain JSON Schema). */
export type StaticOf<S> = S extends TSchema ? Static<S> : unknown;

export interface RouteSchemas {
  params?: Schema;
  query?: Schema;
  body?: Schema;
  /** One schema for 2xx responses, or one per status (`{ 200: ..., 201: ... }`). */
  response?: Schema | Readonly<Record<number, Schema>>;
}

type ResponseOf<R> = R extends TSchema ? Static<R> : R extends Readonly<Record<number, infer S>> ? StaticOf<S> : unknown;

/** Field selection and relation expansion of a read (expanded records obey their own view rule). */
export interface ScopedReadOptions {
  fields?: string;
  expand?: string;
}

/** The records service with the caller's access rules applied to every call (the records access layer). */
export interface ScopedRecords {
  list(collection: string, q?: ListQuery): Promise<ListResult>;
  get(collection: string, id: string, opts?: ScopedReadOptions): Promise<StoredRecord>;
  create(collection: string, body: unknown, opts?: ScopedReadOptions): Promise<StoredRecord>;
  update(collection: string, id: string, body: unknown, opts?: ScopedReadOptions & { ifMatch?: string }): Promise<StoredRecord>;
  delete(collection: string, id: string, opts?: { ifMatch?: string }): Promise<void>;
  aggregate(collection: string, q: AggregateQuery): Promise<AggregateRow[]>;
  /** The records service without access rules: the function vouches for what it does. */
  asSuperuser(): RecordsService;
}

/** A record's files with the caller's access rules (docs/files.md): reads need the view rule, writes the update rule. */
export interface ScopedFiles {
  /** A file the record holds: its bytes as a stream, its size and its type. */
  read(collection: string, record: string, name: string): Promise<{ body: Readable; bytes: number; type: string }>;
  /** Stores bytes into a file field like an upload (sniffed, checked, a stored name made); replaces a single field's file, or appends with `append`. */
  write(collection: string, record: string, field: string, file: { name: string; data: Uint8Array }, opts?: { append?: boolean }): Promise<StoredRecord>;
  /** Removes a file from its record; the file is deleted after the write. */
  remove(collection: string, record: string, name: string): Promise<StoredRecord>;
}

/** What every handler gets. */
export interface FunctionContext {
  /** Records with the caller's access rules (anonymous outside HTTP routes); `asSuperuser()` for none. */
  readonly records: ScopedRecords;
  /** Records' files with the caller's access rules (the same checks as uploads). */
  readonly files: ScopedFiles;
  /** The data layer's Kysely instance, for raw parameterized SQL (`sql` template values are bound). */
  readonly db: Db;
  readonly cache: Cache;
  readonly queue: QueueBackend;
  readonly bus: Bus;
  /** The caller; null when anonymous (and in consumers, subscribers and cron jobs). */
  readonly auth: Principal | null;
  /** A child logger carrying the request id (HTTP) or the job / topic / schedule. */
  readonly log: Logger;
  /** Aborted when the client disconnects, the handler times out, or the server shuts down. */
  readonly signal: AbortSignal;
}

export interface RouteContext<S extends RouteSchemas = RouteSchemas> extends FunctionContext {
  readonly params: StaticOf<S['params']>;
  readonly query: StaticOf<S['query']>;
  readonly body: StaticOf<S['body']>;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** A fresh per-response nonce, also sent in the Content-Security-Policy by `render`. */
  readonly nonce: string;
  /** Renders a template from the functions' `templates/` folder (Eta, auto-escaped) into an HTML reply. */
  render(template: string, data?: Record<string, unknown>): Promise<string>;
}

export interface RouteDefinition<S extends RouteSchemas = RouteSchemas> {
  method: HttpMethod;
  /** Fastify path syntax: `/api/tasks/:id`. */
  path: string;
  /** Who may call: `public`, any signed-in `user` (default), or `superuser`. */
  auth?: AuthLevel;
  schema?: S;
  /** Handler time limit in ms (default `functions.timeout`); the signal aborts and the client gets 504. */
  timeout?: number;
  /** Short text for the OpenAPI document. */
  summary?: string;
  /**
   * Formats the route reads and answers with besides JSON (always on). Default: MessagePack, XML,
   * Protocol Buffers and Avro. Protobuf and Avro need body/response schemas of scalars, objects and
   * arrays (start-up fails naming what cannot map); leave them out for schemas that cannot.
   */
  formats?: readonly FormatName[];
  /** Returns the response body (serialized through the response schema), or nothing for 204. */
  handler(ctx: RouteContext<S>): ResponseOf<S['response']> | undefined | Promise<ResponseOf<S['response']> | undefined>;
}

export interface ConsumerDefinition<T = unknown> {
  queue: string;
  /** Jobs at once on this instance (default 1). */
  concurrency?: number;
  /** Visibility timeout, ms: a job not finished within it is delivered again (default `messaging.queue.consumer.leaseMs`, 30 s). */
  leaseMs?: number;
  /** Deliveries before a failing job is dead-lettered, in place of the job's own (default `messaging.queue.consumer.maxAttempts`, else the job's). */
  maxAttempts?: number;
  /** Retry delays: `baseMs` doubling per attempt up to `maxMs`, `jitter` 0..1 randomized (default `messaging.queue.consumer.backoff`). */
  backoff?: { baseMs?: number; maxMs?: number; jitter?: number };
  /** The queue's rate limit: at most `max` job starts per `perMs`, across instances (default `messaging.queue.rateLimits[queue]`). */
  rateLimit?: { max: number; perMs: number };
  /** Throwing fails the attempt: the job is retried with backoff, then dead-lettered. `ctx.progress(p)` reports progress (`queue.progress(queue, id)`). */
  handler(job: Job<T>, ctx: FunctionContext & { progress(value: unknown): Promise<void> }): unknown;
}

export interface SubscriberDefinition<T = unknown> {
  /** Topic pattern with NATS-style wildcards (`records.tasks.*`, `orders.>`). */
  topic: string;
  handler(event: T, ctx: FunctionContext & { topic: string }): unknown;
}

export interface CronDefinition {
  /** Cron pattern (croner: optional seconds field), e.g. `0 3 * * *`. */
  schedule: string;
  /** Unique name (default: file and export name). */
  name?: string;
  timezone?: string;
  handler(ctx: FunctionContext & { tick: string }): unknown;
}

export type HookPhase = 'beforeCreate' | 'afterCreate' | 'beforeUpdate' | 'afterUpdate' | 'beforeDelete' | 'afterDelete';
export type HookEvent = `records.${string}.${HookPhase}`;

export interface HookInput {
  collection: string;
  action: 'create' | 'update' | 'delete';
  /** The record id (update, delete; create after the write). */
  id?: string;
  /** The input body (before-hooks of create and update). */
  data?: Record<string, unknown>;
  /** The stored record (after-hooks of create and update). */
  record?: RecordData;
  /** The transaction of the write (before-hooks): extra writes here commit or roll back with it. */
  db: Db;
}

export interface HookDefinition {
  on: HookEvent;
  /**
   * Before-hooks run inside the write's transaction: return a new `data` object to replace the input,
   * or throw a StrataError (its problem+json reaches the client) to reject. After-hooks run after commit.
   */
  handler(input: HookInput, ctx: FunctionContext): void | Record<string, unknown> | Promise<void | Record<string, unknown>>;
}

export type Definition =
  | ({ [FUNCTION_KIND]: 'route' } & RouteDefinition)
  | ({ [FUNCTION_KIND]: 'consumer' } & ConsumerDefinition)
  | ({ [FUNCTION_KIND]: 'subscriber' } & SubscriberDefinition)
  | ({ [FUNCTION_KIND]: 'cron' } & CronDefinition)
  | ({ [FUNCTION_KIND]: 'hook' } & HookDefinition);

const tag = <K extends Definition[typeof FUNCTION_KIND], D extends object>(kind: K, def: D) => Object.assign(def, { [FUNCTION_KIND]: kind });

/**
 * An HTTP route with validated input and a response serialized through its schema.
 *
 * @example
 * import { Type } from '@sinclair/typebox';
 * import { defineRoute } from 'strata/functions';
 * export default defineRoute({
 *   method: 'GET', path: '/api/tasks/:id', auth: 'user',
 *   schema: { params: Type.Object({ id: Type.String() }), response: Type.Object({ id: Type.String(), title: Type.String() }) },
 *   async handler({ params, records }) { return (await records.get('tasks', params.id)).record as { id: string; title: string }; },
 * });
 */
export function defineRoute<S extends RouteSchemas>(def: RouteDefinition<S>): RouteDefinition<S> & { [FUNCTION_KIND]: 'route' } {
  return tag('route', def);
}

/**
 * A queue consumer: at-least-once, retried with backoff when the handler throws.
 *
 * @example
 * export default defineConsumer({ queue: 'emails', concurrency: 4, leaseMs: 120_000, maxAttempts: 8, backoff: { baseMs: 5_000 }, async handler(job, { log }) { await send(job.payload); log.info('sent'); } });
 */
export function defineConsumer<T = unknown>(def: ConsumerDefinition<T>): ConsumerDefinition<T> & { [FUNCTION_KIND]: 'consumer' } {
  return tag('consumer', def);
}

/**
 * An event-bus subscriber (at-most-once, every instance receives it).
 *
 * @example
 * export default defineSubscriber({ topic: 'records.tasks.*', handler(event, { topic, log }) { log.info({ topic }, 'task changed'); } });
 */
export function defineSubscriber<T = unknown>(def: SubscriberDefinition<T>): SubscriberDefinition<T> & { [FUNCTION_KIND]: 'subscriber' } {
  return tag('subscriber', def);
}

/**
 * A scheduled job: runs once per tick across all instances.
 *
 * @example
 * export default defineCron({ schedule: '0 3 * * *', async handler({ db }) { await sql`DELETE FROM sessions WHERE expires < ${Date.now()}`.execute(db); } });
 */
export function defineCron(def: CronDefinition): CronDefinition & { [FUNCTION_KIND]: 'cron' } {
  return tag('cron', def);
}

/**
 * A record hook: before-hooks validate, modify or reject a write inside its transaction; after-hooks run after commit.
 *
 * @example
 * export default defineHook({ on: 'records.tasks.beforeCreate', handler: ({ data }) => ({ ...data, title: String(data?.title).trim() }) });
 */
export function defineHook(def: HookDefinition): HookDefinition & { [FUNCTION_KIND]: 'hook' } {
  return tag('hook', def);
}

/** True for anything a define* function returned. */
export function isDefinition(v: unknown): v is Definition {
  return typeof v === 'object' && v !== null && typeof (v as Record<symbol, unknown>)[FUNCTION_KIND] === 'string';
}

/** Which define* made it: `route`, `consumer`, `subscriber`, `cron` or `hook`. */
export function kindOf(d: Definition): Definition[typeof FUNCTION_KIND] {
  return d[FUNCTION_KIND];
}
