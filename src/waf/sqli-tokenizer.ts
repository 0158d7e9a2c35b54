// SQL tokenizer producing libinjection-style fingerprints (one letter per token),
// written here from the idea, not the table: MySQL/PostgreSQL/MSSQL/SQLite lexing rules.
//
// Token letters: s string, 1 number/literal, n name, v variable, f function call,
// k keyword, E statement keyword, U union, & logical operator, o operator,
// ( ) , ; punctuation, c comment to end of input.
import { linearRx } from './regex-linear.js';

const SET_QUANTIFIER = linearRx(/^\s+(?:all|distinct)\b/i);

const KEYWORDS = new Map<string, string>();
const add = (t: string, words: string) => { for (const w of words.split(' ')) KEYWORDS.set(w, t); };
add('U', 'union intersect except minus');
add('E', 'select insert update delete drop create alter truncate exec execute declare shutdown waitfor grant revoke rename handler merge');
add('k', 'from where table into values set join having limit offset procedure database schema column outfile dumpfile delay case when then else end as on order group by distinct top all returning load_file information_schema sysobjects pg_catalog');
add('&', 'and or xor');
add('o', 'like rlike regexp is in between div mod not sounds escape collate glob exists');
add('1', 'true false null unknown current_user current_date current_time');

export interface SqlFingerprint {
  fp: string;
  /** Loop iterations spent: the fuzz tests check this grows linearly with input. */
  steps: number;
}

const isSpace = (c: number) => c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isWordStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36 || c > 127;
const isWord = (c: number) => isWordStart(c) || isDigit(c) || c === 46;
const UNARY_BEFORE = '&o(,;';

// Module-level helpers (not per-call closures: the tsx loader wraps named closures with a
// naming shim on every creation, which cost more than the tokenizing itself).

/** End index (past the closing quote) of a string literal starting after `from`; `n` when unterminated. */
function readString(s: string, q: number, from: number): number {
  const n = s.length;
  let j = from;
  while (j < n) {
    const c = s.charCodeAt(j);
    if (c === 92 /* \ */) { j += 2; continue; }
    if (c === q) {
      if (s.charCodeAt(j + 1) === q) { j += 2; continue; }
      return j + 1;
    }
    j++;
  }
  return n;
}

function pushToken(toks: string[], t: string): void {
  const prev = toks[toks.length - 1];
  if (t === 's' && prev === 's') return; // adjacent literals concatenate
  if (t === 'o' && (prev === undefined || UNARY_BEFORE.includes(prev))) return; // unary sign / NOT
  toks.push(t);
}

/**
 * Fingerprints `input` as SQL. `quote` is the quote character the input is
 * assumed to sit inside (0 for a bare/numeric context): the text up to the
 * first unescaped matching quote becomes one leading `s` token.
 */
export function sqlFingerprint(input: string, quote: 0 | 39 | 34 = 0, maxTokens = 8, viable?: (fp: string[]) => boolean): SqlFingerprint {
  let steps = 0;
  const toks: string[] = [];
  const s = input;
  const n = s.length;
  let i = 0;

  if (quote !== 0) {
    const end = readString(s, quote, 0);
    steps += end;
    if (end >= n && s.charCodeAt(n - 1) !== quote) return { fp: 's', steps };
    toks.push('s');
    i = end;
  }

  let checked = 0;
  while (i < n && toks.length < maxTokens) {
    steps++;
    if (viable !== undefined && toks.length !== checked) {
      checked = toks.length;
      if (!viable(toks)) break;
    }
    const c = s.charCodeAt(i);
    if (isSpace(c)) { i++; continue; }
    const c2 = s.charCodeAt(i + 1);
    if (c === 47 && c2 === 42 /* slash-star */) {
      if (s.charCodeAt(i + 2) === 33 /* ! executable comment: its body is code */) {
        i += 3;
        while (i < n && isDigit(s.charCodeAt(i))) { i++; steps++; }
        continue;
      }
      const close = s.indexOf('*/', i + 2);
      steps += (close === -1 ? n : close) - i;
      if (close === -1) { pushToken(toks, 'c'); break; }
      i = close + 2;
      continue;
    }
    if (c === 42 && c2 === 47) { i += 2; continue; } // end of an executable comment
    if ((c === 45 && c2 === 45) || c === 35) { pushToken(toks, 'c'); break; }
    if (c === 39 || c === 34) { pushToken(toks, 's'); const e = readString(s, c, i + 1); steps += e - i; i = e; continue; }
    if (c === 96 /* ` */) { const e = s.indexOf('`', i + 1); steps += 1; pushToken(toks, 'n'); i = e === -1 ? n : e + 1; continue; }
    if (c === 64 /* @ */) {
      let j = i + 1;
      if (s.charCodeAt(j) === 64) j++;
      while (j < n && isWord(s.charCodeAt(j))) { j++; steps++; }
      pushToken(toks, 'v'); i = j; continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(c2))) {
      let j = i + 1;
      if (c === 48 && (c2 === 120 || c2 === 88 || c2 === 98 || c2 === 66)) j++;
      while (j < n) {
        const d = s.charCodeAt(j);
        if (!(isDigit(d) || d === 46 || (d >= 97 && d <= 102) || (d >= 65 && d <= 70))) break;
        j++; steps++;
      }
      pushToken(toks, '1'); i = j; continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWord(s.charCodeAt(j))) { j++; steps++; }
      const word = j - i <= 20 ? s.slice(i, j).toLowerCase() : '';
      i = j;
      // N'...' / X'...' / _utf8'...' literals
      const nc = s.charCodeAt(i);
      if (nc === 39 && (word === 'n' || word === 'x' || word === 'b' || word.startsWith('_'))) { pushToken(toks, 's'); const e = readString(s, 39, i + 1); steps += e - i; i = e; continue; }
      let t = KEYWORDS.get(word);
      if ((word === 'all' || word === 'distinct') && toks[toks.length - 1] === 'U') continue;
      if (t === 'U') {
        // UNION ALL / UNION DISTINCT fold into one token
        const m = SET_QUANTIFIER.exec(s.slice(i, i + 16));
        if (m) i += m[0].length;
      }
      if (t === undefined) t = nc === 40 /* ( directly after: MySQL's rule for builtins */ ? 'f' : 'n';
      pushToken(toks, t);
      continue;
    }
    if (c === 58 /* : */ && c2 !== 58 && c2 !== 61) { i++; continue; } // a lone colon is prose, not SQL
    if (c === 40 || c === 41 || c === 44 || c === 59) { pushToken(toks, String.fromCharCode(c)); i++; continue; }
    if ((c === 124 && c2 === 124) || (c === 38 && c2 === 38)) { pushToken(toks, '&'); i += 2; continue; }
    // any other punctuation is an operator; swallow multi-char operators
    let j = i + 1;
    while (j < n && j < i + 3 && '<>=!:-~^|&+*%/'.includes(s[j]) && !(s[j] === '-' && s[j + 1] === '-') && !(s[j] === '/' && s[j + 1] === '*')) j++;
    pushToken(toks, 'o');
    i = j;
  }
  return { fp: toks.join(''), steps };
}
