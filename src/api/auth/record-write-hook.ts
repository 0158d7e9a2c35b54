// Sign-up, email change and password change through the records API: the write hook of auth collections.
// Passwords checked by the policy and stored hashed next to the record, emails normalized and (re)verified,
// `verified` guarded, and a password change or a deleted account ending every session and refresh family.
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, ValidationError } from '../../core/index.js';
import { newRecordId, type Collection, type RecordData } from '../../data/index.js';
import type { Accounts } from '../../data/index.js';
import { emailChangedMessage, principalOf, subjectOf, type OutgoingMail } from '../../auth/index.js';
import type { AuthRoutesDeps } from './auth-flow.js';
import { verificationMail } from './email-verification.js';

/**
 * Write hook for records routes: on auth collections, `password` (+ `passwordConfirm`) is checked by the
 * policy and stored hashed, `email` is normalized, `verified` only a superuser may set, and a
 * password change needs `oldPassword` (superusers excepted) and ends the account's other sessions.
 */
export function authWriteHook(deps: AuthRoutesDeps) {
  return async (req: FastifyRequest, c: Collection, action: 'create' | 'update' | 'delete', input: Record<string, unknown>, id?: string) => {
    if (!c.auth) return undefined;
    if (action === 'delete') {
      return {
        input,
        inTx: (tx: Parameters<Accounts['deleteCredentials']>[2], rec: RecordData) => deps.accounts().deleteCredentials(c.name, String(rec.id), tx),
        after: async () => {
          await deps.services.sessions.destroyAllForUser(subjectOf(c.name, id!));
          await deps.services.refreshTokens.revokeUser(subjectOf(c.name, id!));
        },
      };
    }
    const p = principalOf(req.auth);
    const superuser = p?.superuser === true;
    const { password, passwordConfirm, oldPassword, ...rest } = input;
    const errors: { field: string; message: string }[] = [];
    if ('verified' in rest && !superuser) errors.push({ field: 'verified', message: 'is read-only' });
    if (typeof rest.email === 'string') rest.email = rest.email.trim().toLowerCase();
    if (action === 'create' && password === undefined) errors.push({ field: 'password', message: 'is required' });
    // An email change is confirmed through the new address (auth/request-email-change); only superusers set it here.
    if (action === 'update' && 'email' in rest && !superuser) errors.push({ field: 'email', message: `change it with POST /api/collections/${c.name}/auth/request-email-change` });
    if (password !== undefined && typeof password !== 'string') errors.push({ field: 'password', message: 'must be a string' });
    if (passwordConfirm !== undefined && passwordConfirm !== password) errors.push({ field: 'passwordConfirm', message: 'does not match password' });
    if (errors.length > 0) throw new ValidationError(`${errors.length} field(s) failed validation.`, errors);
    // Account security (password, email) is never changed with an API key, whatever its scopes.
    if (action === 'update' && req.auth?.kind === 'apiKey' && (password !== undefined || 'email' in rest)) {
      throw new ForbiddenError('API keys cannot change account security; sign in as the account.');
    }
    if (action === 'update' && typeof rest.email === 'string' && !('verified' in rest)) rest.verified = false;
    let hash: string | undefined;
    if (typeof password === 'string') {
      const inputs = [rest.email, rest.name, rest.username].filter((x): x is string => typeof x === 'string');
      deps.services.policy.assert(password, inputs, 'password');
      if (action === 'update' && !superuser) {
        const creds = await deps.accounts().credentials(c.name, id!);
        const ok = typeof oldPassword === 'string' && creds?.passwordHash ? await deps.services.hasher.verify(creds.passwordHash, oldPassword) : false;
        if (!ok) throw new ValidationError('The current password is wrong.', [{ field: 'oldPassword', message: 'does not match the current password' }]);
      }
      hash = await deps.services.hasher.hash(password);
    }
    // A new address (sign-up or change) gets a verification link, committed with the record.
    let mail: OutgoingMail | undefined;
    if (action === 'create' && rest.id === undefined) rest.id = newRecordId();
    const recordId = action === 'create' ? String(rest.id) : id!;
    if (typeof rest.email === 'string' && rest.verified !== true) mail = await verificationMail(deps, c.name, recordId, rest.email);
    // A superuser's change of an address is told to the old one.
    let notice: OutgoingMail | undefined;
    if (action === 'update' && typeof rest.email === 'string' && deps.email) {
      const old = await deps.records().get(c.name, id!).then((r) => String(r.record.email), () => undefined);
      if (old && old !== rest.email) notice = emailChangedMessage({ to: old, appName: deps.email.appName, newEmail: rest.email });
    }
    return {
      input: rest,
      inTx:
        hash === undefined && mail === undefined && notice === undefined
          ? undefined
          : async (tx: Parameters<Accounts['setPassword']>[3], rec: RecordData) => {
              if (hash !== undefined) await deps.accounts().setPassword(c.name, String(rec.id), hash, tx);
              if (mail) await deps.services.mailer.enqueue(mail, tx);
              if (notice) await deps.services.mailer.enqueue(notice, tx);
            },
      after: async (rec: RecordData) => {
        const recId = String(rec.id);
        if (action === 'create') await deps.audit?.(req, 'auth.signup', { collection: c.name, subject: recId, outcome: 'success' });
        if (action === 'update' && hash !== undefined) {
          // A new password ends every session and refresh family of the account.
          await deps.services.sessions.destroyAllForUser(subjectOf(c.name, recId));
          await deps.services.refreshTokens.revokeUser(subjectOf(c.name, recId));
          await deps.audit?.(req, 'auth.password.change', { collection: c.name, subject: recId, outcome: 'success' });
        }
      },
    };
  };
}
