// Records API through the whole server on SQLite.
import { apiServerContract } from './api-server-contract.js';

apiServerContract('sqlite', () => '', false);
