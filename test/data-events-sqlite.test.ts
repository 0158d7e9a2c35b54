// Record-change events on SQLite (a real file in a temp dir).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { eventsContract } from './data-events-contract.js';
import { uniquePrefix } from './data-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-events-'));
after(() => rmSync(dir, { recursive: true, force: true }));
eventsContract('sqlite', async () => ({ url: '', dataDir: dir, prefix: uniquePrefix() }), false);
