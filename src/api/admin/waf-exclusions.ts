// Superuser API over the WAF's runtime exclusions (/api/admin/waf/exclusions): list them (with the
// read-only `waf.exclusions` of strata.yaml beside them), add one (it applies to the next request on
// this instance, and on others sharing the database within their refresh interval), remove one.
// Every change is audited (`waf.exclusion.add`, `waf.exclusion.remove`).
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { NotFoundError, ValidationError } from '../../core/index.js';
import type { AuditLog } from '../../ops/index.js';
import { checkExclusion, type RuntimeExclusion, type WafExclusion } from '../../waf/index.js';
import type { AdminGuard } from './guard.js';

/** What the routes need of the runtime exclusions (the composition root's sync: database + the WAF's live list). */
export interface RuntimeExclusionSource {
  list(): readonly RuntimeExclusion[];
  add(e: Omit<RuntimeExclusion, 'id' | 'createdAt'>): Promise<RuntimeExclusion>;
  /** The removed entry, or undefined when none had this id. */
  remove(id: string): Promise<RuntimeExclusion | undefined>;
}

export interface WafExclusionsRoutesDeps {
  authorize: AdminGuard;
  runtime: RuntimeExclusionSource;
  /** `waf.exclusions` of the config (shown, not editable here). */
  configured: readonly WafExclusion[];
  audit?: () => AuditLog;
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const Add = Type.Object(
  {
    rules: Type.Array(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$' }), { minItems: 1, maxItems: 20, description: 'Rule ids to skip (CRS ids such as 942100, or strata-… / legacy names).' }),
    route: Type.Optional(Type.String({ minLength: 1, maxLength: 512, pattern: '^/' })),
    methods: Type.Optional(Type.Array(Type.String({ enum: METHODS }), { maxItems: METHODS.length })),
    parameter: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    collection: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z_][A-Za-z0-9_]*$' })),
    field: Type.Optional(Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z_][A-Za-z0-9_.]*$' })),
    note: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
const Id = Type.Object({ id: Type.String({ pattern: '^wx_[0-9a-f]{24}$' }) });

/**
 * @example
 * app.register(wafExclusionsRoutes({ authorize: requireSuperuser, runtime, configured: config.waf.exclusions }), { prefix: '/api/admin/waf/exclusions' });
 */
export function wafExclusionsRoutes(deps: WafExclusionsRoutesDeps): FastifyPluginAsync {
  const audit = (request: FastifyRequest, action: string, e: RuntimeExclusion) => {
    const a = request.auth;
    return deps.audit?.().record({
      action,
      actor: a ? { id: a.userId, collection: a.collection ?? '_superusers' } : null,
      target: `waf/exclusions/${e.id}`,
      ip: request.ip,
      details: { rules: e.rules, route: e.route, methods: e.methods, parameter: e.parameter, collection: e.collection, field: e.field },
    });
  };
  return async (app) => {
    app.addHook('onRequest', async (request) => deps.authorize(request));
    app.get('/', async () => ({ items: deps.runtime.list(), configured: deps.configured }));
    // Fastify's validator drops unknown keys; refuse them instead, so a typo (`rule:`) is not a silent wider exclusion.
    const refuseUnknown = async (request: FastifyRequest) => {
      const b = request.body;
      if (b === null || typeof b !== 'object' || Array.isArray(b)) return;
      const unknown = Object.keys(b).filter((k) => !(k in Add.properties)).map((k) => k.slice(0, 50)).slice(0, 10);
      if (unknown.length) throw new ValidationError(`Unknown key ${unknown.map((k) => JSON.stringify(k)).join(', ')}.`, unknown.map((k) => ({ field: `body.${k}`, message: 'unknown' })));
    };
    app.post<{ Body: Static<typeof Add> }>('/', { schema: { body: Add }, preValidation: refuseUnknown }, async (request, reply) => {
      const b = request.body;
      // one click must never switch a rule off everywhere: an exclusion names where it applies
      if (!b.route && !b.collection) {
        throw new ValidationError('Name a `route` or a `collection`: a runtime exclusion applies to one place, not to every request.', [{ field: 'body.route', message: 'route or collection is required' }]);
      }
      const entry = { rules: b.rules, route: b.route, methods: b.methods, parameter: b.parameter, collection: b.collection, field: b.field, note: b.note, createdBy: request.auth?.userId };
      try {
        checkExclusion(entry);
      } catch (err) {
        const field = /field/.test(String(err)) ? 'body.field' : 'body.parameter';
        throw new ValidationError(String((err as Error).message).replace(/^waf exclusion /, ''), [{ field, message: 'invalid' }]);
      }
      const saved = await deps.runtime.add(entry);
      await audit(request, 'waf.exclusion.add', saved);
      return reply.status(201).send(saved);
    });
    app.delete<{ Params: Static<typeof Id> }>('/:id', { schema: { params: Id } }, async (request, reply) => {
      const gone = await deps.runtime.remove(request.params.id);
      if (!gone) throw new NotFoundError(`No runtime WAF exclusion ${request.params.id}.`);
      await audit(request, 'waf.exclusion.remove', gone);
      return reply.status(204).send();
    });
  };
}
