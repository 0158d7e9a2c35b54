// POST .../auth/refresh: a refresh token for a new access token and the next refresh token (rotation, reuse detection).
import type { FastifyInstance } from 'fastify';
import type { RecordData } from '../../data/index.js';
import { InvalidTokenError, parseSubject } from '../../auth/index.js';
import { AUTH_BASE, bodyObject, str, type AuthFlow } from './auth-flow.js';

export function tokenRefreshRoutes(app: FastifyInstance, f: AuthFlow): void {
  const { services, authCollection, publicRecord } = f;
  app.post(`${AUTH_BASE}/refresh`, async (req) => {
    const c = authCollection(req);
    const body = bodyObject(req);
    const next = await services.refreshTokens.rotate(str(body, 'refreshToken', 256));
    const { collection, id } = parseSubject(next.userId);
    if (collection !== c.name) throw new InvalidTokenError();
    let record: RecordData;
    try {
      record = await publicRecord(c, id);
    } catch {
      await services.refreshTokens.revoke(next.token);
      throw new InvalidTokenError();
    }
    const access = await services.accessTokens.issue({ sub: id, col: c.name });
    return { token: access.token, expiresAt: access.expiresAt, refreshToken: next.token, record };
  });
}
