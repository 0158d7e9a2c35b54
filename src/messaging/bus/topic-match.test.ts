import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertPattern, assertTopic, topicMatches } from './topic-match.js';

test('wildcards follow NATS rules', () => {
  const cases: [string, string, boolean][] = [
    ['records.posts.create', 'records.posts.create', true],
    ['records.posts.*', 'records.posts.create', true],
    ['records.posts.*', 'records.posts', false],
    ['records.posts.*', 'records.posts.create.extra', false],
    ['records.*.create', 'records.users.create', true],
    ['records.>', 'records.posts.create', true],
    ['records.>', 'records.posts', true],
    ['records.>', 'records', false],
    ['>', 'anything.at.all', true],
    ['*', 'one', true],
    ['*', 'one.two', false],
    ['a.b', 'a.c', false],
  ];
  for (const [p, t, want] of cases) assert.equal(topicMatches(p, t), want, `${p} vs ${t}`);
});

test('invalid topics and patterns are validation errors', () => {
  for (const bad of ['', 'a..b', 'a.*', 'a b', 'a.>', '.a']) assert.throws(() => assertTopic(bad), { type: 'strata/validation' });
  for (const bad of ['', 'a.>.b', 'a..b', 'a.#', 'a*']) assert.throws(() => assertPattern(bad), { type: 'strata/validation' });
  assert.doesNotThrow(() => assertPattern('records.*.>'));
});
