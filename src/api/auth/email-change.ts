// Email change: POST .../auth/request-email-change (the account itself, with its current password or a recent
// login; a link goes to the NEW address) and POST .../auth/confirm-email-change (the link's token applies the
// change and a notice goes to the OLD address). Nothing changes until the new address proves it is reachable.
import type { FastifyInstance } from 'fastify';
import { ValidationError } from '../../core/index.js';
import { emailChangedMessage, emailChangeMessage, InvalidTokenError, parseSubject, subjectOf, tokenLink } from '../../auth/index.js';
import { AUTH_BASE, bodyObject, str, type AuthFlow } from './auth-flow.js';

/** Seconds an email-change link stays valid. */
export const EMAIL_CHANGE_TTL = 3600;
const EMAIL_RE = /^[^\s@]{1,64}@[^\s@]{1,253}$/;

export function emailChangeRoutes(app: FastifyInstance, f: AuthFlow): void {
  const { deps, services, authCollection, publicRecord, securityCaller } = f;
  app.post(`${AUTH_BASE}/request-email-change`, async (req, reply) => {
    const c = authCollection(req);
    // Who asks comes first: an anonymous caller or an API key is refused before the body is judged.
    await securityCaller(req, c, { currentPasswordOk: true });
    const body = bodyObject(req);
    const newEmail = str(body, 'newEmail', 254).trim().toLowerCase();
    if (!EMAIL_RE.test(newEmail)) throw new ValidationError('newEmail is not an email address.', [{ field: 'newEmail', message: 'must be an email address' }]);
    // The current password stands in for a recent login; a wrong one is refused outright.
    let currentPasswordOk = false;
    if (body.password !== undefined) {
      const p0 = await securityCaller(req, c, { currentPasswordOk: true });
      const creds = await deps.accounts().credentials(c.name, p0.id);
      const ok = typeof body.password === 'string' && creds?.passwordHash ? await services.hasher.verify(creds.passwordHash, body.password) : false;
      if (!ok) throw new ValidationError('The current password is wrong.', [{ field: 'password', message: 'does not match the current password' }]);
      currentPasswordOk = true;
    }
    const p = await securityCaller(req, c, { currentPasswordOk });
    const rec = await publicRecord(c, p.id);
    const oldEmail = String(rec.email);
    const e = deps.email;
    if (!e?.linkBase) throw new ValidationError('Email changes need auth.email.linkBase to be set.', [{ field: 'newEmail', message: 'no link base configured' }]);
    if (newEmail !== oldEmail) {
      const token = await services.oneTimeTokens.issue('email-change', `${subjectOf(c.name, p.id)}|${oldEmail}|${newEmail}`, EMAIL_CHANGE_TTL);
      const link = tokenLink(e.linkBase, e.emailChangePath ?? '/auth/confirm-email-change', token);
      await services.mailer.enqueue(emailChangeMessage({ to: newEmail, appName: e.appName, link, ttlMinutes: EMAIL_CHANGE_TTL / 60 }));
      await deps.audit?.(req, 'auth.email.change.request', { collection: c.name, subject: p.id, outcome: 'success' });
    }
    // Whether the new address is taken is not told here (it would be an enumeration oracle); the link fails then.
    return reply.code(204).send();
  });

  app.post(`${AUTH_BASE}/confirm-email-change`, async (req, reply) => {
    const c = authCollection(req);
    const subject = await services.oneTimeTokens.consume('email-change', str(bodyObject(req), 'token', 128));
    const [who, oldEmail, newEmail] = subject.split('|');
    const { collection, id } = parseSubject(who);
    if (collection !== c.name || !oldEmail || !newEmail) throw new InvalidTokenError();
    // The link applies only to the address it was asked from, not to one the account changed to since.
    const rec = await publicRecord(c, id).catch(() => undefined);
    if (!rec || rec.email !== oldEmail) throw new InvalidTokenError();
    const e = deps.email!;
    await deps.records().update(c.name, id, { email: newEmail, verified: true }, {
      inTx: (tx) => services.mailer.enqueue(emailChangedMessage({ to: oldEmail, appName: e.appName, newEmail }), tx),
    });
    await deps.audit?.(req, 'auth.email.change', { collection: c.name, subject: id, outcome: 'success' });
    return reply.code(204).send();
  });
}
