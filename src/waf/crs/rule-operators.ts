// SecLang operators (@rx, @pm, @pmFromFile, @detectSQLi, @within, @eq...): each compiles
// its argument once and then tests values. Arguments holding macros (%{tx.x}) are
// expanded per transaction. @detectSQLi / @detectXSS are backed by Strata's own
// tokenizers (libinjection's role in ModSecurity).
import { compileRx, type CompiledRx } from './rx-compile.js';
import { LiteralSet } from './literal-set.js';
import { sqliDetector } from '../detectors/sqli.js';
import { xssDetector } from '../detectors/xss.js';
import { InputView } from '../transform-view.js';
import type { DetectContext, Detector } from '../detector.js';
import { fromBytes } from './transaction.js';

/** What an operator may ask of the rule runner. */
export interface OpEnv {
  lower(): string;
  expand(s: string): string;
  /** Whether the caller keeps captures; when false, a match may come without them (no array per match). */
  capture?: boolean;
}
export interface OpResult { matched: boolean; captures?: string[] }
export interface Operator {
  name: string;
  negated: boolean;
  /** Tests a transformed value; `env.lower()` gives its lower-cased form (memoized, shared with prefilters); `env.expand` expands macros. */
  test(value: string, env: OpEnv): OpResult;
  /** Whether the outcome depends on the value alone (no macros in the argument). */
  pure: boolean;
  /** The compiled regex of @rx (tests, prefilter stats). */
  rx?: CompiledRx;
}

export interface OperatorContext {
  /** Reads a data file named by @pmFromFile. */
  readData(file: string): string;
}

const NO: OpResult = { matched: false };
const YES: OpResult = { matched: true };

const DETECT_CTX: DetectContext = {
  paranoia: 1,
  limits: { maxArgs: 1e9, maxArgNameLength: 1e9, maxArgLength: 1e9, maxTotalArgLength: 1e9, maxHeaders: 1e9, maxHeaderLength: 1e9, allowedMethods: [], allowedContentTypes: [] },
};

function detectWith(d: Detector, value: string): boolean {
  if (value === '') return false;
  const found = d.inspectValue?.({ location: 'query', name: '', view: new InputView(fromBytes(value), 1) }, DETECT_CTX) ?? [];
  return found.some((f) => f.paranoia === 1);
}

function byteRanges(arg: string): Uint8Array {
  const ok = new Uint8Array(256);
  for (const part of arg.split(',')) {
    const [a, b] = part.trim().split('-').map((x) => Number(x.trim()));
    for (let c = a; c <= (b ?? a); c++) if (c >= 0 && c < 256) ok[c] = 1;
  }
  return ok;
}

function invalidUrlEncoding(s: string): boolean {
  for (let i = s.indexOf('%'); i !== -1; i = s.indexOf('%', i + 1)) {
    if (i + 2 >= s.length) return true;
    if (!/[0-9a-fA-F]/.test(s[i + 1]) || !/[0-9a-fA-F]/.test(s[i + 2])) return true;
  }
  return false;
}

function invalidUtf8(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    let n: number, min: number;
    if (c >= 0xc2 && c < 0xe0) { n = 1; min = 0x80; }
    else if (c >= 0xe0 && c < 0xf0) { n = 2; min = 0x800; }
    else if (c >= 0xf0 && c < 0xf5) { n = 3; min = 0x10000; }
    else return true;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const b = s.charCodeAt(i + k);
      if (Number.isNaN(b) || (b & 0xc0) !== 0x80) return true;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return true;
    i += n;
  }
  return false;
}

function ipv4ToInt(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  return m ? ((+m[1] << 24) | (+m[2] << 16) | (+m[3] << 8) | +m[4]) >>> 0 : undefined;
}

function ipMatcher(arg: string): (v: string) => boolean {
  const nets = arg.split(',').map((x) => x.trim()).filter(Boolean);
  return (v) => nets.some((n) => {
    const [base, bits] = n.split('/');
    const a = ipv4ToInt(base), b = ipv4ToInt(v);
    if (a === undefined || b === undefined) return base.toLowerCase() === v.toLowerCase();
    const len = bits === undefined ? 32 : Number(bits);
    const mask = len === 0 ? 0 : (~0 << (32 - len)) >>> 0;
    return ((a & mask) >>> 0) === ((b & mask) >>> 0);
  });
}

const num = (s: string) => { const n = parseInt(s, 10); return Number.isNaN(n) ? 0 : n; };

/** Compiles `@name arg` (or `!@name arg`; a bare pattern is @rx). Throws on an unsupported operator. */
export function compileOperator(spec: string, ctx: OperatorContext): Operator {
  let s = spec;
  let negated = false;
  if (s.startsWith('!')) { negated = true; s = s.slice(1); }
  let name = 'rx', arg = s;
  if (s.startsWith('@')) {
    const sp = s.indexOf(' ');
    name = (sp === -1 ? s.slice(1) : s.slice(1, sp)).toLowerCase();
    arg = sp === -1 ? '' : s.slice(sp + 1);
  }
  const dyn = arg.includes('%{');
  const argOf = (env: OpEnv) => (dyn ? env.expand(arg) : arg);
  const op = (test: Operator['test'], extra: Partial<Operator> = {}): Operator => ({ name, negated, test, pure: !dyn, ...extra });
  switch (name) {
    case 'rx': {
      const rx = compileRx(arg);
      return op((v, env) => {
        if (rx.prefilter !== undefined && rx.prefilter.find(env.lower()) === undefined) return NO;
        const m = rx.exec(v);
        if (m === null) return NO;
        return env.capture === false ? YES : { matched: true, captures: [...m].map((x) => x ?? '') };
      }, { rx });
    }
    case 'pm': case 'pmf': case 'pmfromfile': {
      const words = name === 'pm' ? arg.split(/\s+/).filter(Boolean)
        : arg.split(/\s+/).filter(Boolean).flatMap((f) => ctx.readData(f).split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')));
      const set = new LiteralSet(words);
      return op((_v, env) => { const w = set.find(env.lower()); return w === undefined ? NO : env.capture === false ? YES : { matched: true, captures: [w] }; });
    }
    case 'detectsqli': return op((v) => (detectWith(sqliDetector, v) ? YES : NO));
    case 'detectxss': return op((v) => (detectWith(xssDetector, v) ? YES : NO));
    case 'contains': return op((v, e) => (v.includes(argOf(e)) ? YES : NO));
    case 'containsword': return op((v, e) => {
      const w = argOf(e);
      for (let i = v.indexOf(w); i !== -1; i = v.indexOf(w, i + 1)) {
        if (!/\w/.test(v[i - 1] ?? '') && !/\w/.test(v[i + w.length] ?? '')) return YES;
      }
      return NO;
    });
    case 'beginswith': return op((v, e) => (v.startsWith(argOf(e)) ? YES : NO));
    case 'endswith': return op((v, e) => (v.endsWith(argOf(e)) ? YES : NO));
    case 'streq': return op((v, e) => (v === argOf(e) ? YES : NO));
    case 'within': return op((v, e) => (v !== '' && argOf(e).includes(v) ? YES : NO));
    case 'eq': return op((v, e) => (num(v) === num(argOf(e)) ? YES : NO));
    case 'ge': return op((v, e) => (num(v) >= num(argOf(e)) ? YES : NO));
    case 'gt': return op((v, e) => (num(v) > num(argOf(e)) ? YES : NO));
    case 'le': return op((v, e) => (num(v) <= num(argOf(e)) ? YES : NO));
    case 'lt': return op((v, e) => (num(v) < num(argOf(e)) ? YES : NO));
    case 'validatebyterange': {
      const ok = byteRanges(arg);
      return op((v) => { for (let i = 0; i < v.length; i++) if (!ok[v.charCodeAt(i) & 0xff]) return YES; return NO; });
    }
    case 'validateurlencoding': return op((v) => (invalidUrlEncoding(v) ? YES : NO));
    case 'validateutf8encoding': return op((v) => (invalidUtf8(v) ? YES : NO));
    case 'ipmatch': { const m = ipMatcher(arg); return op((v) => (m(v) ? YES : NO)); }
    case 'unconditionalmatch': return op(() => YES);
    case 'nomatch': return op(() => NO);
    default: throw new Error(`unsupported operator @${name}`);
  }
}
