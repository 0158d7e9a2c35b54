// Parses the PCRE dialect of ModSecurity's @rx patterns into a small syntax tree, so
// that they can be re-emitted as JavaScript RegExp source (pcre-emit.ts) and so that the
// literals every match must contain can be extracted for prefilters (regex-prefilter.ts).
// Covers what the OWASP CRS 3.3 request rules use; anything else throws.

export type RxNode =
  | { t: 'char'; c: string; ci: boolean }
  /** A single-character matcher other than a literal: `.`, `\d`, `\w`, `\s`, a class. */
  | { t: 'set'; src: string; ci: boolean }
  /** A zero-width assertion: `^`, `$`, `\b`, `\B`. */
  | { t: 'assert'; src: string }
  | { t: 'backref'; src: string }
  | { t: 'seq'; items: RxNode[] }
  | { t: 'alt'; items: RxNode[] }
  | { t: 'group'; open: string; capture: boolean; look: boolean; body: RxNode }
  | { t: 'rep'; node: RxNode; min: number; max: number; suffix: string };

const POSIX: Record<string, string> = {
  alpha: 'a-zA-Z', digit: '0-9', alnum: 'a-zA-Z0-9', upper: 'A-Z', lower: 'a-z', space: '\\s', xdigit: '0-9a-fA-F', punct: '!-\\/:-@\\[-`{-~', word: '\\w',
};

class Reader {
  i = 0;
  constructor(readonly s: string) {}
  peek(o = 0): string { return this.s[this.i + o] ?? ''; }
  eof(): boolean { return this.i >= this.s.length; }
}

function hexChar(code: number): string { return String.fromCharCode(code); }

/** An escape outside a class: a literal char, a set, an assertion or a back-reference. */
function readEscape(r: Reader, ci: boolean): RxNode {
  r.i++; // backslash
  const c = r.peek();
  r.i++;
  if (c === 'x') {
    if (r.peek() === '{') {
      const end = r.s.indexOf('}', r.i);
      const code = parseInt(r.s.slice(r.i + 1, end), 16);
      r.i = end + 1;
      return { t: 'char', c: hexChar(code), ci };
    }
    const h = r.s.slice(r.i, r.i + 2).match(/^[0-9a-fA-F]{1,2}/)?.[0] ?? '';
    r.i += h.length;
    return { t: 'char', c: hexChar(h === '' ? 0 : parseInt(h, 16)), ci };
  }
  if ('dDwWsS'.includes(c)) return { t: 'set', src: `\\${c}`, ci: true };
  if (c === 'h') return { t: 'set', src: '[\\t ]', ci: true };
  if (c === 'b' || c === 'B') return { t: 'assert', src: `\\${c}` };
  if (c === 'A') return { t: 'assert', src: '^' };
  if (c === 'z' || c === 'Z') return { t: 'assert', src: '$' };
  if (/[1-9]/.test(c)) return { t: 'backref', src: `\\${c}` };
  if (c === 'n') return { t: 'char', c: '\n', ci };
  if (c === 'r') return { t: 'char', c: '\r', ci };
  if (c === 't') return { t: 'char', c: '\t', ci };
  if (c === 'f') return { t: 'char', c: '\f', ci };
  if (c === 'v') return { t: 'char', c: '\v', ci };
  if (c === 'e') return { t: 'char', c: '\x1b', ci };
  if (c === '0') return { t: 'char', c: '\0', ci };
  if (/[a-zA-Z]/.test(c)) throw new Error(`unsupported escape \\${c}`);
  return { t: 'char', c, ci };
}

/** A bracket class, re-emitted as JavaScript class source (POSIX classes expanded, letters doubled when case-insensitive). */
function readClass(r: Reader, ci: boolean): RxNode {
  r.i++; // [
  let src = '[';
  if (r.peek() === '^') { src += '^'; r.i++; }
  if (r.peek() === ']') { src += '\\]'; r.i++; }
  const letters: string[] = [];
  while (!r.eof() && r.peek() !== ']') {
    const c = r.peek();
    if (c === '[' && r.peek(1) === ':') {
      const end = r.s.indexOf(':]', r.i + 2);
      const name = r.s.slice(r.i + 2, end);
      const body = POSIX[name];
      if (body === undefined) throw new Error(`unsupported POSIX class ${name}`);
      src += body;
      r.i = end + 2;
      continue;
    }
    if (c === '\\') {
      const n = r.peek(1);
      if (n === 'x' && r.peek(2) === '{') {
        const end = r.s.indexOf('}', r.i);
        src += `\\u${parseInt(r.s.slice(r.i + 3, end), 16).toString(16).padStart(4, '0')}`;
        r.i = end + 1;
        continue;
      }
      if (n === 'h') { src += '\\t '; r.i += 2; continue; }
      if (n === 'e') { src += '\\x1b'; r.i += 2; continue; }
      if (/[a-zA-Z]/.test(n) && !'dDwWsSxnrtfvb'.includes(n)) throw new Error(`unsupported class escape \\${n}`);
      src += c + n;
      r.i += 2;
      continue;
    }
    if (c === '/' ) { src += '\\/'; r.i++; continue; }
    if (/[a-zA-Z]/.test(c)) {
      // a range a-z keeps its shape; its other-case twin is added below
      if (r.peek(1) === '-' && /[a-zA-Z]/.test(r.peek(2))) { letters.push(r.s.slice(r.i, r.i + 3)); src += r.s.slice(r.i, r.i + 3); r.i += 3; continue; }
      letters.push(c);
    }
    src += c;
    r.i++;
  }
  r.i++; // ]
  if (ci) for (const l of letters) { const o = l.toLowerCase() === l ? l.toUpperCase() : l.toLowerCase(); if (o !== l) src += o; }
  return { t: 'set', src: src + ']', ci };
}

function readQuantifier(r: Reader): { min: number; max: number; suffix: string } | undefined {
  const c = r.peek();
  let min: number, max: number, src: string;
  if (c === '*') { min = 0; max = Infinity; src = '*'; r.i++; }
  else if (c === '+') { min = 1; max = Infinity; src = '+'; r.i++; }
  else if (c === '?') { min = 0; max = 1; src = '?'; r.i++; }
  else if (c === '{') {
    const m = /^\{(\d*)(,?)(\d*)\}/.exec(r.s.slice(r.i));
    if (!m || (m[1] === '' && m[3] === '')) return undefined;
    min = m[1] === '' ? 0 : Number(m[1]);
    max = m[2] === '' ? min : m[3] === '' ? Infinity : Number(m[3]);
    src = m[0];
    r.i += m[0].length;
  } else return undefined;
  if (r.peek() === '?') { src += '?'; r.i++; }
  else if (r.peek() === '+') r.i++; // possessive: JavaScript has none; the match set is a superset
  return { min, max, suffix: src };
}

function readAlt(r: Reader, ci: { v: boolean }): RxNode {
  const alts: RxNode[] = [];
  let seq: RxNode[] = [];
  while (!r.eof()) {
    const c = r.peek();
    if (c === ')') break;
    if (c === '|') { alts.push({ t: 'seq', items: seq }); seq = []; r.i++; continue; }
    let node: RxNode;
    if (c === '(') {
      if (r.s.startsWith('(?i)', r.i)) { ci.v = true; r.i += 4; continue; }
      let open = '(', capture = true, look = false, inner = ci.v;
      if (r.peek(1) === '?') {
        const m = /^\(\?(?:i:|:|=|!|<=|<!|\||-i:)/.exec(r.s.slice(r.i));
        if (!m) throw new Error(`unsupported group ${r.s.slice(r.i, r.i + 5)}`);
        const k = m[0];
        capture = false;
        r.i += k.length;
        if (k === '(?i:') { inner = true; open = '(?:'; }
        else if (k === '(?-i:') { inner = false; open = '(?:'; }
        else if (k === '(?|') open = '(?:';
        else { open = k; look = k !== '(?:'; }
      } else r.i++;
      const sub = { v: inner };
      const body = readAlt(r, sub);
      if (r.peek() !== ')') throw new Error('unbalanced parenthesis');
      r.i++;
      node = { t: 'group', open, capture, look, body };
    } else if (c === '[') node = readClass(r, ci.v);
    else if (c === '\\') node = readEscape(r, ci.v);
    else if (c === '.') { node = { t: 'set', src: '[\\s\\S]', ci: true }; r.i++; }
    else if (c === '^' || c === '$') { node = { t: 'assert', src: c }; r.i++; }
    else { node = { t: 'char', c, ci: ci.v }; r.i++; }
    const q = readQuantifier(r);
    if (q) node = { t: 'rep', node, ...q };
    seq.push(node);
  }
  alts.push({ t: 'seq', items: seq });
  return alts.length === 1 ? alts[0] : { t: 'alt', items: alts };
}

/** Parses a PCRE pattern; `(?i)` and `(?i:...)` mark literals case-insensitive. */
export function parsePcre(pattern: string): RxNode {
  const r = new Reader(pattern);
  const node = readAlt(r, { v: false });
  if (!r.eof()) throw new Error(`unexpected ")" at ${r.i}`);
  return node;
}
