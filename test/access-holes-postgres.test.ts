// Holes 2-4 of issue 13 (test/access-holes.ts) on PostgreSQL (database `test`, a unique table prefix);
// skipped with a reason when nothing listens on 5432, except under CI=true.
import { accessHolesContract } from './access-holes.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

accessHolesContract('postgres', () => `  url: ${PG_URL}\n  tablePrefix: ${uniquePrefix()}`, await unreachable(5432));
