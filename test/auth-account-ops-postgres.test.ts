// Issue 13's operator commands (strata keys list|revoke|rotate) against a real Strata on PostgreSQL.
import { accountSafety } from './auth-account-safety.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

accountSafety('postgres', async () => `  url: ${PG_URL}\n  tablePrefix: ${uniquePrefix()}`, await unreachable(5432), 'ops');
