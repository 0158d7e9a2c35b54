// Email verification: POST .../auth/request-verification (204 whatever the address, mail sent afterwards) and
// POST .../auth/confirm-verification (the emailed token verifies the address it was sent to).
import type { FastifyInstance } from 'fastify';
import { InvalidTokenError, parseSubject, subjectOf, tokenLink, verifyEmailMessage, type OutgoingMail } from '../../auth/index.js';
import { AUTH_BASE, bodyObject, str, type AuthFlow, type AuthRoutesDeps } from './auth-flow.js';

const VERIFY_TTL = 24 * 3600;

/**
 * A verification email for `email` (its token issued now, outside any transaction: SQLite has one
 * connection); undefined without `auth.email.linkBase`, since there is no link to send.
 */
export async function verificationMail(deps: AuthRoutesDeps, collection: string, id: string, email: string): Promise<OutgoingMail | undefined> {
  const e = deps.email;
  if (!e?.linkBase) {
    deps.log?.warn({ collection }, 'auth.email.linkBase is not set: no verification email sent');
    return undefined;
  }
  const token = await deps.services.oneTimeTokens.issue('verify', `${subjectOf(collection, id)}|${email}`, VERIFY_TTL);
  return verifyEmailMessage({ to: email, appName: e.appName, link: tokenLink(e.linkBase, e.verifyPath, token) });
}

export function emailVerificationRoutes(app: FastifyInstance, f: AuthFlow): void {
  const { deps, services, authCollection, publicRecord, later } = f;
  app.post(`${AUTH_BASE}/request-verification`, async (req, reply) => {
    const c = authCollection(req);
    const email = str(bodyObject(req), 'email', 254).trim().toLowerCase();
    later(req, 'verification email', async () => {
      const a = await deps.accounts().findByEmail(c.name, email);
      const m = a && !a.verified ? await verificationMail(deps, c.name, a.id, a.email) : undefined;
      if (m) await services.mailer.enqueue(m);
    });
    return reply.code(204).send();
  });

  app.post(`${AUTH_BASE}/confirm-verification`, async (req, reply) => {
    const c = authCollection(req);
    const subject = await services.oneTimeTokens.consume('verify', str(bodyObject(req), 'token', 128));
    const bar = subject.indexOf('|');
    const email = subject.slice(bar + 1);
    const { collection, id } = parseSubject(subject.slice(0, bar));
    if (bar < 0 || collection !== c.name) throw new InvalidTokenError();
    // The link verifies the address it was sent to, not one the account changed to since.
    const rec = await publicRecord(c, id).catch(() => undefined);
    if (!rec || rec.email !== email) throw new InvalidTokenError();
    await deps.accounts().setVerified(c.name, id, true);
    await deps.audit?.(req, 'auth.email.verify', { collection: c.name, subject: id, outcome: 'success' });
    return reply.code(204).send();
  });
}
