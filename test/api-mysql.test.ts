// Records API contract on MariaDB/MySQL (database `test`, unique table prefix, dropped after).
import { apiContract } from './api-contract.js';
import { MYSQL_URL, uniquePrefix, unreachable } from './data-helpers.js';

apiContract('mysql', async () => ({ url: MYSQL_URL, dataDir: '', prefix: uniquePrefix() }), await unreachable(3306));
