// Data contract on MariaDB/MySQL (database `test`, a unique table prefix per run, dropped after).
import { dataContract } from './data-contract.js';
import { MYSQL_URL, uniquePrefix, unreachable } from './data-helpers.js';

dataContract('mysql', async () => ({ url: MYSQL_URL, dataDir: '.', prefix: uniquePrefix() }), await unreachable(3306));
