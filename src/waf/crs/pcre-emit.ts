// Turns a parsed PCRE pattern (pcre-parse.ts) into JavaScript RegExp source with the
// semantics ModSecurity compiles @rx with (PCRE_DOTALL | PCRE_DOLLAR_ENDONLY): `.` matches
// newlines (emitted as [\s\S]) and `$` only the end. Scoped `(?i:...)` has no JavaScript
// equivalent on Node 20: its letters become [aA] classes, unless the whole pattern is
// case-insensitive, which becomes the `i` flag.
import type { RxNode } from './pcre-parse.js';

const SPECIAL = new Set('\\^$.|?*+()[]{}/'.split(''));
const isLetter = (c: string) => c.toLowerCase() !== c.toUpperCase();

/** Whether every literal letter and letter class of the pattern is case-insensitive. */
function allCaseless(n: RxNode): boolean {
  switch (n.t) {
    case 'char': return !isLetter(n.c) || n.ci;
    case 'set': return n.ci || !/[a-zA-Z]/.test(n.src.replace(/\\./g, ''));
    case 'seq': case 'alt': return n.items.every(allCaseless);
    case 'group': return allCaseless(n.body);
    case 'rep': return allCaseless(n.node);
    default: return true;
  }
}

function charSrc(c: string): string {
  if (SPECIAL.has(c)) return `\\${c}`;
  const code = c.charCodeAt(0);
  if (code < 0x20 || code > 0x7e) return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  return c;
}

function emit(n: RxNode, flagI: boolean): string {
  switch (n.t) {
    case 'char':
      if (n.ci && !flagI && isLetter(n.c)) return `[${n.c.toLowerCase()}${n.c.toUpperCase()}]`;
      return charSrc(n.c);
    case 'set': case 'assert': case 'backref': return n.src;
    case 'seq': return n.items.map((x) => emit(x, flagI)).join('');
    case 'alt': return n.items.map((x) => emit(x, flagI)).join('|');
    case 'group': return `${n.open}${emit(n.body, flagI)})`;
    case 'rep': {
      const inner = emit(n.node, flagI);
      // a quantifier applies to one atom: wrap sequences
      const atom = n.node.t === 'seq' || n.node.t === 'alt' ? `(?:${inner})` : inner;
      return atom + n.suffix;
    }
  }
}

/**
 * JavaScript source and flags for a parsed pattern (always `s`; `i` when wholly
 * case-insensitive, unless `noI`: V8's linear-time engine has no `i`, so letters become classes).
 */
export function emitJs(n: RxNode, noI = false): { source: string; flags: string } {
  const flagI = !noI && allCaseless(n);
  return { source: emit(n, flagI), flags: flagI ? 'is' : 's' };
}
