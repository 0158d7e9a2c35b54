// Compiles ModSecurity @rx patterns (PCRE) for matching in linear time: through RE2 when
// the optional `re2` package is installed, else through V8's linear-time (automaton)
// RegExp engine (the `l` flag, enabled once per process; it has no `i` flag, so letters
// become classes). It is linear but slow per character (about 30 µs per KiB and pattern
// on a loaded machine), so values up to SHORT_INPUT characters run on irregexp (V8's fast
// backtracking engine) with V8's fallback to the automaton once a match backtracks too much
// (`--enable-experimental-regexp-engine-on-excessive-backtracks`: exponential cases end in
// the linear engine; what remains is at most quadratic in SHORT_INPUT). Longer values go
// straight to the automaton: the fallback mode was measured superlinear on long inputs. The few CRS patterns neither can
// run (back-references, lookbehind, large counted repetitions) run on V8's backtracking
// engine over at most the first BACKTRACK_CAP characters of a value, which bounds their
// worst case (pcre.test.ts times them on adversarial input). Each pattern gets a
// literal prefilter when one is known.
import { createRequire } from 'node:module';
import v8 from 'node:v8';
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

/** Longest input given to a pattern only the backtracking engine can run. */
export const BACKTRACK_CAP = 2048;

let linear: boolean | undefined;
/** Whether V8's linear-time RegExp engine is available (enables `--enable-experimental-regexp-engine`, which only adds the `l` flag). */
export function linearEngine(): boolean {
  if (linear !== undefined) return linear;
  try {
    v8.setFlagsFromString('--enable-experimental-regexp-engine');
    v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
    v8.setFlagsFromString('--regexp-backtracks-before-fallback=10000');
    linear = new RegExp('a+b', 'l').test('aab');
  } catch {
    linear = false;
  }
  return linear;
}

export interface CompiledRx {
  /** The original PCRE pattern. */
  pattern: string;
  source: string;
  flags: string;
  engine: 're2' | 'linear' | 'backtrack';
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
      return { pattern, source, flags, engine: 're2', prefilter, exec: (s) => m.exec(s) };
    } catch { /* RE2 refuses some PCRE: try the next engine */ }
  }
  if (plain && linearEngine()) {
    const { source } = emitJs(ast, true);
    try {
      const m = new RegExp(source, 'sl');
      const fast = new RegExp(source, 's');
      return { pattern, source, flags: 'sl', engine: 'linear', prefilter, exec: (s) => (s.length <= SHORT_INPUT ? fast.exec(s) : m.exec(s)) };
    } catch { /* counted repetitions too large for the automaton */ }
  }
  const { source, flags } = emitJs(ast);
  const m = new RegExp(source, flags);
  return { pattern, source, flags, engine: 'backtrack', prefilter, exec: (s) => m.exec(s.length > BACKTRACK_CAP ? s.slice(0, BACKTRACK_CAP) : s) };
}
