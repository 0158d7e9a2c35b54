// API keys of the signed-in account: POST .../auth/api-keys (make one, shown once; stored hashed), GET
// .../auth/api-keys (list, no secrets) and DELETE .../auth/api-keys/:id (revoke). Account-security routes:
// a session or access token of the account with a recent login, never an API key.
import type { FastifyInstance } from 'fastify';
import { NotFoundError, ValidationError } from '../../core/index.js';
import { subjectOf } from '../../auth/index.js';
import { AUTH_BASE, bodyObject, str, type AuthFlow } from './auth-flow.js';

export function apiKeyRoutes(app: FastifyInstance, f: AuthFlow): void {
  const { deps, services, authCollection, securityCaller } = f;
  app.post(`${AUTH_BASE}/api-keys`, async (req, reply) => {
    const c = authCollection(req);
    const p = await securityCaller(req, c);
    const body = bodyObject(req);
    const name = str(body, 'name', 100);
    const scopes = body.scopes === undefined ? [] : body.scopes;
    if (!Array.isArray(scopes) || scopes.length > 32 || !scopes.every((s) => typeof s === 'string' && /^(\*|[a-z][a-z0-9_.:*-]{0,63})$/.test(s))) {
      throw new ValidationError('scopes must be a list of scope names.', [{ field: 'scopes', message: 'like records:read, records:posts:write' }]);
    }
    const ttl = body.ttlSeconds;
    if (ttl !== undefined && (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 60 || ttl > 5 * 365 * 86400)) {
      throw new ValidationError('ttlSeconds must be an integer from 60 to 5 years.', [{ field: 'ttlSeconds', message: 'out of range' }]);
    }
    const made = await services.apiKeys.create({ userId: subjectOf(c.name, p.id), name, scopes: scopes as string[], ttlSeconds: ttl as number | undefined });
    await deps.audit?.(req, 'auth.apikey.create', { collection: c.name, subject: p.id, outcome: 'success', details: { keyId: made.record.id } });
    const { userId: _u, ...record } = made.record;
    return reply.code(201).send({ key: made.key, ...record });
  });

  app.get(`${AUTH_BASE}/api-keys`, async (req) => {
    const c = authCollection(req);
    const p = await securityCaller(req, c);
    const items = (await services.apiKeys.list(subjectOf(c.name, p.id))).map(({ userId: _u, ...r }) => r);
    return { items };
  });

  app.delete(`${AUTH_BASE}/api-keys/:id`, async (req, reply) => {
    const c = authCollection(req);
    const p = await securityCaller(req, c);
    const id = (req.params as { id: string }).id;
    // Someone else's key answers like a missing one: ids are not a way to probe other accounts.
    if (!(await services.apiKeys.revokeOwned(subjectOf(c.name, p.id), id))) throw new NotFoundError('No such API key.');
    await deps.audit?.(req, 'auth.apikey.revoke', { collection: c.name, subject: p.id, outcome: 'success', details: { keyId: id } });
    return reply.code(204).send();
  });
}
