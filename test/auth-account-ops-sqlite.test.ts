// Issue 13's operator commands (strata keys list|revoke|rotate) against a real Strata on the embedded SQLite.
import { accountSafety } from './auth-account-safety.js';

accountSafety('sqlite', async () => '', false, 'ops');
