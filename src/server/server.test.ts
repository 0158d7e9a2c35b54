import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../config/index.js';
import { createServer } from './server.js';

// Before start() nothing listens (the edge starts last), so readiness is only observable from ready on.
test('readiness is 200 when ready and 503 while draining', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-ready-'));
  const { config } = loadConfig({ cwd: dataDir, env: {}, overrides: { dataDir, 'server.http.port': 0, 'server.https.enabled': false } });
  const server = await createServer(config, pino({ level: 'silent' }));
  const probe = async () => (await server.edge.app.inject({ url: '/readyz' })).statusCode;
  await server.start();
  assert.equal(await probe(), 200);
  server.readiness.phase = 'draining';
  const r = await server.edge.app.inject({ url: '/readyz' });
  assert.equal(r.statusCode, 503);
  assert.equal(r.json().phase, 'draining');
  server.readiness.phase = 'ready';
  await server.stop();
});

test('a component that reports not ready makes /readyz 503 and names it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-ready-'));
  const { config } = loadConfig({ cwd: dataDir, env: {}, overrides: { dataDir, 'server.http.port': 0, 'server.https.enabled': false } });
  const server = await createServer(config, pino({ level: 'silent' }));
  let ok = false;
  server.readiness.track({ name: 'database', ready: () => ok });
  await server.start();
  let r = await server.edge.app.inject({ url: '/readyz' });
  assert.equal(r.statusCode, 503);
  assert.equal(r.json().components.database, 'not-ready');
  ok = true;
  r = await server.edge.app.inject({ url: '/readyz' });
  assert.equal(r.statusCode, 200);
  await server.stop();
});
