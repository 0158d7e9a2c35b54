// OpenAPI 3.1 security for Strata's credentials (bearer access token, bearer API key, session cookie +
// CSRF token) and the auth routes of every auth collection (/api/collections/{c}/auth/...).
import type { Collection, Rules } from '../../data/index.js';

type Json = Record<string, unknown>;

export const problem = (description: string): Json => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/problem' } } } });
export const json = (schema: Json): Json => ({ 'application/json': { schema } });

const str = (description?: string, extra: Json = {}): Json => ({ type: 'string', ...(description ? { description } : {}), ...extra });
const obj = (properties: Record<string, Json>, required: string[] = []): Json => ({ type: 'object', properties, ...(required.length ? { required } : {}) });

/** The credentials of components.securitySchemes. `cookie` is `auth.sessions.cookieName`. */
export function securitySchemes(cookie: string): Record<string, Json> {
  return {
    bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from .../auth/login, .../auth/mfa or .../auth/refresh of an auth collection.' },
    apiKey: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'sk_…',
      description: 'An API key made at .../auth/api-keys, sent as `Authorization: Bearer sk_…`. The roles listed in a requirement are the key scope that covers the operation (`*`, `records:read`/`records:write`, `records:<collection>:*` do too; a key with no scopes may do what its account may).',
    },
    sessionCookie: { type: 'apiKey', in: 'cookie', name: cookie, description: `The session cookie set by .../auth/login with {"mode":"session"} (named __Host-${cookie} over HTTPS).` },
    csrfToken: {
      type: 'apiKey',
      in: 'header',
      name: 'X-CSRF-Token',
      description: "With the session cookie, unsafe requests must come from the site's own origin (Origin / Sec-Fetch-Site); form posts, and any request carrying this header, must also give the session's token (from login or GET .../auth/csrf).",
    },
  };
}

const UNSAFE = new Set(['post', 'put', 'patch', 'delete']);

/** Requirements for a signed-in caller (`apiKeys`: false where API keys are refused). */
export function signedIn(method: string, scope: string | undefined, apiKeys = true): Json[] {
  const session = UNSAFE.has(method) ? { sessionCookie: [], csrfToken: [] } : { sessionCookie: [] };
  return [{ bearerAuth: [] }, ...(apiKeys ? [{ apiKey: scope ? [scope] : [] }] : []), session];
}

/**
 * `security` and the extra responses of a records operation under a collection rule: public for "", any
 * credential or none for an expression (the rule decides), superusers only for null.
 */
export function ruleAccess(rules: Rules, action: keyof Rules, method: string, collection: string): { security: Json[]; description: string; responses: Json } {
  const rule = rules[action];
  const scope = `records:${collection}:${action === 'list' || action === 'view' ? 'read' : 'write'}`;
  if (rule === '') return { security: [], description: `Public: the ${action} rule is empty.`, responses: {} };
  const responses = { '401': problem('Invalid or expired credentials'), '403': problem(rule === null ? 'Superusers only' : 'Refused by the rule or the credential scopes') };
  if (rule === null) return { security: signedIn(method, scope), description: `Superusers only: ${collection} has no ${action} rule.`, responses };
  return { security: [...signedIn(method, scope), {}], description: `The ${action} rule of ${collection} decides, for anonymous callers too.`, responses };
}

interface AuthOp {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  /** public: anyone; optional: a session or token is used when given; account: the account itself (no API key); signedIn: any credential; session: the session cookie. */
  who: 'public' | 'optional' | 'account' | 'signedIn' | 'session';
  body?: Json;
  ok: [string, string, Json?];
  errors: Record<string, string>;
}

const tokens = obj({ token: str('Access token (JWT).'), expiresAt: { type: 'integer', description: 'Expiry, seconds since the epoch.' }, refreshToken: str(), record: { type: 'object' } }, ['token', 'expiresAt', 'refreshToken', 'record']);
const session = obj({ record: { type: 'object' }, csrfToken: str('For X-CSRF-Token on form posts.') }, ['record', 'csrfToken']);
const signInResult: Json = { oneOf: [tokens, session] };
const LOGIN_ERRORS = { '400': 'Invalid input', '401': 'Wrong credentials, or strata/mfa-required (with mfaToken)', '403': 'Unverified email, or strata/mfa-enrollment-required (with enrollmentToken)', '429': 'Too many failed attempts' };

const AUTH_OPS: AuthOp[] = [
  { method: 'post', path: 'login', summary: 'Sign in with email and password', who: 'public', body: obj({ identity: str('The email address (or `email`).'), password: str(), mode: { enum: ['token', 'session'], default: 'token' } }, ['password']), ok: ['200', 'Tokens, or a session cookie', signInResult], errors: LOGIN_ERRORS },
  { method: 'post', path: 'mfa', summary: 'Finish a sign-in with a TOTP or recovery code', who: 'public', body: obj({ mfaToken: str(), code: str() }, ['mfaToken', 'code']), ok: ['200', 'Tokens, or a session cookie', signInResult], errors: { '400': 'Invalid input', '401': 'Invalid token or code', '429': 'Too many failed attempts' } },
  { method: 'post', path: 'refresh', summary: 'A new access token for a refresh token (rotated)', who: 'public', body: obj({ refreshToken: str() }, ['refreshToken']), ok: ['200', 'New tokens', tokens], errors: { '400': 'Invalid input', '401': 'Invalid, expired or reused refresh token' } },
  { method: 'post', path: 'logout', summary: 'End this session and/or revoke a refresh token', who: 'optional', body: obj({ refreshToken: str() }), ok: ['204', 'Signed out'], errors: {} },
  { method: 'post', path: 'logout-all', summary: "End every session, refresh token and API key of the account", who: 'account', ok: ['204', 'Signed out everywhere'], errors: { '401': 'Not signed in', '403': 'Not this collection, an API key, or no recent login' } },
  { method: 'get', path: 'me', summary: 'The signed-in account', who: 'signedIn', ok: ['200', 'The account', obj({ record: { type: 'object' }, mfa: { type: 'boolean' }, auth: { enum: ['token', 'session', 'apiKey'] } }, ['record', 'mfa', 'auth'])], errors: { '401': 'Not signed in', '403': 'Signed in to another collection' } },
  { method: 'get', path: 'csrf', summary: "The session's CSRF token", who: 'session', ok: ['200', 'The token', obj({ csrfToken: str() }, ['csrfToken'])], errors: { '401': 'No session' } },
  { method: 'post', path: 'request-verification', summary: 'Email a verification link (204 whatever the address)', who: 'public', body: obj({ email: str(undefined, { format: 'email' }) }, ['email']), ok: ['204', 'Accepted'], errors: { '400': 'Invalid input' } },
  { method: 'post', path: 'confirm-verification', summary: 'Verify the address with the emailed token', who: 'public', body: obj({ token: str() }, ['token']), ok: ['204', 'Verified'], errors: { '400': 'Invalid input', '401': 'Invalid or expired token' } },
  { method: 'post', path: 'request-email-change', summary: 'Email a confirmation link to a new address', who: 'account', body: obj({ newEmail: str(undefined, { format: 'email' }), password: str('The current password (instead of a recent login).') }, ['newEmail']), ok: ['204', 'Accepted'], errors: { '400': 'Invalid input or wrong password', '401': 'Not signed in', '403': 'Not this collection, an API key, or no recent login' } },
  { method: 'post', path: 'confirm-email-change', summary: 'Apply an email change with the emailed token', who: 'public', body: obj({ token: str() }, ['token']), ok: ['204', 'Changed'], errors: { '400': 'Invalid input', '401': 'Invalid or expired token' } },
  { method: 'post', path: 'request-password-reset', summary: 'Email a password reset link (204 whatever the address)', who: 'public', body: obj({ email: str(undefined, { format: 'email' }) }, ['email']), ok: ['204', 'Accepted'], errors: { '400': 'Invalid input' } },
  { method: 'post', path: 'confirm-password-reset', summary: 'Set a new password with the emailed token', who: 'public', body: obj({ token: str(), password: str(), passwordConfirm: str() }, ['token', 'password']), ok: ['204', 'Changed; every session and token of the account ends'], errors: { '400': 'Invalid input or a weak password', '401': 'Invalid or expired token' } },
  { method: 'post', path: 'mfa/totp', summary: 'Start a TOTP enrolment', who: 'account', ok: ['200', 'The secret and its otpauth:// URI', obj({ secret: str(), uri: str() }, ['secret', 'uri'])], errors: { '401': 'Not signed in', '403': 'Not this collection, an API key, or no recent login', '409': 'TOTP is already on' } },
  { method: 'post', path: 'mfa/totp/confirm', summary: 'Turn TOTP on with a first code', who: 'account', body: obj({ code: str() }, ['code']), ok: ['200', 'Recovery codes (and tokens after an enrolment-only login)', obj({ recoveryCodes: { type: 'array', items: str() } }, ['recoveryCodes'])], errors: { '400': 'Invalid input', '401': 'Not signed in, or a wrong code', '403': 'Not this collection, an API key, or no recent login', '409': 'No enrolment started', '429': 'Too many failed attempts' } },
  { method: 'delete', path: 'mfa/totp', summary: 'Turn TOTP off with a current or recovery code', who: 'account', body: obj({ code: str() }, ['code']), ok: ['204', 'Off'], errors: { '400': 'Invalid input', '401': 'Not signed in, or a wrong code', '403': 'Required by the collection, an API key, or no recent login', '429': 'Too many failed attempts' } },
  { method: 'post', path: 'api-keys', summary: 'Make an API key (shown once)', who: 'account', body: obj({ name: str(undefined, { maxLength: 100 }), scopes: { type: 'array', items: str(), maxItems: 32 }, ttlSeconds: { type: 'integer', minimum: 60 } }, ['name']), ok: ['201', 'The key', obj({ key: str('The secret, shown once.'), id: str(), name: str(), scopes: { type: 'array', items: str() } }, ['key', 'id'])], errors: { '400': 'Invalid input', '401': 'Not signed in', '403': 'Not this collection, an API key, or no recent login' } },
  { method: 'get', path: 'api-keys', summary: "The account's API keys (no secrets)", who: 'account', ok: ['200', 'The keys', obj({ items: { type: 'array', items: { type: 'object' } } }, ['items'])], errors: { '401': 'Not signed in', '403': 'Not this collection, an API key, or no recent login' } },
  { method: 'delete', path: 'api-keys/{id}', summary: 'Revoke an API key', who: 'account', ok: ['204', 'Revoked'], errors: { '401': 'Not signed in', '403': 'Not this collection, an API key, or no recent login', '404': 'No such key of this account' } },
];

function whoSecurity(who: AuthOp['who'], method: string): Json[] {
  switch (who) {
    case 'public':
      return [];
    case 'optional':
      return [...signedIn(method, undefined, false), {}];
    case 'account':
      return signedIn(method, undefined, false);
    case 'signedIn':
      return signedIn(method, undefined);
    case 'session':
      return [{ sessionCookie: [] }];
  }
}

/** The auth routes of one auth collection, keyed by OpenAPI path. */
export function authPaths(c: Collection): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const op of AUTH_OPS) {
    const path = `/api/collections/${c.name}/auth/${op.path}`;
    const [status, description, schema] = op.ok;
    const responses: Json = { [status]: { description, ...(schema ? { content: json(schema) } : {}) } };
    for (const [code, d] of Object.entries(op.errors)) responses[code] = problem(d);
    out[path] = {
      ...(out[path] ?? {}),
      [op.method]: {
        operationId: `auth_${c.name}_${op.method}_${op.path.replace(/[^a-z]+/gi, '_').replace(/_$/, '')}`,
        tags: [`auth: ${c.name}`],
        summary: op.summary,
        ...(op.path.includes('{id}') ? { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] } : {}),
        security: whoSecurity(op.who, op.method),
        ...(op.body ? { requestBody: { required: op.who !== 'optional', content: json(op.body) } } : {}),
        responses,
      },
    };
  }
  return out;
}
