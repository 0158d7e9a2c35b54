// Issue 13's account-safety attacks over HTTPS on the embedded SQLite.
import { accountSafety } from './auth-account-safety.js';

accountSafety('sqlite', async () => '', false);
