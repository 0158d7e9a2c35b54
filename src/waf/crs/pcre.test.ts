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
  assert.equal(compileRx('(a)\\1').engine, 'backtrack');
});

test('every CRS pattern the linear engine cannot run stays fast on adversarial input at its input cap', async () => {
  const { loadCrs } = await import('./crs-load.js');
  const { BACKTRACK_CAP } = await import('./rx-compile.js');
  const l = loadCrs({ paranoia: 4, threshold: 5, allowedMethods: ['GET'], allowedContentTypes: ['application/json'] });
  const units = [' ', 'a', '0', "'", '"', '<', '((', '/', '\\', '&', '=', ';', "' or ", 'select ', 'having ', 'xor ', '`', '-', ',', '\t', '\n', 'bytes=1-2,', '&auml', 'a=1 '];
  let checked = 0;
  for (const list of l.set.phases.values()) {
    for (const c of list.items) {
      if (c.kind !== 'rule') continue;
      for (let r: typeof c | undefined = c; r !== undefined; r = r.chain) {
        const rx = r.op.rx;
        if (rx?.engine !== 'backtrack') continue;
        for (const u of units) {
          const s = u.repeat(Math.ceil((BACKTRACK_CAP * 4) / u.length));
          const t = process.hrtime.bigint();
          rx.exec(s);
          const ms = Number(process.hrtime.bigint() - t) / 1e6;
          // a catastrophic pattern takes seconds to hours here; other tests share the CPU
          assert.ok(ms < 1000, `${c.id} on ${JSON.stringify(u)}: ${ms.toFixed(0)} ms`);
        }
        checked++;
      }
    }
  }
  assert.ok(checked >= 1 && checked <= 12, `backtracking patterns: ${checked}`);
});
