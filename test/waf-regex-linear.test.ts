// Every regular expression of the WAF is bounded in time (src/waf/regex-linear.ts): V8's
// automaton can run it (so V8 falls back to the automaton after 1,000,000 backtracks), or it
// carries V8's per-regex backtrack limit. Checked statically over the sources (a new
// pathological regex literal or `new RegExp` not wrapped in linearRx fails here), over every
// compiled CRS pattern at PL4, and by running exponential patterns through each mechanism in a
// child process (without the mechanism they never return).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { automatonCanRun, caselessSource, linearKind, linearRx } from '../src/waf/regex-linear.js';
import { loadCrs } from '../src/waf/crs/crs-load.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WAF = join(ROOT, 'src/waf');

function sources(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sources(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

interface Literal { at: number; body: string; flags: string }

/** Regex literals of a TypeScript source (comments, strings and templates skipped; `/` after a value is division). */
export function regexLiterals(src: string): Literal[] {
  const out: Literal[] = [];
  let i = 0;
  let prev = '';
  while (i < src.length) {
    const c = src[i]!;
    if (c === '/' && src[i + 1] === '/') { i = src.indexOf('\n', i); if (i < 0) break; continue; }
    if (c === '/' && src[i + 1] === '*') { i = src.indexOf('*/', i + 2) + 2; continue; }
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < src.length && src[j] !== c) { if (src[j] === '\\') j++; j++; }
      i = j + 1; prev = 'x'; continue;
    }
    if (c === '/' && (prev === '' || '(,=:[!&|?{};+-*%<>~^'.includes(prev) || /\b(?:return|typeof|case|of|in)$/.test(src.slice(Math.max(0, i - 8), i).trimEnd()))) {
      let j = i + 1;
      let cls = false;
      while (j < src.length) {
        const d = src[j];
        if (d === '\\') { j += 2; continue; }
        if (d === '[') cls = true; else if (d === ']') cls = false; else if ((d === '/' && !cls) || d === '\n') break;
        j++;
      }
      let k = j + 1;
      while (k < src.length && /[a-z]/.test(src[k]!)) k++;
      out.push({ at: i, body: src.slice(i + 1, j), flags: src.slice(j + 1, k) });
      i = k; prev = 'x'; continue;
    }
    if (!/\s/.test(c)) prev = c;
    i++;
  }
  return out;
}

const WRAPPED = /linearRx\(\s*$/;
/** Where a source builds a regex V8 does not bound: a literal the automaton cannot run, or `new RegExp`, not passed to linearRx. */
function unbounded(src: string): string[] {
  const bad: string[] = [];
  for (const r of regexLiterals(src)) {
    if (automatonCanRun(r.body, r.flags) || WRAPPED.test(src.slice(Math.max(0, r.at - 20), r.at))) continue;
    bad.push(`/${r.body}/${r.flags}`.slice(0, 80));
  }
  for (const m of src.matchAll(/new RegExp\(/g)) {
    if (!WRAPPED.test(src.slice(Math.max(0, m.index - 20), m.index))) bad.push(src.slice(m.index, m.index + 60));
  }
  return bad;
}

test('the source check finds a pathological regex that is not bounded, and passes it wrapped', () => {
  assert.deepEqual(unbounded('const BAD = /(b+)+(?=c)/;'), ['/(b+)+(?=c)/'], 'no lookahead in the automaton');
  assert.deepEqual(unbounded('const BAD = /^(\\w+\\s?)*$/i;'), ['/^(\\w+\\s?)*$/i'], 'an i flag is not run by the automaton');
  assert.equal(unbounded('const R = new RegExp(`(a|a)*${x}`);').length, 1);
  assert.deepEqual(unbounded('const OK = linearRx(/(b+)+(?=c)/);\nconst OK2 = linearRx(new RegExp(s));\nconst L = /^(a|a)*$/;\nx = a / b / c;'), []);
});

test('every regex in src/waf is run by the automaton or passed to linearRx', () => {
  const bad: string[] = [];
  let n = 0;
  for (const f of sources(WAF)) {
    const rel = relative(ROOT, f);
    if (rel === 'src/waf/regex-linear.ts' || rel === 'src/waf/crs/rx-compile.ts') continue; // the two builders, checked below
    const src = readFileSync(f, 'utf8');
    n += regexLiterals(src).length;
    for (const b of unbounded(src)) bad.push(`${rel}: ${b}`);
  }
  assert.ok(n > 150, `regex literals found: ${n}`);
  assert.deepEqual(bad, []);
});

test('linearRx: the automaton where it can, letters as classes for i, a backtrack limit otherwise', () => {
  const plain = /^(a|a)*$/;
  assert.equal(linearRx(plain), plain);
  assert.equal(linearKind(plain), 'linear');
  const ci = linearRx(/^(?:select|union)\s+[a-z_]+\b/i);
  assert.equal(linearKind(ci), 'linear');
  assert.equal(ci.flags, '');
  for (const s of ['SELECT x', 'UnIoN  Abc_d', 'select', 'selectx y']) assert.equal(ci.test(s), /^(?:select|union)\s+[a-z_]+\b/i.test(s), s);
  assert.equal(caselessSource('[^a-f0-9]x\\x41'), '[^\\x41-\\x46a-f0-9][xX]\\x41');
  assert.equal(caselessSource('(a)\\1'), undefined, 'back-references compare case-insensitively: not rewritten');
  const look = linearRx(/a(?=b+c)/);
  assert.equal(linearKind(look), 'bounded');
  assert.equal(look.exec('xabbc')?.index, 1);
});

test('caseless rewriting: every class of every i-flag literal in src/waf and edge cases hold the same characters', () => {
  const classes = new Set(['[a-z0-9+.-]', '[^a-f]', '[-a]', '[a-]', '[+-z]', '[\\x41-\\x5a_]', '[[\\]]', '[^\\s/?#]', '[\\w.-]', '[^A-Z]', '[Z-a]', '[\\u0041]']);
  for (const f of sources(WAF)) {
    for (const r of regexLiterals(readFileSync(f, 'utf8'))) {
      if (r.flags.includes('i')) for (const m of r.body.matchAll(/\[(?:\\.|[^\]\\])*\]/g)) classes.add(m[0]);
    }
  }
  assert.ok(classes.size > 30, String(classes.size));
  for (const cls of classes) {
    const conv = caselessSource(cls);
    if (conv === undefined) continue;
    const a = new RegExp(`^${cls}$`, 'i');
    const b = new RegExp(`^${conv}$`);
    for (let c = 0; c < 0x250; c++) assert.equal(b.test(String.fromCharCode(c)), a.test(String.fromCharCode(c)), `${cls} -> ${conv} on U+${c.toString(16)}`);
  }
});

test('every CRS pattern at PL4 is run by the automaton (after 1,000,000 backtracks at most) or bounded', () => {
  const l = loadCrs({ paranoia: 4, threshold: 5, allowedMethods: ['GET'], allowedContentTypes: ['application/json'] });
  const kinds = new Map<string, number>();
  const bad: string[] = [];
  for (const list of l.set.phases.values()) {
    for (const c of list.items) {
      if (c.kind !== 'rule') continue;
      for (let r: typeof c | undefined = c; r !== undefined; r = r.chain) {
        const rx = r.op.rx;
        if (rx === undefined) continue;
        kinds.set(rx.engine, (kinds.get(rx.engine) ?? 0) + 1);
        for (const m of rx.matchers) if (linearKind(m) === undefined) bad.push(`${c.id}: /${m.source}/${m.flags}`);
        if (rx.engine === 'bounded') assert.ok(rx.matchers.every((m) => linearKind(m) === 'bounded'), String(c.id));
      }
    }
  }
  assert.deepEqual(bad, []);
  assert.ok((kinds.get('linear') ?? 0) > 150 && (kinds.get('bounded') ?? 0) <= 12, JSON.stringify([...kinds]));
});

test('exponential patterns return through each mechanism (a child process; without the mechanism they never do)', () => {
  // (a|a)* on 64 a's is 2^64 paths for a backtracking engine; 10^6 backtracks is microseconds.
  const script = `
    const { linearRx, linearKind } = await import(${JSON.stringify(join(WAF, 'regex-linear.ts'))});
    const s = 'a'.repeat(64) + '!';
    const out = [];
    for (const re of [/^(a|a)*$/, /^(A|a)*$/i, /^(a|a)*(?=b)/, /^(a|a)*\\1$/]) {
      const r = linearRx(re);
      out.push(linearKind(r) + ':' + r.exec(s));
    }
    // compiled before the flags were set would not matter: V8 reads them when a regex first runs
    console.log(out.join(' '));`;
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(res.status, 0, res.stderr);
  assert.equal(res.stdout.trim(), 'linear:null linear:null bounded:null bounded:null');
});

test('a process started with --allow-natives-syntax keeps it after the WAF builds its bounded regexes', () => {
  const script = `
    const { linearRx, linearKind } = await import(${JSON.stringify(new URL('../src/waf/regex-linear.ts', import.meta.url).href)});
    const kind = linearKind(linearRx(/a(?=b+c)/));
    console.log(kind, new Function('return %IsSmi(1)')());`;
  for (const [flags, expect] of [[['--allow-natives-syntax'], /^bounded true$/m], [[], /SyntaxError/]] as const) {
    const r = spawnSync(process.execPath, [...flags, '--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
    assert.match(r.stdout + r.stderr, expect, `flags ${flags.join(' ') || '(none)'}: ${r.stdout}${r.stderr}`);
  }
});
