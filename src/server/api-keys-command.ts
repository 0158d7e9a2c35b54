// `strata keys list|revoke`: an operator lists or revokes the API keys of one account (by email or id) straight
// on the database, without a running server; secrets are never shown (only ids, names, scopes and times).
import { resolve } from 'node:path';
import type { StrataConfig } from '../config/index.js';
import { createAccounts, createDataLayer, sqlAuthStorage } from '../data/index.js';
import { authComponent, subjectOf } from '../auth/index.js';
import { keyDirectory, loadFieldCipher, fieldKeyFile } from '../crypto/index.js';

export interface ApiKeysCommandOptions {
  config: StrataConfig;
  /** Auth collection of the account (default `users`). */
  collection?: string;
  /** Email address or record id of the account. */
  account: string;
  /** `list`, or `revoke` the given key ids (every key of the account with `all`). */
  action: { list: true } | { revoke: string[]; all?: boolean };
  out: (line: string) => void;
}

const when = (s: number | null) => (s === null ? '-' : new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'));

/**
 * @example
 * await apiKeysCommand({ config, account: 'alice@example.com', action: { list: true }, out: console.log });
 */
export async function apiKeysCommand(o: ApiKeysCommandOptions): Promise<number> {
  const dataDir = resolve(o.config.dataDir);
  const collection = o.collection ?? 'users';
  const fieldCipher = await loadFieldCipher({ keyFile: fieldKeyFile(o.config), env: process.env.STRATA_ENCRYPTION_KEY });
  const data = createDataLayer({ dataDir, data: o.config.data, collections: o.config.collections });
  await data.start();
  const auth = authComponent(o.config.auth, { keyDir: keyDirectory(o.config), fieldCipher, storage: sqlAuthStorage({ dataDir, data: () => ({ db: data.db, dialect: data.dialect, names: data.names }) }) });
  try {
    await auth.start!();
    const c = data.records.collection(collection);
    if (!c.auth) throw new Error(`${collection} is not an auth collection`);
    const accounts = createAccounts({ db: data.db, dialect: data.dialect, names: data.names, records: data.records, cipher: fieldCipher });
    const byEmail = await accounts.findByEmail(collection, o.account.trim().toLowerCase());
    const id = byEmail?.id ?? (await data.records.get(collection, o.account).then((r) => String(r.record.id), () => undefined));
    if (!id) throw new Error(`no account ${o.account} in ${collection}`);
    const owner = subjectOf(collection, id);
    const keys = auth.services.apiKeys;
    if ('list' in o.action) {
      const items = await keys.list(owner);
      o.out(`${items.length} API key(s) of ${collection}/${id}`);
      for (const k of items) {
        const state = k.revokedAt !== null ? `revoked ${when(k.revokedAt)}` : k.expiresAt !== null && k.expiresAt * 1000 <= Date.now() ? 'expired' : 'active';
        o.out(`${k.id}  ${JSON.stringify(k.name)}  scopes=${k.scopes.join(',') || '(all of the owner)'}  created=${when(k.createdAt)}  lastUsed=${when(k.lastUsedAt)}  expires=${when(k.expiresAt)}  ${state}`);
      }
      return 0;
    }
    const ids = o.action.all ? (await keys.list(owner)).filter((k) => k.revokedAt === null).map((k) => k.id) : o.action.revoke;
    let missing = 0;
    for (const k of ids) {
      if (await keys.revokeOwned(owner, k)) o.out(`revoked ${k}`);
      else {
        o.out(`no API key ${k} of ${collection}/${id}`);
        missing++;
      }
    }
    return missing > 0 ? 1 : 0;
  } finally {
    await auth.stop!();
    await data.stop();
  }
}
