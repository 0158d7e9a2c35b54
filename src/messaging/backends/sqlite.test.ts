import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { queueBackendContract } from '../queue.contract.js';
import { sqliteQueue } from './sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-q-'));
after(() => rmSync(dir, { recursive: true, force: true }));

queueBackendContract('sqlite', { make: async () => sqliteQueue({ file: join(dir, 'queues.db'), pollMs: 20 }) });
