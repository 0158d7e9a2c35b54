// POST .../auth/logout (this session or refresh token) and POST .../auth/logout-all (every session and refresh family).
import type { FastifyInstance } from 'fastify';
import { subjectOf } from '../../auth/index.js';
import { AUTH_BASE, type AuthFlow } from './auth-flow.js';

export function logoutRoutes(app: FastifyInstance, f: AuthFlow): void {
  const { deps, services, authCollection, securityCaller } = f;
  app.post(`${AUTH_BASE}/logout`, async (req, reply) => {
    authCollection(req);
    const a = req.auth;
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    if (typeof body.refreshToken === 'string') await services.refreshTokens.revoke(body.refreshToken).catch(() => undefined);
    if (a?.kind === 'session') {
      await services.sessions.destroy(a.sessionId);
      reply.header('set-cookie', services.sessionCookie(req.protocol === 'https').clear());
    }
    return reply.code(204).send();
  });

  app.post(`${AUTH_BASE}/logout-all`, async (req, reply) => {
    const c = authCollection(req);
    const p = await securityCaller(req, c, { allowEnroll: true });
    // Sessions, refresh families, API keys, and (through the mark) every access token issued before now.
    await services.accountRevocation.revokeAll(subjectOf(c.name, p.id));
    if (req.auth?.kind === 'session') reply.header('set-cookie', services.sessionCookie(req.protocol === 'https').clear());
    await deps.audit?.(req, 'auth.logout.all', { collection: c.name, subject: p.id, outcome: 'success' });
    return reply.code(204).send();
  });
}
