// Compiles ModSecurity @rx patterns (PCRE) for matching: through RE2 (linear time) when
// the optional `re2` package is installed and the pattern has no back-references or
// lookarounds, else as a JavaScript RegExp (the CRS tests run every pattern on
// adversarial input to prove it does not backtrack catastrophically). Each pattern gets a
// literal prefilter when one is known.
import { createRequire } from 'node:module';
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

export interface CompiledRx {
  /** The original PCRE pattern. */
  pattern: string;
  source: string;
  flags: string;
  engine: 're2' | 'js';
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
  const { source, flags } = emitJs(ast);
  const lits = requiredLiterals(ast);
  const prefilter = lits !== undefined ? new LiteralSet(lits) : undefined;
  const R = useRe2 && !needsBacktracking(ast) ? loadRe2() : null;
  let m: Matcher | undefined;
  if (R) {
    try { m = new R(source, flags.replace('s', '')); } catch { m = undefined; }
  }
  const engine: CompiledRx['engine'] = m ? 're2' : 'js';
  m ??= new RegExp(source, flags);
  return { pattern, source, flags, engine, prefilter, exec: (s) => (m as Matcher).exec(s) };
}
