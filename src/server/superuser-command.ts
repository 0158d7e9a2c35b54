// `strata superuser create`: opens the data layer (migrating it), then creates a superuser with a
// password that passes the policy. Password from stdin (scripts) or a prompt that does not echo.
import { resolve } from 'node:path';
import type { StrataConfig } from '../config/index.js';
import { SUPERUSERS } from '../core/index.js';
import { createAccounts, createDataLayer, sqlAuthStorage } from '../data/index.js';
import { authComponent } from '../auth/index.js';
import { createSuperuser } from '../api/index.js';
import { fieldKeyFile, keyDirectory, loadFieldCipher } from '../crypto/index.js';

export interface SuperuserCommandOptions {
  email: string;
  password: string;
  out: (line: string) => void;
}

/**
 * @example
 * await superuserCreate(config, { email: 'admin@example.com', password, out: console.log });
 */
export async function superuserCreate(config: StrataConfig, o: SuperuserCommandOptions): Promise<string> {
  const dataDir = resolve(config.dataDir);
  const fieldCipher = await loadFieldCipher({ keyFile: fieldKeyFile(config), env: process.env.STRATA_ENCRYPTION_KEY });
  // Auth's tables on the default SQLite file are enough here: only the password hasher and policy are used.
  const auth = authComponent(config.auth, { keyDir: keyDirectory(config), fieldCipher, storage: sqlAuthStorage({ dataDir }) });
  const data = createDataLayer({ dataDir, data: config.data, collections: config.collections });
  await auth.start!();
  try {
    await data.start();
    const accounts = createAccounts({ db: data.db, dialect: data.dialect, names: data.names, records: data.records, cipher: fieldCipher });
    await accounts.ensureSchema();
    const id = await createSuperuser({ services: auth.services, accounts, records: data.records }, o.email, o.password);
    o.out(`superuser ${o.email.trim().toLowerCase()} created (id ${id}; ${await accounts.count(SUPERUSERS)} superuser(s) now)`);
    return id;
  } finally {
    await data.stop();
    await auth.stop!();
  }
}
