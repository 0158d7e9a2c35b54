import { test } from 'node:test';
import assert from 'node:assert/strict';
import { urlDecodeRepeated, htmlEntityDecode, nfkc, stripComments, compactWhitespace, stripNulls } from '../src/waf/transform-decode.js';
import { InputView } from '../src/waf/transform-view.js';

test('URL decoding is repeated up to the bound and stops when nothing changes', () => {
  assert.equal(urlDecodeRepeated('%27').value, "'");
  assert.equal(urlDecodeRepeated('%2527').value, "'");
  assert.equal(urlDecodeRepeated('%252527').value, "'");
  assert.equal(urlDecodeRepeated('%25252527').value, '%27', 'three passes, then stop');
  assert.equal(urlDecodeRepeated('%25252527', 4).value, "'");
  assert.equal(urlDecodeRepeated('plain').passes, 0);
  assert.equal(urlDecodeRepeated('caf%C3%A9').value, 'café');
});

test('IIS %u, overlong UTF-8 and invalid escapes', () => {
  assert.equal(urlDecodeRepeated('%u002e%u002e%u002f').value, '../');
  const o = urlDecodeRepeated('..%c0%af..%c0%afetc');
  assert.equal(o.value, '../../etc');
  assert.equal(o.overlong, true);
  assert.equal(urlDecodeRepeated('%e0%80%ae').value, '.');
  assert.equal(urlDecodeRepeated('%e0%80%ae').overlong, true);
  assert.equal(urlDecodeRepeated('%c3%a9').overlong, false);
  const bad = urlDecodeRepeated('100%zz%41');
  assert.equal(bad.value, '100%zzA');
  assert.equal(bad.invalid, true);
  assert.equal(urlDecodeRepeated('%ff%fe').value, '\u00ff\u00fe', 'junk bytes decode as Latin-1, never throw');
});

test('HTML entities: named, decimal, hex, without semicolons', () => {
  assert.equal(htmlEntityDecode('&lt;script&gt;'), '<script>');
  assert.equal(htmlEntityDecode('&#106;&#x61;&#X76;&#97'), 'java');
  assert.equal(htmlEntityDecode('&colon;&Tab;&NewLine;'), ':\t\n');
  assert.equal(htmlEntityDecode('Tom &amp; Jerry &unknown;'), 'Tom & Jerry &unknown;');
  assert.equal(htmlEntityDecode('&#0;&#99999999;'), '\ufffd\ufffd');
});

test('NFKC folds full-width forms and best-fit slashes', () => {
  assert.equal(nfkc('＜ｓｃｒｉｐｔ＞'), '<script>');
  assert.equal(nfkc('\uff07 or 1\uff1d1'), "' or 1=1");
  assert.equal(nfkc('..\u2215etc'), '../etc');
  assert.equal(nfkc('ascii'), 'ascii');
});

test('comments, whitespace and null bytes', () => {
  assert.equal(stripComments('un/**/ion sel/* x */ect'), 'union select');
  assert.equal(stripComments('a /* unterminated'), 'a ');
  assert.equal(compactWhitespace('a \t\n\u00a0 b'), 'a b');
  assert.equal(stripNulls('a\0b'), 'ab');
});

test('InputView memoizes views and reports flags', () => {
  const v = new InputView('%3CScRiPt%00%3E&#x41;');
  assert.equal(v.decoded, '<ScRipt>&#x41;'.replace('Ript', 'RiPt'));
  assert.equal(v.lower, '<script>&#x41;');
  assert.equal(v.entities, '<script>a');
  assert.equal(v.nullByte, true);
  assert.equal(v.decodePasses, 1);
  assert.equal(v.decoded, v.decoded);
});

test('value cache: a value is stored on its second offer, found only under its location and name, and evicted by a value for its slot', async () => {
  const { ValueCache, valueHash } = await import('../src/waf/value-cache.js');
  const c = new ValueCache<number>(4);
  const h = valueHash('a');
  c.offer('a', 'query', 'q', h, 1);
  assert.equal(c.get('a', 'query', 'q', h), undefined, 'a first offer only remembers the hash');
  c.offer('a', 'query', 'q', h, 1);
  assert.equal(c.get('a', 'query', 'q', h), 1, 'stored on the second');
  assert.equal(c.get('a', 'query', 'other', h), undefined, 'another parameter name');
  assert.equal(c.get('a', 'header', 'q', h), undefined, 'another location');
  // a value whose hash lands in the same slot replaces it (after its own two offers)
  let other = 'b';
  for (let i = 0; (valueHash(other) & 3) !== (h & 3); i++) other = `b${i}`;
  const ho = valueHash(other);
  c.offer(other, 'query', 'q', ho, 2);
  assert.equal(c.get('a', 'query', 'q', h), 1, 'a first offer of another value leaves the entry');
  c.offer(other, 'query', 'q', ho, 2);
  assert.equal(c.get(other, 'query', 'q', ho), 2);
  assert.equal(c.get('a', 'query', 'q', h), undefined, 'evicted');
});

test('value cache: values that never repeat are never stored; one that repeats is', async () => {
  const { ValueCache, valueHash } = await import('../src/waf/value-cache.js');
  const c = new ValueCache<number>(1024);
  const offer = (v: string) => { const h = valueHash(v); if (c.get(v, 'query', 'q', h) === undefined) c.offer(v, 'query', 'q', h, 1); };
  for (let i = 0; i < 10_000; i++) offer(`unique-${i}`);
  let stored = 0;
  for (let i = 0; i < 10_000; i++) if (c.get(`unique-${i}`, 'query', 'q', valueHash(`unique-${i}`)) !== undefined) stored++;
  assert.equal(stored, 0);
  offer('same'); offer('same');
  assert.equal(c.get('same', 'query', 'q', valueHash('same')), 1);
});

test('cookie parsing gives what split/trim parsing gives, on random headers', async () => {
  const { parseCookies } = await import('../src/waf/request-parts.js');
  const reference = (header: string) => {
    const out: Array<{ location: string; name: string; value: string }> = [];
    for (const piece of header.split(';')) {
      const eq = piece.indexOf('=');
      if (eq === -1) continue;
      const name = piece.slice(0, eq).trim();
      let value = piece.slice(eq + 1).trim();
      if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
      if (value !== '') out.push({ location: 'cookie', name, value });
    }
    return out;
  };
  const alphabet = ['a', 'b', '=', ';', ' ', '"', '\t', '\u00a0', '\ufeff', '\u3000', 'x', 'é', '%', '\n'];
  let seed = 11;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return Math.floor((seed / 2 ** 31) * n); };
  const headers = ['session=s%3Aabc.def; theme=dark; lang=en', ' a = 1 ;b=2;;=3;c', 'q="quoted"; e=""; f="', '', ';;;', '==;=='];
  for (let i = 0; i < 5000; i++) headers.push(Array.from({ length: rnd(40) }, () => alphabet[rnd(alphabet.length)]).join(''));
  for (const h of headers) {
    const got: unknown[] = [];
    parseCookies(h, got as never);
    assert.deepEqual(got, reference(h), JSON.stringify(h));
  }
});
