// POST .../auth/api-keys: a signed-in account makes a scoped API key (shown once; stored hashed).
import type { FastifyInstance } from 'fastify';
import { ForbiddenError, ValidationError } from '../../core/index.js';
import { subjectOf } from '../../auth/index.js';
import { AUTH_BASE, bodyObject, caller, str, type AuthFlow } from './auth-flow.js';

export function apiKeyRoutes(app: FastifyInstance, f: AuthFlow): void {
  const { deps, services, authCollection } = f;
  app.post(`${AUTH_BASE}/api-keys`, async (req, reply) => {
    const c = authCollection(req);
    const p = caller(req, c.name);
    if (req.auth?.kind === 'apiKey') throw new ForbiddenError('API keys cannot create API keys.');
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
}
