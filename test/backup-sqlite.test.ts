// The restore drill on SQLite (the default engine): the data directory's SQLite files, keys and config.
import { backupContract } from './backup-contract.js';

backupContract('sqlite', () => ({ data: '' }), false);
