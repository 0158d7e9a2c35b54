// Superuser REST API for webhook subscriptions under /api/admin/webhooks (a Fastify plugin):
// list, create (the secret is shown once), update, delete, and the delivery log.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../core/index.js';
import { assertPattern, targetChecker, type TargetPolicy, type WebhookStore } from '../../messaging/index.js';

export interface WebhookRoutesDeps {
  store: WebhookStore;
  authorize: (request: FastifyRequest) => void | Promise<void>;
  policy?: TargetPolicy;
  prefix?: string;
}

const Id = Type.Object({ id: Type.String({ pattern: '^wh_[0-9a-f]{32}$' }) });
const Create = Type.Object({ topics: Type.String({ minLength: 1, maxLength: 255 }), url: Type.String({ minLength: 1, maxLength: 2048 }), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const Patch = Type.Object({ topics: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })), url: Type.Optional(Type.String({ minLength: 1, maxLength: 2048 })), enabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
const Limit = Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 1000, default: 50 }) });

export function webhookRoutes(deps: WebhookRoutesDeps): FastifyPluginAsync {
  const target = targetChecker(deps.policy);
  const base = deps.prefix ?? '/api/admin/webhooks';
  const hide = <T extends { secret: string }>(s: T) => ({ ...s, secret: undefined });
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (req) => {
      await deps.authorize(req);
    });
    const check = (b: { topics?: string; url?: string }) => {
      if (b.topics !== undefined) assertPattern(b.topics);
      if (b.url !== undefined) target.checkUrl(b.url);
    };

    app.get(base, async () => ({ items: (await deps.store.list()).map(hide) }));
    app.post<{ Body: Static<typeof Create> }>(base, { schema: { body: Create }, config: { waf: { urlFields: ['url'] } } }, async (req, reply) => {
      check(req.body);
      return reply.status(201).send(await deps.store.create(req.body)); // the only answer that carries the secret
    });
    app.patch<{ Params: Static<typeof Id>; Body: Static<typeof Patch> }>(`${base}/:id`, { schema: { params: Id, body: Patch }, config: { waf: { urlFields: ['url'] } } }, async (req) => {
      check(req.body);
      return hide(await deps.store.update(req.params.id, req.body));
    });
    app.delete<{ Params: Static<typeof Id> }>(`${base}/:id`, { schema: { params: Id } }, async (req, reply) => {
      if (!(await deps.store.remove(req.params.id))) throw new NotFoundError(`No webhook ${req.params.id}.`);
      return reply.status(204).send();
    });
    app.get<{ Params: Static<typeof Id>; Querystring: Static<typeof Limit> }>(`${base}/:id/deliveries`, { schema: { params: Id, querystring: Limit } }, async (req) => {
      if (!(await deps.store.get(req.params.id))) throw new NotFoundError(`No webhook ${req.params.id}.`);
      return { items: await deps.store.deliveries(req.params.id, req.query.limit) };
    });
  };
}
