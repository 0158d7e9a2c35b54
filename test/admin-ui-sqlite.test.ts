// The admin UI in Chromium against Strata on its default SQLite database (scenarios in admin-ui-scenarios.ts).
import { adminUiSuite } from './admin-ui-scenarios.js';

adminUiSuite('sqlite', () => undefined, false);
