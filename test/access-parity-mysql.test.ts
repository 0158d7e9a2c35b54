// The transport parity contract (test/access-parity.ts) on MariaDB/MySQL (database `test`, a unique table prefix);
// skipped with a reason when nothing listens on 3306, except under CI=true.
import { parityContract } from './access-parity.js';
import { MYSQL_URL, uniquePrefix, unreachable } from './data-helpers.js';

parityContract('mysql', () => `  url: ${MYSQL_URL}\n  tablePrefix: ${uniquePrefix()}`, await unreachable(3306));
