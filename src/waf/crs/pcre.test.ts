// PCRE -> JavaScript: flags, scoped case-insensitivity, classes, and literal prefilters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePcre } from './pcre-parse.js';
import { emitJs } from './pcre-emit.js';
import { requiredLiterals } from './regex-prefilter.js';
import { compileRx, linearEngine } from './rx-compile.js';

const js = (p: string, noI = false) => { const { source, flags } = emitJs(parsePcre(p), noI); return new RegExp(source, flags); };

test('(?i) and (?i:...) as ModSecurity reads them; . matches newlines; $ only the end', () => {
  assert.ok(js('(?i)select').test('SeLeCt'));
  assert.ok(js('a(?i:bc)d').test('aBCd'));
  assert.ok(!js('a(?i:bc)d').test('ABCd'), 'outside the scope stays case-sensitive');
  assert.ok(js('(?i:[a-c]x)').test('BX'));
  assert.ok(js('a.b').test('a\nb'));
  assert.ok(js('[[:alpha:]]+\\d').test('ab1'));
  assert.ok(js('\\x5c\\x27').test("\\'"));
  assert.ok(js('a*+b').test('aab'), 'possessive quantifiers become greedy');
  assert.ok(js('(?i)select', true).test('SELECT'), 'letters as classes for the linear engine');
});

test('prefilter literals: alternations, sequences, optional parts', () => {
  assert.deepEqual(requiredLiterals(parsePcre('(?i)\\b(?:union|select)\\b')), ['union', 'select']);
  assert.deepEqual(requiredLiterals(parsePcre('<script[^>]*>')), ['<script']);
  assert.equal(requiredLiterals(parsePcre('a?b*')), undefined);
  assert.deepEqual(requiredLiterals(parsePcre('(?:foo|foobar)x')), ['foo']);
});

test('compiled patterns: linear engine when available, prefilter rejects without running', () => {
  const rx = compileRx('(?i)union\\s+select');
  if (linearEngine()) assert.equal(rx.engine, 'linear');
  assert.ok(rx.exec('1 UNION  SELECT 2'));
  assert.equal(rx.prefilter?.find('nothing here'), undefined);
  assert.equal(compileRx('(a)\\1').engine, 'bounded');
});

test('CRS patterns the linear engine cannot run carry a backtrack limit (all of them: test/waf-regex-linear.test.ts)', async () => {
  const { linearKind } = await import('../regex-linear.js');
  const rx = compileRx('^bytes=(?:(?:\\d+)?-(?:\\d+)?\\s*,?\\s*){63}');
  assert.equal(rx.engine, 'bounded');
  assert.equal(linearKind(rx.matchers[0]!), 'bounded');
  // 920201: exponential for a plain backtracking engine (each `11` splits two ways between two
  // ranges; 20 ranges took 5.5 s, 60 would take centuries); 60 ranges are under the 63 it needs
  assert.equal(rx.exec(`bytes=${'1-11-'.repeat(30)}x`), null);
  assert.ok(rx.exec(`bytes=${'1-2,'.repeat(63)}`));
});
