// Issue 13's account-safety attacks over HTTPS on PostgreSQL (database `test`, a unique table prefix).
import { accountSafety } from './auth-account-safety.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

accountSafety('postgres', async () => `  url: ${PG_URL}\n  tablePrefix: ${uniquePrefix()}`, await unreachable(5432));
