// Superuser API over the audit log: GET /api/admin/audit (a Fastify plugin). Bad parameters are
// RFC 9457 problems through the edge's error mapping.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ValidationError } from '../../core/index.js';
import type { AuditLog } from '../../ops/index.js';

const AuditQuerySchema = Type.Object(
  {
    action: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9_-]*(\\.[a-z0-9_*-]+){0,7}$', maxLength: 100 })),
    actor: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    until: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

/**
 * @example
 * app.register(auditRoutes(requireSuperuser, () => auth.services.audit));
 */
export function auditRoutes(authorize: (request: FastifyRequest) => void | Promise<void>, audit: () => AuditLog, prefix = '/api/admin/audit'): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: Static<typeof AuditQuerySchema> }>(
      prefix,
      { schema: { querystring: AuditQuerySchema }, onRequest: async (request) => authorize(request) },
      async (req) => {
        // Fastify drops unknown properties; refuse them instead, so a typo (`acton=`) is not a silent "everything".
        const given = new URLSearchParams((req.raw.url ?? '').split('?')[1] ?? '');
        const unknown = [...new Set(given.keys())].filter((k) => !(k in AuditQuerySchema.properties)).map((k) => k.slice(0, 50)).slice(0, 10);
        if (unknown.length) throw new ValidationError(`Unknown query parameter ${unknown.map((k) => JSON.stringify(k)).join(', ')}.`, unknown.map((field) => ({ field, message: 'unknown' })));
        const q = req.query;
        const since = q.since === undefined ? undefined : Date.parse(q.since);
        const until = q.until === undefined ? undefined : Date.parse(q.until);
        if (since !== undefined && until !== undefined && since > until) {
          throw new ValidationError('`since` must not be after `until`.', [{ field: 'since', message: 'after until' }]);
        }
        const page = await audit().query({ action: q.action, actor: q.actor, since, until, limit: q.limit, cursor: q.cursor });
        return {
          items: page.items.map((r) => ({ ...r, at: new Date(r.at).toISOString() })),
          nextCursor: page.nextCursor,
        };
      },
    );
  };
}
