// GET .../auth/me (the signed-in record, its MFA state and how it authenticated) and GET .../auth/csrf (a session's form token).
import type { FastifyInstance } from 'fastify';
import { UnauthorizedError } from '../../core/index.js';
import { AUTH_BASE, caller, type AuthFlow } from './auth-flow.js';

export function meRoutes(app: FastifyInstance, f: AuthFlow): void {
  const { deps, services, authCollection, publicRecord } = f;
  app.get(`${AUTH_BASE}/me`, async (req) => {
    const c = authCollection(req);
    const p = caller(req, c.name);
    const creds = await deps.accounts().credentials(c.name, p.id);
    return { record: await publicRecord(c, p.id), mfa: creds?.mfa ?? false, auth: req.auth!.kind };
  });

  app.get(`${AUTH_BASE}/csrf`, async (req) => {
    authCollection(req);
    const a = req.auth;
    if (a?.kind !== 'session') throw new UnauthorizedError('No session.');
    return { csrfToken: services.csrf.issue(a.sessionId) };
  });
}
