// Data contract on SQLite (a real file in a temp dir).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { dataContract } from './data-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-data-'));
after(() => rmSync(dir, { recursive: true, force: true }));
dataContract('sqlite', async () => ({ url: '', dataDir: dir, prefix: '' }), false);
