// The context handed to every function: records through the records access layer as the caller,
// the Kysely instance, cache, queue, bus, the principal, a child logger and an abort signal.
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { Principal } from '../core/index.js';
import type { Cache } from '../cache/index.js';
import type { Bus, QueueBackend } from '../messaging/index.js';
import type { Db, ListQuery, RecordAccess, RecordsService } from '../data/index.js';
import type { FunctionContext, ScopedFiles, ScopedRecords } from './function-define.js';

/** Services resolved when used: they exist only once the server has started. */
export interface ContextServices {
  records(): RecordsService;
  db(): Db;
  cache(): Cache;
  queue(): QueueBackend;
  bus(): Bus;
  /** The records access layer (one per server: it reads the live records service per call). */
  access(): RecordAccess;
  /** Records' files for a caller (api/files' record file service); absent where no file storage runs. */
  files?(): { forPrincipal(p: Principal | null): ScopedFiles };
}

/** `ctx.files`: the record file service as `principal`. */
export function scopedFiles(services: ContextServices, principal: Principal | null): ScopedFiles {
  if (!services.files) throw new Error('ctx.files: no file storage in this server');
  return services.files().forPrincipal(principal);
}

/**
 * Records as `principal` sees them: every call goes through the records access layer (rules, expand,
 * relation filters), like REST.
 *
 * @example
 * const mine = scopedRecords(data.records, recordAccess, principalOf(request.auth));
 * await mine.list('tasks', { sort: '-created' }); // only what the caller may list
 */
export function scopedRecords(records: RecordsService, access: RecordAccess, principal: Principal | null): ScopedRecords {
  return {
    list: (c, q: ListQuery = {}) => access.list(principal, c, q),
    get: (c, id, opts = {}) => access.get(principal, c, id, opts),
    create: (c, body, opts = {}) => access.create(principal, c, body, opts),
    update: (c, id, body, opts = {}) => access.update(principal, c, id, body, opts),
    delete: (c, id, opts = {}) => access.delete(principal, c, id, opts),
    aggregate: (c, q) => access.aggregate(principal, c, q),
    asSuperuser: () => records,
  };
}

/** A FunctionContext whose services are looked up on first use. */
export function functionContext(services: ContextServices, principal: Principal | null, log: Logger, signal: AbortSignal): FunctionContext {
  let records: ScopedRecords | undefined;
  let files: ScopedFiles | undefined;
  return {
    get records() {
      return (records ??= scopedRecords(services.records(), services.access(), principal));
    },
    get files() {
      return (files ??= scopedFiles(services, principal));
    },
    get db() {
      return services.db();
    },
    get cache() {
      return services.cache();
    },
    get queue() {
      return services.queue();
    },
    get bus() {
      return services.bus();
    },
    auth: principal,
    log,
    signal,
  };
}
