// The context handed to every function: the records service behind the caller's access rules,
// the Kysely instance, cache, queue, bus, the principal, a child logger and an abort signal.
import type { FastifyBaseLogger as Logger } from 'fastify';
import type { AccessControl, Principal } from '../core/index.js';
import type { Cache } from '../cache/index.js';
import type { Bus, QueueBackend } from '../messaging/index.js';
import type { Db, ListQuery, RecordsService } from '../data/index.js';
import type { FunctionContext, ScopedRecords } from './function-define.js';

/** Services resolved when used: they exist only once the server has started. */
export interface ContextServices {
  records(): RecordsService;
  db(): Db;
  cache(): Cache;
  queue(): QueueBackend;
  bus(): Bus;
  access: AccessControl;
}

/**
 * The records service with `access.where(principal, collection, action)` on every call.
 *
 * @example
 * const mine = scopedRecords(data.records, access, principalOf(request.auth));
 * await mine.list('tasks', { sort: '-created' }); // only what the caller may list
 */
export function scopedRecords(records: RecordsService, access: AccessControl, principal: Principal | null): ScopedRecords {
  const expandWhere = (c: string) => access.where(principal, c, 'view');
  return {
    list: (c, q: ListQuery = {}, opts = {}) => records.list(c, q, { ...opts, where: access.where(principal, c, 'list', { query: q as Record<string, unknown> }), expandWhere }),
    get: (c, id, opts = {}) => records.get(c, id, { ...opts, where: access.where(principal, c, 'view'), expandWhere }),
    create: (c, body, opts = {}) => records.create(c, body, { ...opts, where: access.where(principal, c, 'create', { body }), expandWhere }),
    update: (c, id, body, opts = {}) => records.update(c, id, body, { ...opts, where: access.where(principal, c, 'update', { body }), expandWhere }),
    delete: (c, id, opts = {}) => records.delete(c, id, { ...opts, where: access.where(principal, c, 'delete') }),
    aggregate: (c, q, opts = {}) => records.aggregate(c, q, { ...opts, where: access.where(principal, c, 'list') }),
    asSuperuser: () => records,
  };
}

/** A FunctionContext whose services are looked up on first use. */
export function functionContext(services: ContextServices, principal: Principal | null, log: Logger, signal: AbortSignal): FunctionContext {
  let records: ScopedRecords | undefined;
  return {
    get records() {
      return (records ??= scopedRecords(services.records(), services.access, principal));
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
