import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configReference, configLeaves } from './index.js';

test('docs/configuration.md is in sync with the schema (run npm run docs:config)', () => {
  const doc = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(doc, configReference());
  for (const leaf of configLeaves()) {
    assert.ok(doc.includes(`\`${leaf.key}\``), leaf.key);
    assert.ok(doc.includes(`\`${leaf.env}\``), leaf.env);
  }
});
