// Password reset: POST .../auth/request-password-reset (204 whatever the address, mail sent afterwards) and
// POST .../auth/confirm-password-reset (the emailed token sets a new password and ends every session).
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../core/index.js';
import { InvalidTokenError, parseSubject, passwordResetMessage, subjectOf, tokenLink } from '../../auth/index.js';
import { AUTH_BASE, bodyObject, str, type AuthFlow } from './auth-flow.js';
/** Seconds a password-reset link stays valid. */
export const RESET_TTL = 3600;

export function passwordResetRoutes(app: FastifyInstance, f: AuthFlow): void {
  const { deps, services, authCollection, publicRecord, later } = f;
  app.post(`${AUTH_BASE}/request-password-reset`, async (req, reply) => {
    const c = authCollection(req);
    const email = str(bodyObject(req), 'email', 254).trim().toLowerCase();
    // Read now: once the answer is sent the socket may be gone, and with it the address.
    const ip = req.ip;
    later(req, 'password reset email', async () => {
      const a = await deps.accounts().findByEmail(c.name, email);
      const e = deps.email;
      if (!a) return;
      if (!e?.linkBase) return deps.log?.warn({ collection: c.name }, 'auth.email.linkBase is not set: no password reset email sent');
      const token = await services.oneTimeTokens.issue('reset', subjectOf(c.name, a.id), RESET_TTL);
      await services.mailer.enqueue(passwordResetMessage({ to: a.email, appName: e.appName, link: tokenLink(e.linkBase, e.resetPath, token), ttlMinutes: RESET_TTL / 60 }));
      await deps.audit?.(req, 'auth.password.reset.request', { collection: c.name, subject: a.id, outcome: 'success', ip });
    });
    return reply.code(204).send();
  });

  app.post(`${AUTH_BASE}/confirm-password-reset`, async (req, reply) => {
    const c = authCollection(req);
    const body = bodyObject(req);
    const password = str(body, 'password', 4096);
    if (body.passwordConfirm !== undefined && body.passwordConfirm !== password) throw new ValidationError('The passwords differ.', [{ field: 'passwordConfirm', message: 'does not match password' }]);
    const token = str(body, 'token', 128);
    // The policy first, so a weak password does not burn the link.
    services.policy.assert(password, [], 'password');
    const { collection, id } = parseSubject(await services.oneTimeTokens.consume('reset', token));
    if (collection !== c.name) throw new InvalidTokenError();
    const rec = await publicRecord(c, id).catch(() => undefined);
    if (!rec) throw new InvalidTokenError();
    services.policy.assert(password, [String(rec.email)], 'password');
    await deps.accounts().setPassword(c.name, id, await services.hasher.hash(password));
    await services.accountRevocation.revokeAll(subjectOf(c.name, id));
    await deps.audit?.(req, 'auth.password.reset', { collection: c.name, subject: id, outcome: 'success' });
    return reply.code(204).send();
  });
}
