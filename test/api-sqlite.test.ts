// Records API contract on SQLite.
import { apiContract } from './api-contract.js';

apiContract('sqlite', async () => ({ url: '', dataDir: '', prefix: '' }), false);
