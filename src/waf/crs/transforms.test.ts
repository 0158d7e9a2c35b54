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

// The transformations' shortcuts (a value they would not change is returned as it is; urlDecode
// copies unescaped runs whole) against the plain one-character-at-a-time forms they replaced.
const isHexC = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const hexV = (c: number) => (c <= 57 ? c - 48 : (c | 32) - 87);
const isSp = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0;
const REFERENCE: Record<string, (s: string) => string> = {
  urldecode: (s) => refUrlDecode(s, false),
  urldecodeuni: (s) => refUrlDecode(s, true),
  cmdline: (s) => {
    let out = '', space = false;
    for (const ch of s) {
      if (ch === '\\' || ch === '"' || ch === "'" || ch === '^') continue;
      if (isSp(ch.charCodeAt(0)) || ch === ',' || ch === ';') { space = true; continue; }
      if (space) { if (ch !== '/' && ch !== '(' && out !== '') out += ' '; space = false; }
      out += ch.toLowerCase();
    }
    return space ? out + ' ' : out;
  },
  compresswhitespace: (s) => {
    let out = '', sp = false;
    for (const ch of s) { if (isSp(ch.charCodeAt(0))) { if (!sp) out += ' '; sp = true; } else { out += ch; sp = false; } }
    return out;
  },
  utf8tounicode: (s) => {
    let out = '';
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      let n = 0, cp = 0;
      if (c >= 0xc0 && c < 0xe0) { n = 1; cp = c & 0x1f; } else if (c >= 0xe0 && c < 0xf0) { n = 2; cp = c & 0x0f; } else if (c >= 0xf0 && c < 0xf8) { n = 3; cp = c & 0x07; }
      let ok = n > 0 && i + n < s.length;
      for (let k = 1; ok && k <= n; k++) { const b = s.charCodeAt(i + k); if ((b & 0xc0) !== 0x80) ok = false; else cp = (cp << 6) | (b & 0x3f); }
      if (!ok) { out += s[i]; continue; }
      out += `%u${cp.toString(16).padStart(4, '0')}`;
      i += n;
    }
    return out;
  },
};
function refUrlDecode(s: string, uni: boolean): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 43) { out += ' '; continue; }
    if (c === 37) {
      if (uni && (s.charCodeAt(i + 1) | 32) === 117 && i + 5 < s.length && [2, 3, 4, 5].every((k) => isHexC(s.charCodeAt(i + k)))) {
        const code = parseInt(s.slice(i + 2, i + 6), 16);
        out += String.fromCharCode(code >= 0xff01 && code <= 0xff5e ? code - 0xfee0 : code & 0xff);
        i += 5;
        continue;
      }
      if (isHexC(s.charCodeAt(i + 1)) && isHexC(s.charCodeAt(i + 2))) { out += String.fromCharCode(hexV(s.charCodeAt(i + 1)) * 16 + hexV(s.charCodeAt(i + 2))); i += 2; continue; }
    }
    out += s[i];
  }
  return out;
}

test('shortcuts give what the one-character-at-a-time forms give, on 200,000 random values', () => {
  const alphabet = 'aZ%+2fFuU0\\\'"^,; \t\n\xa0\xc3\xa9\xe2\x80\xf0/.&#x<>A\xc0\xde\xdf-';
  let seed = 1;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return Math.floor((seed / 2 ** 31) * n); };
  for (let i = 0; i < 200_000; i++) {
    let s = '';
    const len = rnd(20);
    for (let k = 0; k < len; k++) s += alphabet[rnd(alphabet.length)];
    for (const [name, ref] of Object.entries(REFERENCE)) assert.equal(T[name](s), ref(s), `${name}(${JSON.stringify(s)})`);
  }
  // and a value they would not change is the same string
  for (const name of ['cmdline', 'compresswhitespace', 'utf8tounicode', 'urldecode']) assert.equal(T[name]('plain value'.replace(' ', name === 'cmdline' ? '' : ' ')), name === 'cmdline' ? 'plainvalue' : 'plain value');
});
