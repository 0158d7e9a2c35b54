// ModSecurity 2.9 transformations on byte strings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSFORMS as T } from './transforms.js';

test('decoders', () => {
  assert.equal(T.urldecode('a%27+b%zz'), "a' b%zz");
  assert.equal(T.urldecodeuni('%u0027%uff1c'), "'<");
  assert.equal(T.htmlentitydecode('&lt;&#x3c;&#60;&quot;&nbsp;&bogus;'), '<<<"\xa0&bogus;');
  assert.equal(T.jsdecode('\\x3c\\u003c\\74\\n'), '<<<\n');
  assert.equal(T.cssdecode('\\3c \\000027x\\\nz\\q'), "<'xzq");
  assert.equal(T.base64decode('PHNjcmlwdD4='), '<script>');
  assert.equal(T.hexdecode('3c73'), '<s');
  assert.equal(T.utf8tounicode('\xc3\xa9a'), '%u00e9a');
});

test('normalizers', () => {
  assert.equal(T.cmdline("C^:\\W'in\"dows , /c  dir;ls"), 'c:windows/c dir ls');
  assert.equal(T.compresswhitespace('a \t\n b'), 'a b');
  assert.equal(T.removewhitespace(' a b\t'), 'ab');
  assert.equal(T.removenulls('a\0b'), 'ab');
  assert.equal(T.replacecomments('a/*x*/b/*y'), 'a b ');
  assert.equal(T.removecomments('a/*x*/b-- c'), 'ab');
  assert.equal(T.normalisepath('/a/./b/../../../etc//passwd'), '/etc/passwd');
  assert.equal(T.normalisepathwin('a\\..\\..\\b'), '../b');
  assert.equal(T.length('abc'), '3');
  assert.equal(T.hexencode(T.sha1('abc')), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(T.lowercase('AbC'), 'abc');
});
