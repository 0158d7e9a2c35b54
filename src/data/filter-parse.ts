// The record filter language (in the spirit of PocketBase's): hand-written lexer and
// recursive-descent parser to an AST. Grammar:
//   expr := and ('||' and)* ;  and := atom ('&&' atom)* ;  atom := '(' expr ')' | operand OP operand
//   operand := path | "string" | 'string' | number | true | false | null
// OP := = != > >= < <= ~ !~ @@ and the "any of" forms ?= ?!= ?> ?>= ?< ?<= ?~ ?!~
//   also: operand ('in' | 'not in') '(' value (',' value)* ')' (the same as = ... || = ..., != ... && != ...)
//   and the macros @now, @todayStart... (values as of when the filter is read, in UTC)
import { QueryParamError } from './errors.js';

export type CompareOp = '=' | '!=' | '>' | '>=' | '<' | '<=' | '~' | '!~' | '@@';
export type Literal = string | number | boolean | null;

export type Operand = { kind: 'path'; path: string[]; pos: number } | { kind: 'literal'; value: Literal; pos: number };

export type FilterNode =
  | { kind: 'and' | 'or'; left: FilterNode; right: FilterNode }
  /** A comparison already decided (access rules fold comparisons of known values). */
  | { kind: 'const'; value: boolean }
  | { kind: 'compare'; op: CompareOp; any: boolean; left: Operand; right: Operand; pos: number };

export const FILTER_MAX_LENGTH = 4096;
const MAX_DEPTH = 32;
const MAX_COMPARISONS = 100;
const OPS = ['?!~', '?!=', '?>=', '?<=', '!=', '>=', '<=', '!~', '?=', '?>', '?<', '?~', '@@', '=', '>', '<', '~', ','];

type Token =
  | { t: 'op'; v: string; pos: number }
  | { t: 'and' | 'or' | 'lparen' | 'rparen' | 'eof'; pos: number }
  | { t: 'path'; v: string[]; pos: number }
  | { t: 'lit'; v: Literal; pos: number };

const fail = (message: string, pos: number): never => {
  throw new QueryParamError('filter', message, pos);
};

// `@request.auth.id`, `@request.body.title:isset` (rules only)
const VARIABLE = /^@request(\.[A-Za-z_][A-Za-z0-9_]*){1,2}(:isset)?/;

// Date macros (PocketBase's): dates as the stored UTC ISO text, parts as numbers.
const MACRO = /^@(now|second|minute|hour|weekday|day|month|year|todayStart|todayEnd|monthStart|monthEnd|yearStart|yearEnd)(?![A-Za-z0-9_])/;
const MAX_IN = 100;

/** Whether a filter uses a date macro (its meaning changes with time: compiled forms of it are not reused). */
export function hasMacros(src: string): boolean {
  return src.includes('@') && /@(now|second|minute|hour|weekday|day|month|year|todayStart|todayEnd|monthStart|monthEnd|yearStart|yearEnd)(?![A-Za-z0-9_])/.test(src);
}

function macroValue(name: string, now = new Date()): Literal {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  const d = now.getUTCDate();
  const iso = (t: number) => new Date(t).toISOString();
  switch (name) {
    case 'now': return now.toISOString();
    case 'second': return now.getUTCSeconds();
    case 'minute': return now.getUTCMinutes();
    case 'hour': return now.getUTCHours();
    case 'weekday': return now.getUTCDay();
    case 'day': return d;
    case 'month': return m + 1;
    case 'year': return y;
    case 'todayStart': return iso(Date.UTC(y, m, d));
    case 'todayEnd': return iso(Date.UTC(y, m, d + 1) - 1);
    case 'monthStart': return iso(Date.UTC(y, m, 1));
    case 'monthEnd': return iso(Date.UTC(y, m + 1, 1) - 1);
    case 'yearStart': return iso(Date.UTC(y, 0, 1));
    default: return iso(Date.UTC(y + 1, 0, 1) - 1); // yearEnd
  }
}

function lex(src: string, variables: boolean): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const pos = i;
    if (c === '(' || c === ')') {
      out.push({ t: c === '(' ? 'lparen' : 'rparen', pos });
      i++;
    } else if (src.startsWith('&&', i)) {
      out.push({ t: 'and', pos });
      i += 2;
    } else if (src.startsWith('||', i)) {
      out.push({ t: 'or', pos });
      i += 2;
    } else if (c === '"' || c === "'") {
      let s = '';
      i++;
      for (;;) {
        if (i >= src.length) fail('unterminated string', pos);
        const d = src[i];
        if (d === c) break;
        if (d === '\\') {
          const e = src[i + 1];
          if (e === undefined) fail('unterminated string', pos);
          s += e === 'n' ? '\n' : e === 't' ? '\t' : e;
          i += 2;
        } else {
          s += d;
          i++;
        }
      }
      i++;
      out.push({ t: 'lit', v: s, pos });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(src.slice(i, i + 64))!;
      const n = Number(m[0]);
      if (!Number.isFinite(n)) fail('number out of range', pos);
      out.push({ t: 'lit', v: n, pos });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*/.exec(src.slice(i, i + 512))!;
      i += m[0].length;
      if (src[i] === '.') fail('bad path', i);
      const word = m[0];
      if (word === 'true' || word === 'false') out.push({ t: 'lit', v: word === 'true', pos });
      else if (word === 'null') out.push({ t: 'lit', v: null, pos });
      else out.push({ t: 'path', v: word.split('.'), pos });
    } else if (c === '@' && MACRO.test(src.slice(i, i + 16))) {
      const m = MACRO.exec(src.slice(i, i + 16))!;
      out.push({ t: 'lit', v: macroValue(m[1]), pos });
      i += m[0].length;
    } else if (variables && c === '@' && src[i + 1] !== '@') {
      const m = VARIABLE.exec(src.slice(i, i + 160));
      if (!m) fail('unknown variable (use @request.auth.*, @request.body.* or @request.query.*)', pos);
      out.push({ t: 'path', v: m![0].split('.'), pos });
      i += m![0].length;
    } else {
      const op = OPS.find((o) => src.startsWith(o, i));
      if (!op) fail(`unexpected character ${JSON.stringify(c)}`, pos);
      out.push({ t: 'op', v: op!, pos });
      i += op!.length;
    }
  }
  out.push({ t: 'eof', pos: src.length });
  return out;
}

/**
 * Parses a filter into its AST; throws QueryParamError (400) with the position of the fault.
 *
 * @example
 * parseFilter('title ~ "strata" && (views > 10 || pinned = true)');
 * parseFilter('owner = @request.auth.id', { variables: true }); // access rules
 */
export function parseFilter(src: string, opts: { variables?: boolean } = {}): FilterNode {
  if (typeof src !== 'string') fail('must be a string', 0);
  if (src.length > FILTER_MAX_LENGTH) fail(`longer than ${FILTER_MAX_LENGTH} characters`, FILTER_MAX_LENGTH);
  if (src.includes('\0')) fail('NUL characters are not allowed', src.indexOf('\0'));
  const tokens = lex(src, opts.variables ?? false);
  let k = 0;
  let comparisons = 0;
  const peek = () => tokens[k];
  const describe = (t: Token) => (t.t === 'eof' ? 'end of filter' : t.t === 'op' ? `"${t.v}"` : t.t === 'path' ? `"${t.v.join('.')}"` : t.t === 'lit' ? 'a value' : t.t === 'and' ? '"&&"' : t.t === 'or' ? '"||"' : t.t === 'lparen' ? '"("' : '")"');

  function operand(): Operand {
    const t = tokens[k++];
    if (t.t === 'path') return { kind: 'path', path: t.v, pos: t.pos };
    if (t.t === 'lit') return { kind: 'literal', value: t.v, pos: t.pos };
    return fail(`expected a field or a value, found ${describe(t)}`, t.pos);
  }
  function atom(depth: number): FilterNode {
    if (depth > MAX_DEPTH) fail('nested too deeply', peek().pos);
    const t = peek();
    if (t.t === 'lparen') {
      k++;
      const inner = or(depth + 1);
      const close = tokens[k++];
      if (close.t !== 'rparen') fail(`expected ")", found ${describe(close)}`, close.pos);
      return inner;
    }
    const left = operand();
    const word = (x: Token, w: string) => x.t === 'path' && x.v.length === 1 && x.v[0].toLowerCase() === w;
    const negated = word(peek(), 'not') && word(tokens[k + 1], 'in');
    if (negated || word(peek(), 'in')) {
      const at = peek().pos;
      k += negated ? 2 : 1;
      const open = tokens[k++];
      if (open.t !== 'lparen') fail(`expected "(" after in, found ${describe(open)}`, open.pos);
      const values: Operand[] = [];
      for (;;) {
        const v = operand();
        if (v.kind !== 'literal') fail('in takes a list of values', v.pos);
        values.push(v);
        if (values.length > MAX_IN) fail(`in takes at most ${MAX_IN} values`, v.pos);
        const sep = tokens[k++];
        if (sep.t === 'rparen') break;
        if (!(sep.t === 'op' && sep.v === ',')) fail(`expected "," or ")", found ${describe(sep)}`, sep.pos);
      }
      comparisons += values.length;
      if (comparisons > MAX_COMPARISONS) fail(`more than ${MAX_COMPARISONS} comparisons`, at);
      const each = values.map((right): FilterNode => ({ kind: 'compare', op: negated ? '!=' : '=', any: false, left, right, pos: at }));
      return each.reduce((l, r) => ({ kind: negated ? 'and' : 'or', left: l, right: r }));
    }
    const opTok = tokens[k++];
    if (opTok.t !== 'op') return fail(`expected an operator, found ${describe(opTok)}`, opTok.pos);
    const right = operand();
    if (++comparisons > MAX_COMPARISONS) fail(`more than ${MAX_COMPARISONS} comparisons`, opTok.pos);
    const any = opTok.v.startsWith('?');
    return { kind: 'compare', op: (any ? opTok.v.slice(1) : opTok.v) as CompareOp, any, left, right, pos: opTok.pos };
  }
  function and(depth: number): FilterNode {
    let node = atom(depth);
    while (peek().t === 'and') {
      k++;
      node = { kind: 'and', left: node, right: atom(depth) };
    }
    return node;
  }
  function or(depth: number): FilterNode {
    let node = and(depth);
    while (peek().t === 'or') {
      k++;
      node = { kind: 'or', left: node, right: and(depth) };
    }
    return node;
  }
  if (peek().t === 'eof') fail('empty filter', 0);
  const node = or(0);
  if (peek().t !== 'eof') fail(`unexpected ${describe(peek())}`, peek().pos);
  return node;
}
