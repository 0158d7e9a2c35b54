// Ending an account's access at once: the "valid after" mark (access tokens and API keys issued before it
// are refused on their next use, on every instance), the API keys made before it (revoked in their
// store, so the refusal outlives the mark), and, for logout-all, password change/reset and deletion,
// every session and refresh family.
import type { ApiKeyStore } from './keys/api-keys.js';
import type { Sessions } from './sessions/sessions.js';
import type { RefreshTokens } from './tokens/refresh-tokens.js';
import type { Revocations } from './tokens/token-revocation.js';

export interface AccountRevocation {
  /**
   * `subject` is `<collection>:<record id>`. `sessions: false` (role, scope or MFA change) keeps sessions
   * and refresh families, which are checked against the account's current state on each use anyway.
   */
  revokeAll(subject: string, o?: { sessions?: boolean }): Promise<void>;
}

export function createAccountRevocation(deps: { marks: Revocations; apiKeys: Pick<ApiKeyStore, 'listForUser' | 'revoke'>; sessions: Pick<Sessions, 'destroyAllForUser'>; refreshTokens: Pick<RefreshTokens, 'revokeUser'>; now?: () => number }): AccountRevocation {
  const now = deps.now ?? Date.now;
  return {
    async revokeAll(subject, o) {
      // The mark first: from here on nothing issued earlier passes, whatever else fails below.
      await deps.marks.revoke(subject);
      const t = Math.floor(now() / 1000);
      for (const k of await deps.apiKeys.listForUser(subject)) if (k.revokedAt === null) await deps.apiKeys.revoke(k.id, t);
      if (o?.sessions === false) return;
      await deps.sessions.destroyAllForUser(subject);
      await deps.refreshTokens.revokeUser(subject);
    },
  };
}
