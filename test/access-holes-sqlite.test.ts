// Holes 2-4 of issue 13 (test/access-holes.ts) on SQLite.
import { accessHolesContract } from './access-holes.js';

accessHolesContract('sqlite', () => '', false);
