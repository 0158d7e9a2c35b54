// Compiles ModSecurity @rx patterns (PCRE) for matching in linear time: through RE2 when
// the optional `re2` package is installed, else on V8's own engines: irregexp (fast,
// backtracking) with V8's fallback to its linear-time automaton engine once a match
// backtracks too much (`--enable-experimental-regexp-engine-on-excessive-backtracks`, set
// once per process: it only bounds every RegExp's worst case). The fallback exists only for
// patterns the automaton accepts (checked with the `l` flag; no `i` flag, so letters become
// classes). The few CRS patterns it does not accept (back-references, lookbehind, large
// counted repetitions) run on irregexp over at most the first BACKTRACK_CAP characters of a
// value, which bounds their cost. pcre.test.ts times every CRS pattern on adversarial
// input. Each pattern gets a literal prefilter when one is known.
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

/** Longest input given to a pattern only the backtracking engine can run. */
export const BACKTRACK_CAP = 2048;

let linear: boolean | undefined;
/** Whether V8's linear-time RegExp engine is available as irregexp's fallback (enables it on first call). */
export function linearEngine(): boolean {
  if (linear !== undefined) return linear;
  try {
    v8.setFlagsFromString('--enable-experimental-regexp-engine');
    v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
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
  /** re2; irregexp with the linear-time fallback; irregexp alone on a capped input. */
  engine: 're2' | 'linear-fallback' | 'backtrack';
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
    let accepted = true;
    try { new RegExp(source, 'sl'); } catch { accepted = false; /* counted repetitions too large for the automaton */ }
    if (accepted) {
      const m = new RegExp(source, 's');
      return { pattern, source, flags: 's', engine: 'linear-fallback', prefilter, exec: (s) => m.exec(s) };
    }
  }
  const { source, flags } = emitJs(ast);
  const m = new RegExp(source, flags);
  return { pattern, source, flags, engine: 'backtrack', prefilter, exec: (s) => m.exec(s.length > BACKTRACK_CAP ? s.slice(0, BACKTRACK_CAP) : s) };
}
