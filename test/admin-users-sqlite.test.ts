// The superuser API for accounts of auth collections against Strata on its default SQLite database (admin-users.ts).
import { adminUsersSuite } from './admin-users.js';

adminUsersSuite('sqlite', () => undefined, false);
