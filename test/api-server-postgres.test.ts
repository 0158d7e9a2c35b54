// Records API through the whole server on PostgreSQL (database `test`, a unique table prefix).
import { apiServerContract } from './api-server-contract.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

apiServerContract('postgres', () => `  url: ${PG_URL}\n  tablePrefix: ${uniquePrefix()}`, await unreachable(5432));
