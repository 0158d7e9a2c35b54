// The one check of the superuser admin API: 401 when nobody signed in, 403 when someone who is
// not a superuser did. Every route under /api/admin (and its legacy aliases) runs it first.
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../../core/index.js';
import { hasScope, principalOf } from '../../auth/index.js';

/** Throws UnauthorizedError/ForbiddenError unless the request may use the admin API. */
export type AdminGuard = (request: FastifyRequest) => void | Promise<void>;

/** The admin guard on `request.auth` (set by the auth hook before any route). */
export const requireSuperuser: AdminGuard = (request) => {
  const p = principalOf(request.auth);
  if (!p) throw new UnauthorizedError('This API is for superusers; sign in as one.');
  if (!p.superuser) throw new ForbiddenError('This API is for superusers.');
  // A superuser's API key reaches the admin API only with the `admin` scope (or `*`).
  if (!hasScope(p.scopes, 'admin')) throw new ForbiddenError("The credential's scopes do not allow the admin API.");
};
