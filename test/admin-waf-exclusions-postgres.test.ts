// Runtime WAF exclusions on PostgreSQL, two instances on one database (scenario in admin-waf-exclusions.ts).
import { PG_URL, uniquePrefix, unreachable } from './data-helpers.js';
import { wafExclusionsSuite } from './admin-waf-exclusions.js';

const prefix = uniquePrefix();
wafExclusionsSuite('postgres', () => ({ 'data.url': PG_URL, 'data.tablePrefix': prefix }), process.env.CI === 'true' ? false : await unreachable(5432));
