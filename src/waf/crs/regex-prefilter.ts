// Literal prefilters: the strings at least one of which every match of a regex must
// contain (compared lower-cased), so that most values are rejected without running the
// regex. Derived from the parsed pattern; `undefined` when no such set is known.
import type { RxNode } from './pcre-parse.js';

type Req = string[] | undefined;
const MAX_SET = 256;

const minLen = (r: string[]) => r.reduce((m, s) => Math.min(m, s.length), Infinity);

/** The better of two requirement sets: fewer short strings wins. */
function better(a: Req, b: Req): Req {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const la = minLen(a), lb = minLen(b);
  if (la !== lb) return la > lb ? a : b;
  return a.length <= b.length ? a : b;
}

/** Exact strings a node matches when it is a literal run (a char, a group of one), else undefined. */
function literal(n: RxNode): string | undefined {
  if (n.t === 'char') return n.c.toLowerCase();
  if (n.t === 'group' && !n.look) return literal(n.body);
  if (n.t === 'seq') {
    let s = '';
    for (const x of n.items) { const l = literal(x); if (l === undefined) return undefined; s += l; }
    return s;
  }
  return undefined;
}

function required(n: RxNode): Req {
  switch (n.t) {
    case 'char': return [n.c.toLowerCase()];
    case 'set': case 'assert': case 'backref': return undefined;
    case 'group': return n.look ? undefined : required(n.body);
    case 'rep': return n.min >= 1 ? required(n.node) : undefined;
    case 'alt': {
      const out = new Set<string>();
      for (const x of n.items) {
        const r = required(x);
        if (r === undefined || r.length === 0 || r.some((s) => s === '')) return undefined;
        for (const s of r) out.add(s);
        if (out.size > MAX_SET) return undefined;
      }
      return [...out];
    }
    case 'seq': {
      let best: Req;
      let run = '';
      const flush = () => { if (run !== '') { best = better(best, [run]); run = ''; } };
      for (const x of n.items) {
        // zero-width items do not break a literal run
        if (x.t === 'assert') continue;
        const l = literal(x);
        if (l !== undefined) { run += l; continue; }
        flush();
        best = better(best, required(x));
      }
      flush();
      return best;
    }
  }
}

/** Lower-cased strings one of which any match must contain, or undefined when none is known. */
export function requiredLiterals(n: RxNode): string[] | undefined {
  const r = required(n);
  if (r === undefined || r.length === 0 || r.some((s) => s === '')) return undefined;
  // drop strings that contain another string of the set (the shorter one is found anyway)
  const sorted = [...new Set(r)].sort((a, b) => a.length - b.length);
  const out: string[] = [];
  for (const s of sorted) if (!out.some((o) => s.includes(o))) out.push(s);
  return out;
}
