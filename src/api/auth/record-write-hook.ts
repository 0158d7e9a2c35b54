// Sign-up, email change and password change through the records API: the write hook of auth collections.
// Passwords checked by the policy and stored hashed next to the record, emails normalized and (re)verified,
// `verified` guarded, ids of auth records always made by the server, and a password change, a change of a
// field rules read from the caller (`@request.auth.role`) or a deleted account revoking the account's access.
import type { FastifyRequest } from 'fastify';
import { ForbiddenError, ValidationError } from '../../core/index.js';
import { newRecordId, type Collection, type RecordData } from '../../data/index.js';
import type { Accounts } from '../../data/index.js';
import { accountExistsMessage, emailChangedMessage, principalOf, subjectOf, type OutgoingMail } from '../../auth/index.js';
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
        // Password, TOTP, API keys, refresh tokens and one-time tokens go with the record, in its transaction.
        inTx: (tx: Parameters<Accounts['deleteCredentials']>[2], rec: RecordData) => deps.accounts().deleteCredentials(c.name, String(rec.id), tx),
        // Then the mark (access tokens refused at once, on every instance) and the sessions (in the cache).
        after: () => deps.services.accountRevocation.revokeAll(subjectOf(c.name, id!)),
      };
    }
    const p = principalOf(req.auth);
    const superuser = p?.superuser === true;
    const { password, passwordConfirm, oldPassword, ...rest } = input;
    const errors: { field: string; message: string }[] = [];
    // A client-chosen id could name a deleted account, or another collection's account; ids of accounts
    // are made here, and never reused.
    if (action === 'create' && rest.id !== undefined) errors.push({ field: 'id', message: 'is set by the server on auth collections' });
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
    if (action === 'create') rest.id = newRecordId();
    // A sign-up with a registered address is answered as a new one would be (nothing tells the caller the
    // address has an account) and the owner is mailed instead; only superusers learn of the conflict (409).
    if (action === 'create' && !superuser && typeof rest.email === 'string') {
      const existing = await deps.accounts().findByEmail(c.name, rest.email);
      if (existing) return registeredSignup(deps, req, c, rest, existing.id);
    }
    // A new address (sign-up or change) gets a verification link, committed with the record.
    let mail: OutgoingMail | undefined;
    const sensitive = action === 'update' && hash === undefined ? await sensitiveChange(deps, c, id!, rest) : false;
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
          // A new password ends every credential of the account issued before it.
          await deps.services.accountRevocation.revokeAll(subjectOf(c.name, recId));
          await deps.audit?.(req, 'auth.password.change', { collection: c.name, subject: recId, outcome: 'success' });
        }
        // A role (a field rules read from the caller) changed: tokens and keys made under the old one end.
        if (sensitive) await deps.services.accountRevocation.revokeAll(subjectOf(c.name, recId), { sessions: false });
      },
    };
  };
}

/**
 * The dry run of a sign-up whose address has an account: the same validation, rule and hashing work as a
 * real sign-up, under a stand-in address on the same domain (the address is unique), answered with the
 * real one; the owner gets "someone tried to sign up" instead of a verification link.
 */
function registeredSignup(deps: AuthRoutesDeps, req: FastifyRequest, c: Collection, input: Record<string, unknown>, ownerId: string) {
  const email = String(input.email);
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return {
    input: { ...input, email: `${newRecordId()}@${domain}` },
    dryRun: { shown: (rec: RecordData) => ('email' in rec ? { ...rec, email } : rec) },
    after: async () => {
      if (deps.email) await deps.services.mailer.enqueue(accountExistsMessage({ to: email, appName: deps.email.appName }));
      await deps.audit?.(req, 'auth.signup', { collection: c.name, subject: ownerId, outcome: 'failure', details: { reason: 'email registered' } });
    },
  };
}

const AUTH_FIELD = /@request\.auth\.([A-Za-z_][A-Za-z0-9_]*)/g;

/** Whether an update changes a field of `c` that some rule reads from the caller (`@request.auth.role`). */
async function sensitiveChange(deps: AuthRoutesDeps, c: Collection, id: string, input: Record<string, unknown>): Promise<boolean> {
  const read = new Set<string>();
  for (const other of deps.records().collections.values()) {
    for (const rule of Object.values(other.rules)) for (const m of (rule ?? '').matchAll(AUTH_FIELD)) read.add(m[1]);
  }
  read.delete('id');
  read.delete('collectionName');
  const touched = Object.keys(input).filter((k) => read.has(k));
  if (touched.length === 0) return false;
  const before = await deps.records().get(c.name, id).then((r) => r.record, () => undefined);
  if (!before) return false;
  return touched.some((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(input[k] ?? null));
}
