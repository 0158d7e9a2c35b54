// Superuser REST API for collections under /api/admin/collections (a Fastify plugin): list, read, create, change,
// drop and dry-run plan. Bodies are `collections:` entries of strata.yaml; errors are RFC 9457 problems.
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ValidationError } from '../../core/index.js';
import type { ChangeResult, CollectionAdmin, CollectionChange } from '../../data/index.js';

export interface AdminCollectionsRoutesDeps {
  /** The data layer's collection admin (a getter: it exists once the data layer has started). */
  admin: () => CollectionAdmin;
  /** Throw UnauthorizedError/ForbiddenError unless the caller is a superuser; runs before every route. */
  authorize: (request: FastifyRequest) => void | Promise<void>;
  /** Largest request body in bytes (default 256 KiB). */
  bodyLimit?: number;
}

/** `?allowDestructive=true` (exactly) opts one request into drops and narrowing changes. */
function allowDestructive(req: FastifyRequest): boolean {
  const v = (req.query as Record<string, unknown>).allowDestructive;
  if (v === undefined || v === 'false') return false;
  if (v === 'true') return true;
  throw new ValidationError('allowDestructive must be true or false.', [{ field: 'allowDestructive', message: 'must be true or false' }]);
}

const outcome = (r: ChangeResult) => ({ ...(r.entry ? { collection: r.entry } : {}), plan: r.plan, destructive: r.destructive, applied: r.applied, version: r.version });

/**
 * @example
 * app.register(adminCollectionsRoutes({ admin: () => data.admin, authorize: requireSuperuser }));
 */
export function adminCollectionsRoutes(deps: AdminCollectionsRoutesDeps): FastifyPluginAsync {
  const base = '/api/admin/collections';
  const bodyLimit = deps.bodyLimit ?? 256 * 1024;
  return async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request) => {
      await deps.authorize(request);
    });
    const name = (req: FastifyRequest) => (req.params as { name: string }).name;

    app.get(base, async () => ({ items: deps.admin().list() }));

    app.get(`${base}/:name`, async (req) => deps.admin().get(name(req)));

    app.post(base, { bodyLimit }, async (req, reply) => {
      const r = await deps.admin().change({ action: 'create', definition: req.body }, { allowDestructive: allowDestructive(req) });
      return reply.status(201).header('location', `${base}/${r.entry!.name}`).send(outcome(r));
    });

    app.patch(`${base}/:name`, { bodyLimit }, async (req) => outcome(await deps.admin().change({ action: 'update', name: name(req), definition: req.body }, { allowDestructive: allowDestructive(req) })));

    app.delete(`${base}/:name`, async (req) => outcome(await deps.admin().change({ action: 'delete', name: name(req) }, { allowDestructive: allowDestructive(req) })));

    // Dry run: `{ "create": entry }`, `{ "update": "<name>", "changes": {...} }` or `{ "delete": "<name>" }`.
    app.post(`${base}/plan`, { bodyLimit }, async (req) => {
      const b = req.body as Record<string, unknown> | null;
      let change: CollectionChange;
      if (b && typeof b === 'object' && 'create' in b && Object.keys(b).length === 1) change = { action: 'create', definition: b.create };
      else if (b && typeof b === 'object' && typeof b.update === 'string' && Object.keys(b).every((k) => k === 'update' || k === 'changes')) change = { action: 'update', name: b.update, definition: b.changes ?? {} };
      else if (b && typeof b === 'object' && typeof b.delete === 'string' && Object.keys(b).length === 1) change = { action: 'delete', name: b.delete };
      else throw new ValidationError('A plan request is { "create": entry }, { "update": name, "changes": {...} } or { "delete": name }.', [{ field: 'body', message: 'unknown plan request' }]);
      const r = await deps.admin().plan(change);
      return { plan: r.plan, destructive: r.destructive };
    });
  };
}
