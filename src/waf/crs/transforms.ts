// ModSecurity 2.9 transformation functions (t:...), on byte strings (one char per byte,
// as ModSecurity sees a request): each takes a value and returns the transformed value.
import { createHash } from 'node:crypto';
import { linearRx } from '../regex-linear.js';

const HTML_ENTITY = linearRx(/&(?:#[xX]([0-9a-fA-F]+);?|#([0-9]+);?|(quot|amp|lt|gt|nbsp);)/gi);

export type Transform = (s: string) => string;

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
const hexVal = (c: number) => (c <= 57 ? c - 48 : (c | 32) - 87);
/** A %uXXXX / \uXXXX code point as one byte: full-width ASCII (U+FF01-FF5E) maps to ASCII, else the low byte (ModSecurity without a unicode map). */
const uniByte = (code: number) => String.fromCharCode(code >= 0xff01 && code <= 0xff5e ? code - 0xfee0 : code & 0xff);
const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0;

function urlDecode(s: string, uni: boolean): string {
  let i = s.indexOf('%');
  const plus = s.indexOf('+');
  if (i === -1 && plus === -1) return s;
  if (i === -1 || (plus !== -1 && plus < i)) i = plus;
  // unescaped runs are copied whole (one slice each), not char by char
  let out = s.slice(0, i);
  let run = i;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 43) { out += s.slice(run, i) + ' '; run = i + 1; continue; }
    if (c === 37) {
      if (uni && (s.charCodeAt(i + 1) | 32) === 117 && i + 5 < s.length + 0 && isHex(s.charCodeAt(i + 2)) && isHex(s.charCodeAt(i + 3)) && isHex(s.charCodeAt(i + 4)) && isHex(s.charCodeAt(i + 5))) {
        out += s.slice(run, i) + uniByte(parseInt(s.slice(i + 2, i + 6), 16));
        i += 5;
        run = i + 1;
        continue;
      }
      if (isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
        out += s.slice(run, i) + String.fromCharCode(hexVal(s.charCodeAt(i + 1)) * 16 + hexVal(s.charCodeAt(i + 2)));
        i += 2;
        run = i + 1;
        continue;
      }
    }
  }
  return run < s.length ? out + s.slice(run) : out;
}

const ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', nbsp: '\xa0' };

function htmlEntityDecode(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(HTML_ENTITY, (m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (hex !== undefined) return String.fromCharCode(parseInt(hex.slice(-6), 16) & 0xff);
    if (dec !== undefined) return String.fromCharCode(Number(dec.slice(-8)) & 0xff);
    return ENTITIES[(name as string).toLowerCase()] ?? m;
  });
}

function jsDecode(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(?:[uU]([0-9a-fA-F]{4})|[xX]([0-9a-fA-F]{2})|([0-7]{1,3})|([\s\S]))/g, (_m, u: string | undefined, x: string | undefined, o: string | undefined, c: string | undefined) => {
    if (u !== undefined) return uniByte(parseInt(u, 16));
    if (x !== undefined) return String.fromCharCode(parseInt(x, 16));
    if (o !== undefined) return String.fromCharCode(parseInt(o, 8) & 0xff);
    const map: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    return map[c as string] ?? (c as string);
  });
}

function cssDecode(s: string): string {
  if (!s.includes('\\')) return s;
  return s.replace(/\\(?:([0-9a-fA-F]{1,6})[ \t\n\f\r]?|(\n)|([\s\S]))/g, (_m, h: string | undefined, nl: string | undefined, c: string | undefined) => {
    if (h !== undefined) return uniByte(parseInt(h, 16));
    if (nl !== undefined) return '';
    return c as string;
  });
}

/** Characters cmdLine changes (deletes, turns into a space, or lower-cases); a value without them is its own result. */
const CMDLINE_CHANGES = /[\\"'^,;\s\xa0A-Z\xc0-\xde]/;

function cmdLine(s: string): string {
  if (!CMDLINE_CHANGES.test(s)) return s;
  let out = '';
  let space = false;
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    const c = s.charCodeAt(i);
    if (ch === '\\' || ch === '"' || ch === "'" || ch === '^') continue;
    if (isSpace(c) || ch === ',' || ch === ';') { space = true; continue; }
    if (space) {
      // spaces before / and ( are deleted
      if (ch !== '/' && ch !== '(' && out !== '') out += ' ';
      space = false;
    }
    out += ch.toLowerCase();
  }
  if (space) out += ' ';
  return out;
}

/** Whitespace compressWhitespace changes: a run of two, or any but a plain space. */
const COMPRESSIBLE = /[\t-\r\xa0]| {2}/;

function compressWhitespace(s: string): string {
  if (!COMPRESSIBLE.test(s)) return s;
  let out = '';
  let sp = false;
  for (let i = 0; i < s.length; i++) {
    if (isSpace(s.charCodeAt(i))) { if (!sp) out += ' '; sp = true; } else { out += s[i]; sp = false; }
  }
  return out;
}

function removeComments(s: string, replace: boolean): string {
  let out = s.replace(/\/\*[\s\S]*?(?:\*\/|$)|<!--[\s\S]*?(?:-->|$)/g, replace ? ' ' : '');
  if (!replace) out = out.replace(/(?:--|#)[^\n]*/g, '');
  return out;
}

function normalisePath(s: string, win: boolean): string {
  if (win) s = s.replace(/\\/g, '/');
  if (!s.includes('/') && !s.includes('.')) return s;
  const abs = s.startsWith('/');
  const trailing = s.endsWith('/') || s.endsWith('/.') || s.endsWith('/..');
  const out: string[] = [];
  for (const seg of s.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!abs) out.push('..');
      continue;
    }
    out.push(seg);
  }
  let r = (abs ? '/' : '') + out.join('/');
  if (trailing && out.length > 0) r += '/';
  return r;
}

/** A lead byte of a UTF-8 sequence: without one, utf8toUnicode changes nothing. */
const UTF8_LEAD = /[\xc0-\xf7]/;

function utf8toUnicode(s: string): string {
  if (!UTF8_LEAD.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let n = 0, cp = 0;
    if (c >= 0xc0 && c < 0xe0) { n = 1; cp = c & 0x1f; }
    else if (c >= 0xe0 && c < 0xf0) { n = 2; cp = c & 0x0f; }
    else if (c >= 0xf0 && c < 0xf8) { n = 3; cp = c & 0x07; }
    let ok = n > 0 && i + n < s.length + 0;
    for (let k = 1; ok && k <= n; k++) { const b = s.charCodeAt(i + k); if ((b & 0xc0) !== 0x80) ok = false; else cp = (cp << 6) | (b & 0x3f); }
    if (!ok) { out += s[i]; continue; }
    out += `%u${cp.toString(16).padStart(4, '0')}`;
    i += n;
  }
  return out;
}

function hexDecode(s: string): string {
  let out = '';
  for (let i = 0; i + 1 < s.length; i += 2) {
    const a = s.charCodeAt(i), b = s.charCodeAt(i + 1);
    if (!isHex(a) || !isHex(b)) break;
    out += String.fromCharCode(hexVal(a) * 16 + hexVal(b));
  }
  return out;
}

const bytes = (s: string) => Buffer.from(s, 'latin1');

/** The transformations by their (lower-cased) SecLang names. */
export const TRANSFORMS: Record<string, Transform> = {
  lowercase: (s) => s.toLowerCase(),
  uppercase: (s) => s.toUpperCase(),
  urldecode: (s) => urlDecode(s, false),
  urldecodeuni: (s) => urlDecode(s, true),
  htmlentitydecode: htmlEntityDecode,
  jsdecode: jsDecode,
  cssdecode: cssDecode,
  cmdline: cmdLine,
  compresswhitespace: compressWhitespace,
  removewhitespace: (s) => s.replace(/[\s\xa0]+/g, ''),
  removenulls: (s) => (s.includes('\0') ? s.replace(/\0/g, '') : s),
  replacenulls: (s) => (s.includes('\0') ? s.replace(/\0/g, ' ') : s),
  removecomments: (s) => removeComments(s, false),
  replacecomments: (s) => removeComments(s, true),
  removecommentschar: (s) => s.replace(/\/\*|\*\/|--|#/g, ''),
  normalisepath: (s) => normalisePath(s, false),
  normalizepath: (s) => normalisePath(s, false),
  normalisepathwin: (s) => normalisePath(s, true),
  normalizepathwin: (s) => normalisePath(s, true),
  base64decode: (s) => Buffer.from(s.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1'),
  base64decodeext: (s) => Buffer.from(s.replace(/[^A-Za-z0-9+/=_-]/g, ''), 'base64').toString('latin1'),
  base64encode: (s) => bytes(s).toString('base64'),
  hexdecode: hexDecode,
  hexencode: (s) => bytes(s).toString('hex'),
  sha1: (s) => createHash('sha1').update(bytes(s)).digest().toString('latin1'),
  md5: (s) => createHash('md5').update(bytes(s)).digest().toString('latin1'),
  length: (s) => String(s.length),
  trim: (s) => s.replace(/^[\s\xa0]+|[\s\xa0]+$/g, ''),
  trimleft: (s) => s.replace(/^[\s\xa0]+/, ''),
  trimright: (s) => s.replace(/[\s\xa0]+$/, ''),
  utf8tounicode: utf8toUnicode,
  escapeseqdecode: jsDecode,
};
