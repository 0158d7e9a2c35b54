// Records API through the whole server on MariaDB/MySQL (database `test`, a unique table prefix).
import { apiServerContract } from './api-server-contract.js';
import { MYSQL_URL, uniquePrefix, unreachable } from './data-helpers.js';

apiServerContract('mysql', () => `  url: ${MYSQL_URL}\n  tablePrefix: ${uniquePrefix()}`, await unreachable(3306));
