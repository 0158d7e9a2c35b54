// Record-change events on PostgreSQL (database `test`, a unique table prefix per run, dropped after).
import { eventsContract } from './data-events-contract.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

eventsContract('postgres', async () => ({ url: PG_URL, dataDir: '.', prefix: uniquePrefix() }), await unreachable(5432), { multiInstance: true });
