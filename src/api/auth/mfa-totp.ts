// TOTP second factor (RFC 6238): POST .../auth/mfa/totp (enrol), POST .../auth/mfa/totp/confirm (enable, with
// recovery codes) and DELETE .../auth/mfa/totp (disable, with a current code).
import type { FastifyInstance } from 'fastify';
import { ForbiddenError, StrataError } from '../../core/index.js';
import { InvalidCredentialsError, subjectOf } from '../../auth/index.js';
import { AUTH_BASE, bodyObject, str, type AuthFlow } from './auth-flow.js';

export function mfaTotpRoutes(app: FastifyInstance, f: AuthFlow): void {
  const { deps, services, authCollection, publicRecord, signIn, secondFactor, throttledCode, securityCaller } = f;
  app.post(`${AUTH_BASE}/mfa/totp`, async (req) => {
    const c = authCollection(req);
    const p = await securityCaller(req, c, { allowEnroll: true });
    const creds = await deps.accounts().credentials(c.name, p.id);
    if (creds?.mfa) throw new StrataError(409, 'strata/conflict', 'Conflict', 'TOTP is already enabled; disable it first.');
    const rec = await publicRecord(c, p.id);
    const { secret, uri } = services.totp.enrol(String(rec.email));
    await deps.accounts().setTotp(c.name, p.id, secret, false);
    return { secret, uri };
  });

  app.post(`${AUTH_BASE}/mfa/totp/confirm`, async (req, reply) => {
    const c = authCollection(req);
    const p = await securityCaller(req, c, { allowEnroll: true });
    const code = str(bodyObject(req), 'code', 16).replace(/\s+/g, '');
    const creds = await deps.accounts().credentials(c.name, p.id);
    if (!creds?.totpSecret || creds.mfa) throw new StrataError(409, 'strata/conflict', 'Conflict', 'Start an enrolment first.');
    if (!(await throttledCode(req, c, p.id, () => services.totp.verify(subjectOf(c.name, p.id), creds.totpSecret!, code)))) throw new InvalidCredentialsError('The code is not valid.');
    await deps.accounts().setTotp(c.name, p.id, creds.totpSecret, true);
    const recoveryCodes = await services.recoveryCodes.generate(subjectOf(c.name, p.id));
    // Credentials issued before the second factor (a thief's token or key included) end; sessions are kept.
    await services.accountRevocation.revokeAll(subjectOf(c.name, p.id), { sessions: false });
    await deps.audit?.(req, 'auth.mfa.enable', { collection: c.name, subject: p.id, outcome: 'success' });
    const out: Record<string, unknown> = { recoveryCodes };
    // An enrolment-only token becomes a full login once the factor is confirmed.
    if (p.scopes.includes('mfa:enroll')) Object.assign(out, await signIn(req, reply, c, p.id, 'token'));
    return out;
  });

  app.delete(`${AUTH_BASE}/mfa/totp`, async (req, reply) => {
    const c = authCollection(req);
    const p = await securityCaller(req, c);
    if (c.auth!.mfa === 'required') throw new ForbiddenError('This collection requires a second factor.');
    const code = str(bodyObject(req), 'code', 64).replace(/\s+/g, '');
    if (!(await secondFactor(req, c, p.id, code))) {
      await deps.audit?.(req, 'auth.mfa.failure', { collection: c.name, subject: p.id, outcome: 'failure' });
      throw new InvalidCredentialsError('The code is not valid.');
    }
    await deps.accounts().setTotp(c.name, p.id, null, false);
    await services.accountRevocation.revokeAll(subjectOf(c.name, p.id), { sessions: false });
    await deps.audit?.(req, 'auth.mfa.disable', { collection: c.name, subject: p.id, outcome: 'success' });
    return reply.code(204).send();
  });
}
