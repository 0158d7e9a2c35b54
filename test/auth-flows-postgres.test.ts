// Auth flows over HTTPS on PostgreSQL (database `test`, a unique table prefix).
import { authFlows } from './auth-flows.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

authFlows('postgres', async () => ({ data: `  url: ${PG_URL}\n  tablePrefix: ${uniquePrefix()}` }), await unreachable(5432));
