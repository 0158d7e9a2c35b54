// Every change a superuser makes (collection and rule changes, queue and cache operations, record
// edits on any route) goes to the audit log once its answer is known; reads (GET, or a route marked
// `readOnly`, such as a gRPC Get) are not changes.
import type { FastifyInstance } from 'fastify';
import { SUPERUSERS, type Logger } from '../../core/index.js';
import type { AuditLog } from '../../ops/index.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Whether a route only reads whatever its method: `config: { readOnly: true }` (gRPC Get/List/Watch, health, reflection are POSTs). */
const readOnly = (config: unknown) => (config as { readOnly?: unknown } | undefined)?.readOnly === true;

/**
 * Adds the root-level hook that audits superusers' non-read requests.
 *
 * @example
 * superuserAudit(app, () => auth.services.audit, log);
 */
export function superuserAudit(app: FastifyInstance, audit: () => AuditLog, log: Logger): void {
  app.addHook('onResponse', (request, reply, done) => {
    const a = request.auth;
    if (!a || a.collection !== SUPERUSERS || READS.has(request.method) || readOnly(request.routeOptions.config)) return done();
    const path = request.url.split('?')[0].slice(0, 512);
    audit()
      .record({
        action: path.startsWith('/api/admin/collections') ? 'collections.change' : 'superuser.request',
        actor: { id: a.userId, collection: SUPERUSERS },
        target: path,
        ip: request.ip,
        outcome: reply.statusCode < 400 ? 'success' : 'failure',
        details: { method: request.method, status: reply.statusCode },
      })
      .catch((err: unknown) => log.error({ err }, 'audit write failed'));
    done();
  });
}
