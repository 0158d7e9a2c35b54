// Auth flows over HTTPS on the embedded SQLite.
import { authFlows } from './auth-flows.js';

authFlows('sqlite', async () => ({ data: '' }), false);
