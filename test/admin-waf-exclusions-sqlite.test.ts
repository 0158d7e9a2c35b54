// Runtime WAF exclusions on the default SQLite database (scenario in admin-waf-exclusions.ts).
import { wafExclusionsSuite } from './admin-waf-exclusions.js';

wafExclusionsSuite('sqlite', () => ({}), false);
