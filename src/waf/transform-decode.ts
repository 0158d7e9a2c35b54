// Normalizing transforms applied before detection: bounded repeated URL decoding
// (RFC 3986 %XX, IIS %uXXXX, overlong UTF-8), HTML entities (HTML5 numeric + common
// named), NFKC, null bytes, comments and whitespace. All are single-pass linear scans.

export interface UrlDecodeResult {
  value: string;
  passes: number;
  /** An overlong UTF-8 sequence (e.g. %c0%af for `/`) was seen: always hostile. */
  overlong: boolean;
  /** A `%` not followed by two hex digits (or %u + four) was seen. */
  invalid: boolean;
}

const hex = (c: number): number =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/** One pass of percent-decoding with a lenient UTF-8 decoder that maps overlong forms. Unescaped runs are copied whole. */
function decodeOnce(s: string, out: { overlong: boolean; invalid: boolean }): string {
  const bytes: number[] = [];
  let res = '';
  let run = 0; // start of the pending unescaped run
  let i = s.indexOf('%');
  while (i !== -1) {
    const n = s.charCodeAt(i + 1);
    let unit = -1; // a %uXXXX code unit
    let byte = -1;
    let len = 0;
    if ((n === 117 || n === 85) /* u */ && i + 5 < s.length) {
      const a = hex(s.charCodeAt(i + 2)), b = hex(s.charCodeAt(i + 3)), c = hex(s.charCodeAt(i + 4)), d = hex(s.charCodeAt(i + 5));
      if (a >= 0 && b >= 0 && c >= 0 && d >= 0) { unit = (a << 12) | (b << 8) | (c << 4) | d; len = 6; }
    }
    if (len === 0) {
      const h1 = hex(n), h2 = hex(s.charCodeAt(i + 2));
      if (h1 >= 0 && h2 >= 0) { byte = (h1 << 4) | h2; len = 3; }
    }
    if (len === 0) {
      out.invalid = true; // a lone `%` stays in the run
      i = s.indexOf('%', i + 1);
      continue;
    }
    if (i > run) {
      // text between escapes ends a byte sequence
      if (bytes.length > 0) { res += utf8Lenient(bytes, out); bytes.length = 0; }
      res += s.slice(run, i);
    }
    if (byte !== -1) bytes.push(byte);
    else {
      if (bytes.length > 0) { res += utf8Lenient(bytes, out); bytes.length = 0; }
      res += String.fromCharCode(unit);
    }
    run = i + len;
    i = s.indexOf('%', run);
  }
  if (bytes.length > 0) res += utf8Lenient(bytes, out);
  return run === 0 ? s : run < s.length ? res + s.slice(run) : res;
}

/** Decodes UTF-8 bytes; overlong 2- and 3-byte forms decode to their code point (as IIS once did), other junk to Latin-1. */
const cont = (c: number | undefined): boolean => c !== undefined && (c & 0xc0) === 0x80;

export function utf8Lenient(b: number[], out: { overlong: boolean }): string {
  let s = '';
  for (let i = 0; i < b.length; i++) {
    const x = b[i];
    if (x < 0x80) { s += String.fromCharCode(x); continue; }
    const c1 = b[i + 1], c2 = b[i + 2], c3 = b[i + 3];
    if (x >= 0xc0 && x <= 0xdf && cont(c1)) {
      if (x < 0xc2) out.overlong = true;
      s += String.fromCharCode(((x & 0x1f) << 6) | (c1 & 0x3f));
      i += 1;
    } else if (x >= 0xe0 && x <= 0xef && cont(c1) && cont(c2)) {
      if (x === 0xe0 && c1 < 0xa0) out.overlong = true;
      s += String.fromCharCode(((x & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f));
      i += 2;
    } else if (x >= 0xf0 && x <= 0xf4 && cont(c1) && cont(c2) && cont(c3)) {
      const cp = ((x & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
      if (x === 0xf0 && c1 < 0x90) out.overlong = true;
      s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      i += 3;
    } else {
      s += String.fromCharCode(x);
    }
  }
  return s;
}

const HAS_ESCAPE = /%(?:[0-9a-fA-F]{2}|[uU][0-9a-fA-F]{4})/;

/** URL-decodes up to `maxPasses` times (double/triple encoding), stopping when nothing changes. */
export function urlDecodeRepeated(s: string, maxPasses = 3): UrlDecodeResult {
  const out = { overlong: false, invalid: false };
  let value = s;
  let passes = 0;
  while (passes < maxPasses && value.indexOf('%') !== -1 && HAS_ESCAPE.test(value)) {
    value = decodeOnce(value, out);
    passes++;
  }
  return { value, passes, overlong: out.overlong, invalid: out.invalid };
}

const NAMED: Record<string, string> = {
  lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ', colon: ':', sol: '/', bsol: '\\',
  lpar: '(', rpar: ')', tab: '\t', newline: '\n', semi: ';', comma: ',', period: '.', excl: '!',
  num: '#', dollar: '$', percnt: '%', equals: '=', plus: '+', grave: '`', lsqb: '[', rsqb: ']',
  lcub: '{', rcub: '}', lbrack: '[', rbrack: ']', lbrace: '{', rbrace: '}', quest: '?', ast: '*', verbar: '|',
};
const ENTITY = /&(?:#[xX]([0-9a-fA-F]{1,8});?|#([0-9]{1,10});?|([a-zA-Z]{2,8});)/g;

/** Decodes HTML character references the way browsers do in text and attribute values (semicolon optional for numeric ones). */
export function htmlEntityDecode(s: string): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(ENTITY, (m, hx: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (name !== undefined) return NAMED[name.toLowerCase()] ?? m;
    const cp = hx !== undefined ? parseInt(hx, 16) : parseInt(dec as string, 10);
    if (!Number.isFinite(cp) || cp > 0x10ffff || cp === 0) return '\ufffd';
    return String.fromCodePoint(cp);
  });
}

const NON_ASCII = /[^\x00-\x7f]/;
/** Unicode compatibility normalization: full-width `＜ｓｃｒｉｐｔ＞` becomes `<script>`. */
// IIS-style "best fit" mappings NFKC leaves alone: division slash, fraction slash, set minus, reverse solidus operator
const BEST_FIT = /[\u2215\u2044\u29f8\u2216\u29f5\u29f9\u2024\u2025\u2026\u02bc\u2018\u2019\u201a\u201b\u2032]/g;
const BEST_FIT_MAP: Record<string, string> = {
  '\u2215': '/', '\u2044': '/', '\u29f8': '/', '\u2216': '\\', '\u29f5': '\\', '\u29f9': '\\', '\u2024': '.', '\u2025': '..', '\u2026': '...',
  '\u02bc': "'", '\u2018': "'", '\u2019': "'", '\u201a': "'", '\u201b': "'", '\u2032': "'",
};
export function nfkc(s: string): string {
  if (!NON_ASCII.test(s)) return s;
  return s.normalize('NFKC').replace(BEST_FIT, (c) => BEST_FIT_MAP[c] ?? c);
}

export function stripNulls(s: string): string {
  return s.indexOf('\0') === -1 ? s : s.replace(/\0/g, '');
}

/** Removes C-style comments, as used to split keywords (`un/**\/ion`). */
export function stripComments(s: string): string {
  return s.indexOf('/*') === -1 ? s : s.replace(/\/\*[^*]*\*+(?:[^/*][^*]*\*+)*\//g, '').replace(/\/\*.*$/s, '');
}

/** Collapses runs of whitespace (incl. vertical tab, form feed, NBSP) into one space. */
export function compactWhitespace(s: string): string {
  return s.replace(/[\s\u00a0]+/g, ' ');
}
