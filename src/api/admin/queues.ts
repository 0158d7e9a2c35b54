// Superuser REST API for queues under /api/admin/queues (a Fastify plugin): counts, peek,
// enqueue, pause/resume, retry/purge dead letters. Errors are RFC 9457 problems.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { NotFoundError } from '../../core/index.js';
import type { QueueBackend } from '../../messaging/index.js';

export interface QueueRoutesDeps {
  /** The queue backend (a getter, so the plugin can be registered before the backend starts). */
  queue: () => QueueBackend;
  /** Throw UnauthorizedError/ForbiddenError unless the caller is a superuser; runs before every route. */
  authorize: (request: FastifyRequest) => void | Promise<void>;
  /** Mount point (default `/api/admin/queues`). */
  prefix?: string;
}

const Name = Type.Object({ name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$' }) });
const PeekQuery = Type.Object(
  {
    state: Type.Union([Type.Literal('waiting'), Type.Literal('delayed'), Type.Literal('active'), Type.Literal('dead')], { default: 'waiting' }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 20 }),
  },
  { additionalProperties: false },
);
const EnqueueBody = Type.Object(
  {
    payload: Type.Unknown(),
    delay: Type.Optional(Type.Integer({ minimum: 0 })),
    runAt: Type.Optional(Type.String({ format: 'date-time' })),
    priority: Type.Optional(Type.Integer({ minimum: -100, maximum: 100 })),
    maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
const Ids = Type.Object({ ids: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 10_000 })) }, { additionalProperties: false });

/**
 * @example
 * app.register(queueRoutes({ queue: () => messaging.queue, authorize: requireSuperuser }));
 */
export function queueRoutes(deps: QueueRoutesDeps): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      await deps.authorize(request);
    });
    const base = deps.prefix ?? '/api/admin/queues';
    const known = async (name: string) => {
      if (!(await deps.queue().queues()).includes(name)) throw new NotFoundError(`No queue named ${name}.`);
    };

    app.get(base, async () => {
      const q = deps.queue();
      const names = await q.queues();
      return { backend: q.kind, items: await Promise.all(names.map(async (name) => ({ name, ...(await q.counts(name)) }))) };
    });

    app.get<{ Params: Static<typeof Name> }>(`${base}/:name`, { schema: { params: Name } }, async (req) => {
      await known(req.params.name);
      return { name: req.params.name, ...(await deps.queue().counts(req.params.name)) };
    });

    app.get<{ Params: Static<typeof Name>; Querystring: Static<typeof PeekQuery> }>(`${base}/:name/jobs`, { schema: { params: Name, querystring: PeekQuery } }, async (req) => {
      await known(req.params.name);
      return { items: await deps.queue().peek(req.params.name, req.query.state, req.query.limit) };
    });

    app.post<{ Params: Static<typeof Name>; Body: Static<typeof EnqueueBody> }>(`${base}/:name/jobs`, { schema: { params: Name, body: EnqueueBody } }, async (req, reply) => {
      const { payload, runAt, ...rest } = req.body;
      const res = await deps.queue().enqueue(req.params.name, payload, { ...rest, ...(runAt ? { runAt: new Date(runAt) } : {}) });
      return reply.status(res.duplicate ? 200 : 201).send(res);
    });

    // Pausing (or resuming) a queue that never had a job is allowed: jobs enqueued later wait.
    app.post<{ Params: Static<typeof Name> }>(`${base}/:name/pause`, { schema: { params: Name } }, async (req, reply) => {
      await deps.queue().pause(req.params.name);
      return reply.status(204).send();
    });

    app.post<{ Params: Static<typeof Name> }>(`${base}/:name/resume`, { schema: { params: Name } }, async (req, reply) => {
      await deps.queue().resume(req.params.name);
      return reply.status(204).send();
    });

    app.post<{ Params: Static<typeof Name>; Body: Static<typeof Ids> }>(`${base}/:name/dead/retry`, { schema: { params: Name, body: Ids } }, async (req) => {
      await known(req.params.name);
      return { retried: await deps.queue().retryDead(req.params.name, req.body?.ids) };
    });

    app.post<{ Params: Static<typeof Name>; Body: Static<typeof Ids> }>(`${base}/:name/dead/purge`, { schema: { params: Name, body: Ids } }, async (req) => {
      await known(req.params.name);
      return { purged: await deps.queue().purgeDead(req.params.name, req.body?.ids) };
    });
  };
}
