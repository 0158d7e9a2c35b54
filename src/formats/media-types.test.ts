// The one media-type registry: every place that lists body formats reads it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BODY_MEDIA_TYPES, CODECS, MEDIA_TYPES, RPC_MEDIA_TYPES } from './index.js';
import { loadConfig } from '../config/index.js';

test('the WAF accepts by default every media type a format or the RPC room reads, the codecs speak the registry', () => {
  const { config } = loadConfig({ cwd: '/nonexistent', env: {}, overrides: {} });
  const allowed = new Set(config.waf.limits.allowedContentTypes);
  for (const t of BODY_MEDIA_TYPES) assert.ok(allowed.has(t), t);
  for (const t of RPC_MEDIA_TYPES) assert.ok(BODY_MEDIA_TYPES.includes(t), t);
  for (const c of CODECS) assert.deepEqual([...c.mediaTypes], [...MEDIA_TYPES[c.name as keyof typeof MEDIA_TYPES]], c.name);
});
