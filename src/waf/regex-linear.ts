// Linear-time regular expressions for the WAF on V8 (Node 20, 22, 24), without the `re2`
// native addon. Three ways a WAF regex is bounded, checked for every regex by
// test/waf-regex-linear.test.ts:
// 1. `linear`: V8 can run the pattern on its automaton engine (the `l` flag compiles it:
//    flags within g/m/s/y, no lookaround, back-reference or large counted repetition). With
//    `--enable-experimental-regexp-engine-on-excessive-backtracks` (set by
//    enableLinearRegexFallback, process-wide, before any WAF regex is first run: V8 reads it
//    when it compiles a regex, on its first exec) such a regex runs on irregexp until one exec
//    has backtracked BACKTRACKS_BEFORE_FALLBACK times, then on the automaton: work per exec is
//    at most that many backtracks plus a linear pass. The result is the same either way.
// 2. `caseless`: an `i`-flag pattern (which the automaton cannot run) rewritten with ASCII
//    letters as [xX] classes, which is the same language in non-Unicode mode, then as in 1.
// 3. `bounded`: anything else gets V8's per-regex backtrack limit (the internal
//    %NewRegExpWithBacktrackLimit, reached through --allow-natives-syntax only while the regex
//    is built): one exec stops after BOUNDED_BACKTRACKS backtracks and then answers "no match".
//    That is a bound, not a guarantee of the answer: an input made to exhaust the budget is not
//    matched by that one pattern.
import v8 from 'node:v8';

/** Backtracks one exec may do on irregexp before V8 re-runs it on the automaton (V8's default is 50,000; at 10,000 a long value that backtracks a little at every position, such as `' ' ' ...` through the XSS detector, fell back and the automaton took 1.8 s for 128 KB). */
export const BACKTRACKS_BEFORE_FALLBACK = 1_000_000;
/** Backtracks one exec of a `bounded` regex may do before it answers "no match". */
export const BOUNDED_BACKTRACKS = 1_000_000;

let enabled: boolean | undefined;
/** Turns on V8's automaton engine (`l` flag) and the fallback to it; true when this V8 has both. Idempotent. */
export function enableLinearRegexFallback(): boolean {
  if (enabled !== undefined) return enabled;
  try {
    v8.setFlagsFromString('--enable-experimental-regexp-engine');
    v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
    v8.setFlagsFromString(`--regexp-backtracks-before-fallback=${BACKTRACKS_BEFORE_FALLBACK}`);
    enabled = new RegExp('a+b', 'l').test('aab');
  } catch {
    enabled = false;
  }
  return enabled;
}
enableLinearRegexFallback();

const bounded = new WeakSet<RegExp>();

/** Whether V8's automaton engine can run this source with these flags (so the fallback applies). */
export function automatonCanRun(source: string, flags: string): boolean {
  if (!enableLinearRegexFallback() || /[^gmsyl]/.test(flags)) return false;
  try {
    new RegExp(source, flags.includes('l') ? flags : `${flags}l`);
    return true;
  } catch {
    return false;
  }
}

/** How a regex is bounded (see the header), or undefined when it is not. */
export function linearKind(re: RegExp): 'linear' | 'bounded' | undefined {
  if (bounded.has(re)) return 'bounded';
  return automatonCanRun(re.source, re.flags) ? 'linear' : undefined;
}

const isAsciiLetter = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
const HEX = /^[0-9a-fA-F]+$/;

const hex = (c: number) => `\\x${c.toString(16).padStart(2, '0')}`;

/** The ASCII letters of [lo, hi] in the other case, as class ranges. */
function otherCase(lo: number, hi: number): string {
  let out = '';
  for (const [a, z, d] of [[97, 122, -32], [65, 90, 32]] as const) {
    const l = Math.max(lo, a), h = Math.min(hi, z);
    // escaped, and put first in the class, so that no `-` of the class can join them into a range
    if (l <= h) out += l === h ? hex(l + d) : `${hex(l + d)}-${hex(h + d)}`;
  }
  return out;
}

/**
 * An `i`-flag source without `i`: ASCII letters become [xX] and classes gain the other case.
 * Undefined when the source has back-references or non-ASCII letters (whose folding differs).
 */
export function caselessSource(src: string): string | undefined {
  let out = '';
  let i = 0;
  // one class member or atom's code point after a backslash, or -1 for a class escape (\w, \d...)
  const escaped = (j: number): [number, number] => {
    const e = src[j + 1];
    if (e === 'x' && HEX.test(src.slice(j + 2, j + 4))) return [parseInt(src.slice(j + 2, j + 4), 16), j + 4];
    if (e === 'u' && HEX.test(src.slice(j + 2, j + 6))) return [parseInt(src.slice(j + 2, j + 6), 16), j + 6];
    if (e !== undefined && 'dDwWsSbB'.includes(e)) return [-1, j + 2];
    if (e !== undefined && 'nrtfv0'.includes(e)) return [{ n: 10, r: 13, t: 9, f: 12, v: 11, '0': 0 }[e as 'n'], j + 2];
    return [e === undefined ? -1 : e.charCodeAt(0), j + 2];
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      const e = src[i + 1] ?? '';
      if (/[1-9k]/.test(e) || e === 'c' || e === 'p' || e === 'P') return undefined;
      const [, next] = escaped(i);
      out += src.slice(i, next);
      i = next;
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const m = /^\(\?(?::|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(src.slice(i));
      if (!m) return undefined;
      out += m[0];
      i += m[0].length;
      continue;
    }
    if (c === '{') { // a quantifier: copy as is
      const m = /^\{\d+(?:,\d*)?\}/.exec(src.slice(i));
      if (m) { out += m[0]; i += m[0].length; continue; }
    }
    if (c === '[') {
      let j = i + 1;
      let body = '';
      let extra = '';
      const negated = src[j] === '^';
      if (negated) j++;
      while (j < src.length && src[j] !== ']') {
        let lo: number, next: number;
        if (src[j] === '\\') [lo, next] = escaped(j); else { lo = src.charCodeAt(j); next = j + 1; }
        let hi = lo;
        if (lo >= 0 && src[next] === '-' && src[next + 1] !== undefined && src[next + 1] !== ']') {
          let after: number;
          if (src[next + 1] === '\\') [hi, after] = escaped(next + 1); else { hi = src.charCodeAt(next + 1); after = next + 2; }
          if (hi < 0) return undefined;
          next = after;
        }
        if (hi > 127) {
          // non-ASCII letters fold by Unicode's tables: only a single non-letter is taken as is
          const ch = String.fromCharCode(hi);
          if (lo !== hi || ch.toLowerCase() !== ch.toUpperCase()) return undefined;
        }
        body += src.slice(j, next);
        if (lo >= 0) extra += otherCase(lo, Math.min(hi, 127));
        j = next;
      }
      if (j >= src.length) return undefined;
      if (extra !== '' && body.startsWith('-')) body = `\\${body}`;
      out += `[${negated ? '^' : ''}${extra}${body}]`;
      i = j + 1;
      continue;
    }
    const code = src.charCodeAt(i);
    if (isAsciiLetter(code)) out += `[${c.toLowerCase()}${c.toUpperCase()}]`;
    else if (code > 127 && c.toLowerCase() !== c.toUpperCase()) return undefined;
    else out += c;
    i++;
  }
  return out;
}

/** Node started with --allow-natives-syntax (then it stays on after the regexes are built). */
const NATIVES_AT_START = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].some((a) => a === '--allow-natives-syntax' || a === '--allow_natives_syntax');

function withBacktrackLimit(source: string, flags: string, limit: number): RegExp | undefined {
  try {
    v8.setFlagsFromString('--allow-natives-syntax');
    try {
      // compiled and called while the flag is on; the RegExp it returns keeps its limit
      const make = new Function('s', 'f', 'n', 'return %NewRegExpWithBacktrackLimit(s, f, n)') as (s: string, f: string, n: number) => RegExp;
      return make(source, flags, limit);
    } finally {
      if (!NATIVES_AT_START) v8.setFlagsFromString('--no-allow-natives-syntax');
    }
  } catch {
    return undefined;
  }
}

/** The regex itself when V8 bounds it (kind `linear`), else a copy that is (kinds `caseless`, `bounded`). */
export function linearRx(re: RegExp): RegExp {
  if (automatonCanRun(re.source, re.flags)) return re;
  if (re.flags.includes('i') && !re.flags.includes('u')) {
    const src = caselessSource(re.source);
    const flags = re.flags.replace('i', '');
    if (src !== undefined && automatonCanRun(src, flags)) return new RegExp(src, flags);
  }
  return boundedRx(re.source, re.flags);
}

/** A regex whose every exec stops after `limit` backtracks (answering "no match" then). */
export function boundedRx(source: string, flags: string, limit = BOUNDED_BACKTRACKS): RegExp {
  const r = withBacktrackLimit(source, flags, limit);
  if (r === undefined) return new RegExp(source, flags); // not bounded: linearKind says so
  bounded.add(r);
  return r;
}
