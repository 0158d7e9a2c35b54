import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseSecLang, splitActions, splitWords } from './seclang-parse.js';

test('directives: continuations, quotes, comments, chains', () => {
  const d = parseSecLang(`# comment
SecRule REQUEST_HEADERS:User-Agent "@rx ^a\\"b$" \\
    "id:1,\\
    phase:1,\\
    msg:'it''s, here',\\
    chain"
    SecRule ARGS "!@pm x y" "t:none"
SecMarker "END"
SecAction "id:2,pass,setvar:'tx.a=1'"
SecComponentSignature "x"`);
  assert.equal(d.length, 4);
  assert.deepEqual(d[0], { kind: 'rule', variables: 'REQUEST_HEADERS:User-Agent', operator: '@rx ^a"b$', actions: "id:1,    phase:1,    msg:'it''s, here',    chain", line: 2 });
  assert.equal(d[1].kind === 'rule' && d[1].operator, '!@pm x y');
  assert.deepEqual(d[2], { kind: 'marker', name: 'END', line: 8 });
  assert.equal(d[3].kind, 'action');
});

test('actions: quoted values keep commas; backslashes other than before the quote stay', () => {
  assert.deepEqual(splitActions("id:1,msg:'a, b',t:none,setvar:'tx.x=+%{tx.y}',capture"), [
    { name: 'id', value: '1' }, { name: 'msg', value: 'a, b' }, { name: 't', value: 'none' }, { name: 'setvar', value: 'tx.x=+%{tx.y}' }, { name: 'capture', value: '' },
  ]);
  assert.deepEqual(splitWords('a "b\\\\c \\"d" e'), ['a', 'b\\\\c "d', 'e']);
});
