// Compiles ModSecurity @rx patterns (PCRE) for matching in linear time: through RE2 when
// the optional `re2` package is installed, else through V8's linear-time (automaton)
// RegExp engine (the `l` flag; it has no `i` flag, so letters become classes). The automaton
// is linear but slow per character (about 30 µs per KiB and pattern on a loaded machine), so
// values up to SHORT_INPUT characters run on irregexp (V8's fast backtracking engine) with
// V8's fallback to the automaton once one exec has backtracked 1,000,000 times
// (../regex-linear.ts: the same answer, at most that many backtracks plus a linear pass).
// Longer values go straight to the automaton. The few CRS patterns neither can run
// (back-references, lookbehind, large counted repetitions) run on irregexp with V8's
// per-regex backtrack limit (`bounded`: an exec stops after BOUNDED_BACKTRACKS and answers
// "no match") over at most the first BACKTRACK_CAP characters of a value.
// Each pattern gets a literal prefilter when one is known.
import { createRequire } from 'node:module';
import { boundedRx, enableLinearRegexFallback } from '../regex-linear.js';
import { parsePcre, type RxNode } from './pcre-parse.js';
import { emitJs } from './pcre-emit.js';
import { requiredLiterals } from './regex-prefilter.js';
import { LiteralSet } from './literal-set.js';

/** The part of the RegExp interface both engines share. */
interface Matcher { exec(s: string): RegExpExecArray | null }
type Re2Ctor = new (source: string, flags: string) => Matcher;

let re2: Re2Ctor | null | undefined;
/** The `re2` package when installed (optional native addon), else null. */
export function loadRe2(): Re2Ctor | null {
  if (re2 !== undefined) return re2;
  try {
    re2 = createRequire(import.meta.url)('re2') as Re2Ctor;
  } catch {
    re2 = null;
  }
  return re2;
}

/** Longest input run on irregexp (with the linear fallback) rather than on the automaton. */
export const SHORT_INPUT = 256;

/** Longest input given to a pattern only the bounded backtracking engine can run. */
export const BACKTRACK_CAP = 2048;

/** Whether V8's linear-time RegExp engine is available (the `l` flag, and the fallback to it). */
export function linearEngine(): boolean {
  return enableLinearRegexFallback();
}

export interface CompiledRx {
  /** The original PCRE pattern. */
  pattern: string;
  source: string;
  flags: string;
  engine: 're2' | 'linear' | 'bounded';
  /** The V8 regexes exec runs (none for RE2), for checks of how each is bounded. */
  matchers: readonly RegExp[];
  /** Lower-cased literals one of which every match contains; undefined = none known. */
  prefilter?: LiteralSet;
  exec(s: string): RegExpExecArray | null;
}

function needsBacktracking(n: RxNode): boolean {
  switch (n.t) {
    case 'backref': return true;
    case 'group': return n.look || needsBacktracking(n.body);
    case 'seq': case 'alt': return n.items.some(needsBacktracking);
    case 'rep': return needsBacktracking(n.node);
    default: return false;
  }
}

/** The emitted source of a pattern that matches any value whole. */
const WHOLE = '^[\\s\\S]*$';
/** What `/^[\s\S]*$/s.exec(s)` answers, without running it. */
function whole(s: string): RegExpExecArray {
  const m = [s] as unknown as RegExpExecArray;
  m.index = 0;
  m.input = s;
  return m;
}

export function compileRx(pattern: string, useRe2 = true): CompiledRx {
  const ast = parsePcre(pattern);
  const lits = requiredLiterals(ast);
  const prefilter = lits !== undefined ? new LiteralSet(lits) : undefined;
  const plain = !needsBacktracking(ast);
  const R = useRe2 && plain ? loadRe2() : null;
  if (R) {
    const { source, flags } = emitJs(ast);
    try {
      const m = new R(source, flags.replace('s', ''));
      return { pattern, source, flags, engine: 're2', matchers: [], prefilter, exec: (s) => m.exec(s) };
    } catch { /* RE2 refuses some PCRE: try the next engine */ }
  }
  if (plain && linearEngine()) {
    const { source } = emitJs(ast, true);
    // `^.*$` (PCRE_DOTALL, as ModSecurity compiles): every value matches whole; CRS runs it on every header name
    // (920450, to capture it) and on the User-Agent (901318): no regex run for it
    if (source === WHOLE) return { pattern, source, flags: 'sl', engine: 'linear', matchers: [], prefilter, exec: whole };
    try {
      const m = new RegExp(source, 'sl');
      const fast = new RegExp(source, 's');
      return { pattern, source, flags: 'sl', engine: 'linear', matchers: [fast, m], prefilter, exec: (s) => (s.length <= SHORT_INPUT ? fast.exec(s) : m.exec(s)) };
    } catch { /* counted repetitions too large for the automaton */ }
  }
  const { source, flags } = emitJs(ast);
  const m = boundedRx(source, flags);
  return { pattern, source, flags, engine: 'bounded', matchers: [m], prefilter, exec: (s) => m.exec(s.length > BACKTRACK_CAP ? s.slice(0, BACKTRACK_CAP) : s) };
}
