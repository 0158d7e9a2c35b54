import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../config/index.js';
import { cacheComponent } from './index.js';

test('config picks the store: tiered over disk from STRATA_* env, with defaults filled in', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-cc-'));
  try {
    const { config } = loadConfig({ cwd: dataDir, env: { STRATA_CACHE_STORE: 'tiered', STRATA_CACHE_TIERED_BACK: 'disk' } });
    assert.equal(config.cache.memory.maxBytes, 64 * 1024 * 1024);
    const c = cacheComponent(config.cache, { dataDir });
    await c.start?.();
    await c.cache.set('a', { b: 1 }, { tags: ['t'] });
    assert.deepEqual(await c.cache.get('a'), { b: 1 });
    await c.stop?.();
    const again = cacheComponent(config.cache, { dataDir });
    await again.start?.();
    assert.deepEqual(await again.cache.get('a'), { b: 1 }, 'disk tier persisted across restart');
    await again.stop?.();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a bad store name stops start-up with a config error', () => {
  assert.throws(() => loadConfig({ cwd: tmpdir(), env: { STRATA_CACHE_STORE: 'mongo' } }), /cache\.store/);
});
