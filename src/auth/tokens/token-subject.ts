// Who a credential names: the caller as authenticated from an access token, an API key or a session, the
// `<collection>:<record id>` subject that sessions, refresh tokens and API keys store, and the access-rule principal.
import { SUPERUSERS, type Principal } from '../../core/index.js';
import type { AccessClaims } from './token-access.js';

export type RequestAuth =
  | { kind: 'token'; userId: string; collection?: string; scopes: string[]; claims: AccessClaims }
  | { kind: 'apiKey'; userId: string; collection?: string; keyId: string; scopes: string[] }
  | { kind: 'session'; userId: string; collection: string; sessionId: string };

/** How sessions, refresh tokens and API keys name their owner: `<collection>:<record id>`. */
export const subjectOf = (collection: string, id: string): string => `${collection}:${id}`;
export function parseSubject(s: string): { collection: string; id: string } {
  const i = s.indexOf(':');
  return i < 0 ? { collection: 'users', id: s } : { collection: s.slice(0, i), id: s.slice(i + 1) };
}

/** The acting principal for access rules (null when anonymous). */
export function principalOf(a: RequestAuth | null): Principal | null {
  if (!a) return null;
  const collection = a.collection ?? 'users';
  return { id: a.userId, collection, superuser: collection === SUPERUSERS, scopes: a.kind === 'session' ? [] : a.scopes };
}

/**
 * Whether a credential's scopes allow a route that needs `scope` (`admin`, `functions`): unscoped credentials
 * (sessions, login tokens) may do what their owner may; scoped ones (API keys) need `*` or the scope itself.
 */
export function hasScope(scopes: readonly string[], scope: string): boolean {
  return scopes.length === 0 || scopes.includes('*') || scopes.includes(scope);
}
