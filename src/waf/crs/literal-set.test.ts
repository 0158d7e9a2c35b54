import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LiteralSet } from './literal-set.js';

test('literal set: finds a literal exactly when one occurs, on random text and on a CRS data file', () => {
  let seed = 7;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return Math.floor((seed / 2 ** 31) * n); };
  const alphabet = 'abcab/.-_ $é';
  const word = (k: number) => Array.from({ length: k }, () => alphabet[rnd(alphabet.length)]).join('');
  const lists = [
    Array.from({ length: 40 }, () => word(1 + rnd(5))),
    readFileSync(new URL('../../../vendor/owasp-crs/rules/unix-shell.data', import.meta.url), 'latin1').split('\n').filter((l) => l !== '' && !l.startsWith('#')),
    ['he', 'she', 'his', 'hers', 'usher'],
  ];
  for (const words of lists) {
    const set = new LiteralSet(words);
    const lower = [...new Set(words.map((w) => w.toLowerCase()))];
    for (let i = 0; i < 3000; i++) {
      const v = i % 3 === 0 ? `${word(rnd(20))}${words[rnd(words.length)].toLowerCase()}${word(rnd(20))}` : word(rnd(60));
      const found = set.find(v);
      const expected = lower.some((w) => v.includes(w));
      assert.equal(found !== undefined, expected, `${JSON.stringify(v)} -> ${found}`);
      if (found !== undefined) assert.ok(v.includes(found), `${found} in ${v}`);
    }
  }
  assert.equal(new LiteralSet(['ab', 'bc', 'cd', 'de', 'ef']).find('xxbcxx'), 'bc');
  assert.equal(new LiteralSet(['ab', 'bc', 'cd', 'de', 'ef']).find('aXbXc'), undefined);
});
