// Pure parts of realtime: client message validation and topic-pattern containment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClientMessage, ProtocolError } from './protocol.js';
import { patternWithin } from './topic-allow.js';

test('client messages: valid shapes parse, everything else is a ProtocolError with a code', () => {
  assert.deepEqual(parseClientMessage('{"type":"subscribe","id":"a","collection":"posts","filter":"x > 1"}'), { type: 'subscribe', id: 'a', collection: 'posts', filter: 'x > 1' });
  assert.deepEqual(parseClientMessage('{"type":"subscribe","id":"a","collection":"posts","filter":"  "}'), { type: 'subscribe', id: 'a', collection: 'posts' });
  assert.deepEqual(parseClientMessage('{"type":"subscribe","id":"t","topic":"app.>"}'), { type: 'subscribe', id: 't', topic: 'app.>' });
  assert.deepEqual(parseClientMessage('{"type":"resume","after":"000000000042"}'), { type: 'resume', after: '000000000042' });
  const bad: Array<[string, string]> = [
    ['', 'bad_message'],
    ['null', 'bad_message'],
    ['"x"', 'bad_message'],
    ['{"type":"nope"}', 'unknown_type'],
    ['{"type":"auth"}', 'invalid'],
    [`{"type":"auth","token":"${'a'.repeat(9000)}"}`, 'invalid'],
    ['{"type":"subscribe","id":"a","collection":"1posts"}', 'invalid'],
    ['{"type":"subscribe","id":"a","collection":"posts","record":"../x"}', 'invalid'],
    [`{"type":"subscribe","id":"a","collection":"posts","filter":"${'a'.repeat(3000)}"}`, 'invalid'],
    ['{"type":"subscribe","id":"a","topic":"app.x","collection":"posts"}', 'invalid'],
    ['{"type":"subscribe","id":"\\"","collection":"posts"}', 'invalid'],
    ['{"type":"unsubscribe"}', 'invalid'],
    ['{"type":"resume","after":"-1"}', 'invalid'],
    ['{"type":"resume","after":1}', 'invalid'],
  ];
  for (const [text, code] of bad) {
    assert.throws(() => parseClientMessage(text), (e: unknown) => e instanceof ProtocolError && e.code === code, text.slice(0, 80));
  }
});

test('topic patterns: a client pattern must be covered by an allowed one', () => {
  const cases: Array<[string, string, boolean]> = [
    ['app.chat.room1', 'app.>', true],
    ['app.chat.*', 'app.>', true],
    ['app.>', 'app.>', true],
    ['app', 'app.>', false],
    ['>', 'app.>', false],
    ['*.chat', 'app.>', false],
    ['records.posts.create', 'app.>', false],
    ['app.chat', 'app.*', true],
    ['app.*', 'app.*', true],
    ['app.>', 'app.*', false],
    ['app.chat.x', 'app.*', false],
    ['app.chat', 'app.chat', true],
    ['app.*', 'app.chat', false],
  ];
  for (const [sub, allowed, ok] of cases) assert.equal(patternWithin(sub, allowed), ok, `${sub} within ${allowed}`);
});
