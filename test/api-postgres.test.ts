// Records API contract on PostgreSQL (database `test`, unique table prefix, dropped after).
import { apiContract } from './api-contract.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

apiContract('postgres', async () => ({ url: PG_URL, dataDir: '', prefix: uniquePrefix() }), await unreachable(5432));
