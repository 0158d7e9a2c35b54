// OpenAPI path items of /api/admin/users (merged into /api/openapi.json through the records routes' extraPaths),
// shaped like the other admin operations: superusers only, 401/403 from the guard, problems for errors.
// The helpers repeat src/api/records/openapi-auth.ts's (not exported from the records room); the OpenAPI test
// checks both describe the same security.
type Json = Record<string, unknown>;
const json = (schema: Json): Json => ({ 'application/json': { schema } });
const problem = (description: string): Json => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/problem' } } } });
/** Bearer token, API key with the admin scope, or a session cookie (with the CSRF token on unsafe methods). */
const signedIn = (method: string): Json[] => [{ bearerAuth: [] }, { apiKey: ['admin'] }, method === 'get' ? { sessionCookie: [] } : { sessionCookie: [], csrfToken: [] }];
type Op = [method: string, path: string, summary: string, ok: string, errors: Record<string, string>, extra?: Json];

const B = '/api/admin/users/{collection}';
const any = { type: 'object' };
const query = (name: string, schema: Json, description: string) => ({ name, in: 'query', required: false, description, schema });
const GUARD = { '401': problem('No credentials'), '403': problem('Not a superuser, or an API key without the admin scope') };
const NF = { '400': 'Invalid input', '404': 'No such auth collection or account' };
const OPS: Op[] = [
  ['get', '/api/admin/users', 'The auth collections', '200', {}],
  ['get', B, 'Accounts of an auth collection, by email', '200', { '400': 'Invalid input', '404': 'No such auth collection' }, { parameters: [query('q', { type: 'string', maxLength: 100 }, 'Part of the email (no quotes or backslashes).'), query('page', { type: 'integer', minimum: 1 }, 'Page (from 1).'), query('perPage', { type: 'integer', minimum: 1, maximum: 100 }, 'Page size.')] }],
  ['get', `${B}/{id}`, 'One account with its API keys', '200', NF],
  ['patch', `${B}/{id}`, 'Mark the account verified or unverified', '200', NF, { requestBody: { required: true, content: json({ type: 'object', additionalProperties: false, required: ['verified'], properties: { verified: { type: 'boolean' } } }) } }],
  ['post', `${B}/{id}/password-reset`, 'Mail the account a password-reset link', '202', { ...NF, '409': 'auth.email.linkBase is not set' }],
  ['post', `${B}/{id}/revoke-sessions`, 'End every session, token and API key of the account', '204', NF],
  ['get', `${B}/{id}/api-keys`, 'The account’s API keys (no secrets)', '200', NF],
  ['delete', `${B}/{id}/api-keys/{keyId}`, 'Revoke one API key of the account', '204', { ...NF, '404': 'No such auth collection, account, or key of this account' }],
  ['delete', `${B}/{id}/mfa`, 'Disable the account’s second factor', '204', { ...NF, '409': 'No second factor enabled, or the collection requires one (auth.mfa: required)' }],
];

/** The path items of the users admin API. */
export function userOpenapiPaths(): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const [method, path, summary, ok, errors, extra = {}] of OPS) {
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    const responses: Json = { [ok]: { description: 'Success', ...(ok === '204' ? {} : { content: json(any) }) }, ...GUARD };
    for (const [code, d] of Object.entries(errors)) responses[code] = problem(d);
    const parameters = [...names.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })), ...((extra.parameters as Json[] | undefined) ?? [])];
    out[path] = {
      ...(out[path] ?? {}),
      [method]: {
        operationId: `admin_${method}_${path.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
        tags: ['admin'],
        summary,
        description: 'Superusers only (an API key needs the admin scope).',
        ...extra,
        parameters,
        security: signedIn(method),
        responses,
      },
    };
  }
  return out;
}
