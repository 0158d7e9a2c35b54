// The transport parity contract (test/access-parity.ts) on PostgreSQL (database `test`, a unique table prefix);
// skipped with a reason when nothing listens on 5432, except under CI=true.
import { parityContract } from './access-parity.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

parityContract('postgres', () => `  url: ${PG_URL}\n  tablePrefix: ${uniquePrefix()}`, await unreachable(5432));
