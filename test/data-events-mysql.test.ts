// Record-change events on MariaDB/MySQL (database `test`, a unique table prefix per run, dropped after).
import { eventsContract } from './data-events-contract.js';
import { MYSQL_URL, uniquePrefix, unreachable } from './data-helpers.js';

eventsContract('mysql', async () => ({ url: MYSQL_URL, dataDir: '.', prefix: uniquePrefix() }), await unreachable(3306), { multiInstance: true });
