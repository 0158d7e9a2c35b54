// Data contract on PostgreSQL (database `test`, a unique table prefix per run, dropped after).
import { dataContract } from './data-contract.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

dataContract('postgres', async () => ({ url: PG_URL, dataDir: '.', prefix: uniquePrefix() }), await unreachable(5432));
