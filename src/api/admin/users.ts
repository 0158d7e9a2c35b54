// Superuser API for the accounts of auth collections under /api/admin/users (a Fastify plugin): list and
// search, read one, mark verified/unverified, mail a password-reset link, end every session, list and revoke
// API keys, disable MFA. Each reuses what the auth flows do for the account itself.
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError, ValidationError } from '../../core/index.js';
import { passwordResetMessage, subjectOf, tokenLink, type AuthServices } from '../../auth/index.js';
import type { Accounts, Collection, RecordsService } from '../../data/index.js';
import type { AdminGuard } from './guard.js';

/** Seconds a password-reset link stays valid (the same as one the account asks for). */
const RESET_TTL = 3600;

export interface UserRoutesDeps {
  /** Throws UnauthorizedError/ForbiddenError unless the caller is a superuser; runs before every route. */
  authorize: AdminGuard;
  /** Getters: the services exist once their components have started. */
  services: () => Pick<AuthServices, 'apiKeys' | 'accountRevocation' | 'oneTimeTokens' | 'mailer'>;
  accounts: () => Accounts;
  records: () => RecordsService;
  /** `auth.email`: link base, reset path and app name of the reset mail. */
  email?: { linkBase: string; resetPath: string; appName: string };
}

const Coll = Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' });
const Id = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' });
const CollParams = Type.Object({ collection: Coll });
const AccountParams = Type.Object({ collection: Coll, id: Id });
const KeyParams = Type.Object({ collection: Coll, id: Id, keyId: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$' }) });
const ListQuery = Type.Object(
  {
    // No quotes or backslashes: the search becomes a string literal of the filter language.
    q: Type.Optional(Type.String({ maxLength: 100, pattern: '^[^"\\\\]*$' })),
    page: Type.Integer({ minimum: 1, maximum: 100_000, default: 1 }),
    perPage: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Object({ verified: Type.Boolean() }, { additionalProperties: false });

/** Fastify drops unknown properties; refuse them instead, so a typo (`verifed`, `serach=`) is not a silent no-op. */
function onlyKnown(where: 'query' | 'body', known: readonly string[]) {
  return async (req: FastifyRequest) => {
    const keys = where === 'query' ? [...new URLSearchParams((req.raw.url ?? '').split('?')[1] ?? '').keys()] : req.body && typeof req.body === 'object' ? Object.keys(req.body) : [];
    const unknown = keys.filter((k) => !known.includes(k));
    if (unknown.length) throw new ValidationError(`Unknown ${where} parameter ${unknown[0]}.`, unknown.map((k) => ({ field: `${where}.${k}`, message: 'is not allowed' })));
  };
}

/**
 * @example
 * app.register(userRoutes({ authorize: requireSuperuser, services: () => auth.services, accounts: () => accounts, records: () => data.records }));
 */
export function userRoutes(deps: UserRoutesDeps): FastifyPluginAsync {
  const base = '/api/admin/users';
  const authCollection = (name: string): Collection => {
    const c = deps.records().collections.get(name);
    if (!c?.auth) throw new NotFoundError(`No auth collection named ${name}.`);
    return c;
  };
  /** The account as this API shows it (no password, no TOTP secret); 404 when it does not exist. */
  const account = async (collection: string, id: string) => {
    authCollection(collection);
    const { record } = await deps.records().get(collection, id);
    return view(collection, record as Record<string, unknown>);
  };
  const view = async (collection: string, r: Record<string, unknown>) => {
    const creds = await deps.accounts().credentials(collection, String(r.id));
    return { id: String(r.id), email: String(r.email ?? ''), verified: r.verified === true, mfa: creds?.mfa === true, created: r.created, updated: r.updated };
  };
  const keysOf = async (collection: string, id: string) => (await deps.services().apiKeys.list(subjectOf(collection, id))).map(({ userId: _u, ...k }) => k);

  return async (app) => {
    app.addHook('onRequest', async (request) => deps.authorize(request));

    app.get(base, async () => ({ items: [...deps.records().collections.values()].filter((c) => c.auth).map((c) => ({ name: c.name, mfa: c.auth!.mfa })) }));

    app.get<{ Params: Static<typeof CollParams>; Querystring: Static<typeof ListQuery> }>(`${base}/:collection`, { schema: { params: CollParams, querystring: ListQuery }, preValidation: onlyKnown('query', ['q', 'page', 'perPage']) }, async (req) => {
      const c = authCollection(req.params.collection);
      const q = req.query.q?.trim().toLowerCase();
      const res = await deps.records().list(c.name, { filter: q ? `email ~ "${q}"` : undefined, sort: 'email', page: req.query.page, perPage: req.query.perPage, totalItems: true });
      const items = await Promise.all(res.items.map((r) => view(c.name, r as Record<string, unknown>)));
      return { items, page: res.page, perPage: res.perPage, totalItems: res.totalItems };
    });

    app.get<{ Params: Static<typeof AccountParams> }>(`${base}/:collection/:id`, { schema: { params: AccountParams } }, async (req) => {
      const a = await account(req.params.collection, req.params.id);
      return { ...a, apiKeys: await keysOf(req.params.collection, a.id) };
    });

    app.patch<{ Params: Static<typeof AccountParams>; Body: Static<typeof PatchBody> }>(`${base}/:collection/:id`, { schema: { params: AccountParams, body: PatchBody }, preValidation: onlyKnown('body', ['verified']) }, async (req) => {
      const { collection, id } = req.params;
      await account(collection, id);
      await deps.accounts().setVerified(collection, id, req.body.verified);
      return account(collection, id);
    });

    // Mails the account a reset link (the flow of request-password-reset, but for a known account and answered now).
    app.post<{ Params: Static<typeof AccountParams> }>(`${base}/:collection/:id/password-reset`, { schema: { params: AccountParams } }, async (req, reply) => {
      const { collection, id } = req.params;
      const a = await account(collection, id);
      const e = deps.email;
      if (!e?.linkBase) throw new ConflictError('auth.email.linkBase is not set: a reset mail would have no link.');
      const s = deps.services();
      const token = await s.oneTimeTokens.issue('reset', subjectOf(collection, id), RESET_TTL);
      await s.mailer.enqueue(passwordResetMessage({ to: a.email, appName: e.appName, link: tokenLink(e.linkBase, e.resetPath, token), ttlMinutes: RESET_TTL / 60 }));
      return reply.code(202).send({ queued: true });
    });

    // Every session, refresh family, access token and API key of the account ends (what logout-all does).
    app.post<{ Params: Static<typeof AccountParams> }>(`${base}/:collection/:id/revoke-sessions`, { schema: { params: AccountParams } }, async (req, reply) => {
      const { collection, id } = req.params;
      await account(collection, id);
      await deps.services().accountRevocation.revokeAll(subjectOf(collection, id));
      return reply.code(204).send();
    });

    app.get<{ Params: Static<typeof AccountParams> }>(`${base}/:collection/:id/api-keys`, { schema: { params: AccountParams } }, async (req) => {
      await account(req.params.collection, req.params.id);
      return { items: await keysOf(req.params.collection, req.params.id) };
    });

    app.delete<{ Params: Static<typeof KeyParams> }>(`${base}/:collection/:id/api-keys/:keyId`, { schema: { params: KeyParams } }, async (req, reply) => {
      const { collection, id, keyId } = req.params;
      await account(collection, id);
      if (!(await deps.services().apiKeys.revokeOwned(subjectOf(collection, id), keyId))) throw new NotFoundError('This account has no API key with this id.');
      return reply.code(204).send();
    });

    // The account signs in with its password alone afterwards; tokens and keys issued before end, sessions stay.
    app.delete<{ Params: Static<typeof AccountParams> }>(`${base}/:collection/:id/mfa`, { schema: { params: AccountParams } }, async (req, reply) => {
      const { collection, id } = req.params;
      const a = await account(collection, id);
      // A collection that requires a second factor keeps it on every account (the account itself cannot drop it either).
      if (authCollection(collection).auth!.mfa === 'required') throw new ConflictError(`Collection ${collection} requires a second factor (auth.mfa: required): MFA cannot be disabled for its accounts.`);
      if (!a.mfa) throw new ConflictError('This account has no second factor enabled.');
      await deps.accounts().setTotp(collection, id, null, false);
      await deps.services().accountRevocation.revokeAll(subjectOf(collection, id), { sessions: false });
      return reply.code(204).send();
    });
  };
}
