// Identity and revocation (issue 13, holes 1, 6, 10) over HTTPS on PostgreSQL (database `test`, a unique table prefix).
import { identityFlows } from './auth-identity.js';
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const prefix = uniquePrefix();
identityFlows('postgres', () => `  url: ${PG_URL}\n  tablePrefix: ${prefix}`, await unreachable(5432));
