// The CRS engine's detections on every corpus case are pinned: a change made for speed
// (rule-run, rule-variables, transaction, the value memo) must find exactly what the engine
// found before it, rule by rule, location by location (issue 14's cost work). The digest
// was taken with the engine before that work (commit d1d7642); when a change is meant to
// alter detections, take the new one with `node --import tsx test/waf-crs-outcomes.ts`
// and say in the commit which outcomes moved and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outcomeDigest } from './waf-crs-outcomes.js';

const PINNED = '3a833c7d91111576ad86db7be2a94b41d652a809a284ac717eca43ea0cf3fdb3';

test('CRS engine: every corpus case at PL1 and PL4, and at PL1 through the value memo (three passes), detects exactly what it did', () => {
  const r = outcomeDigest([1, 4], [1]);
  assert.equal(r.lines, 18_520);
  assert.ok(r.detections > 70_000, `${r.detections} detections`);
  assert.equal(r.digest, PINNED);
});
