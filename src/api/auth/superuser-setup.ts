// Superusers: created from the CLI (`strata superuser create`) or, on a fresh install, through a
// one-time setup link printed to the console at start (never to the log). The setup page is a
// static form; its token travels in the URL fragment, so it never reaches access logs.
import type { FastifyPluginAsync } from 'fastify';
import { ConflictError, SUPERUSERS, ValidationError } from '../../core/index.js';
import type { Accounts, RecordsService } from '../../data/index.js';
import type { AuthServices } from '../../auth/index.js';

export const SETUP_PURPOSE = 'superuser-setup';
const SETUP_TTL = 24 * 3600;

export interface SuperuserDeps {
  services: Pick<AuthServices, 'hasher' | 'policy' | 'oneTimeTokens'>;
  accounts: Accounts;
  records: RecordsService;
}

/**
 * Creates a superuser with a password that passes the policy. Throws ValidationError/ConflictError.
 *
 * @example
 * await createSuperuser({ services, accounts, records }, 'admin@example.com', 'a long passphrase here');
 */
export async function createSuperuser(deps: SuperuserDeps, email: string, password: string): Promise<string> {
  if (typeof email !== 'string' || typeof password !== 'string') throw new ValidationError('email and password are required.', []);
  const normalized = email.trim().toLowerCase();
  deps.services.policy.assert(password, [normalized], 'password');
  if (await deps.accounts.findByEmail(SUPERUSERS, normalized)) throw new ConflictError('A superuser with this email exists.');
  const hash = await deps.services.hasher.hash(password);
  const r = await deps.records.create(SUPERUSERS, { email: normalized, verified: true }, { inTx: (tx, rec) => deps.accounts.setPassword(SUPERUSERS, String(rec.id), hash, tx) });
  return String(r.record.id);
}

/** A fresh setup token when no superuser exists yet; undefined otherwise. */
export async function setupToken(deps: SuperuserDeps): Promise<string | undefined> {
  if ((await deps.accounts.count(SUPERUSERS)) > 0) return undefined;
  return deps.services.oneTimeTokens.issue(SETUP_PURPOSE, 'first-superuser', SETUP_TTL);
}

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Strata setup</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}label{display:block;margin:1rem 0 .25rem}input{width:100%;padding:.5rem;box-sizing:border-box}button{margin-top:1.5rem;padding:.6rem 1.2rem}</style>
</head><body>
<h1>Create the first superuser</h1>
<form method="post" action="/_strata/setup" id="setup">
<input type="hidden" name="token" id="token">
<label for="email">Email</label><input id="email" name="email" type="email" required autocomplete="username">
<label for="password">Password (at least 12 characters)</label><input id="password" name="password" type="password" required minlength="12" autocomplete="new-password">
<button type="submit">Create superuser</button>
</form>
<script src="/_strata/setup.js"></script>
</body></html>`;

const SCRIPT = `document.getElementById('token').value = decodeURIComponent(location.hash.slice(1));`;

/** GET /_strata/setup (the form), GET /_strata/setup.js, POST /_strata/setup (JSON or form). */
export function setupRoutes(deps: () => SuperuserDeps): FastifyPluginAsync {
  return async (app) => {
    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 8192 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    });
    app.get('/_strata/setup', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(PAGE));
    app.get('/_strata/setup.js', async (_req, reply) => reply.type('text/javascript; charset=utf-8').send(SCRIPT));
    app.post('/_strata/setup', async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const d = deps();
      if ((await d.accounts.count(SUPERUSERS)) > 0) throw new ConflictError('Setup is done: a superuser exists.');
      if (typeof body.token !== 'string' || typeof body.email !== 'string' || typeof body.password !== 'string') {
        throw new ValidationError('token, email and password are required.', [{ field: 'token', message: 'required' }]);
      }
      // Check the password first so a weak one does not burn the token.
      d.services.policy.assert(body.password, [body.email], 'password');
      await d.services.oneTimeTokens.consume(SETUP_PURPOSE, body.token);
      const id = await createSuperuser(d, body.email, body.password);
      if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        return reply.code(201).type('text/html; charset=utf-8').send('<!doctype html><title>Strata setup</title><p>Superuser created. You can close this page.</p>');
      }
      return reply.code(201).send({ id });
    });
  };
}
