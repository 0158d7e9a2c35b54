// Runs compiled rules over a transaction for one phase, as ModSecurity 2.9 does:
// transformations, operator per target value, capture into TX:0-9, chains (every link
// must match; actions run once the whole chain has), setvar with macro expansion,
// skipAfter to markers, ctl:ruleRemoveById. Each match reports how much it raised the
// CRS anomaly scores (tx.anomaly_score_pl1..4), which is what Strata sums and judges.
import type { Compiled, CompiledRule, SetVar } from './rule-compile.js';
import { collectSpec, collectTargets, selection, SCALAR_NAMES, type TargetList } from './rule-variables.js';
import type { OpEnv } from './rule-operators.js';

/** A matched value and the variable it was found in (`ARGS:q`). */
export interface Target { varName: string; entry: Entry }
import { Transaction, newEntry, type Entry } from './transaction.js';

export interface RuleMatch {
  rule: CompiledRule;
  /** The (first link's) matched value. */
  target?: Target;
  /** What the match added to the anomaly scores. */
  score: number;
  /** Expanded logdata, when the rule has one. */
  logdata?: string;
}

const SCORE_VARS = ['anomaly_score_pl1', 'anomaly_score_pl2', 'anomaly_score_pl3', 'anomaly_score_pl4'];
const MACRO = /%\{([^}]+)\}/g;

/** A macro string split once into literal text and references (`%{tx.x}` -> ['TX', 'x']). */
type Template = Array<string | [string, string]>;
const templates = new Map<string, Template>();

function template(s: string): Template {
  let t = templates.get(s);
  if (t !== undefined) return t;
  t = [];
  let last = 0;
  for (const m of s.matchAll(MACRO)) {
    if (m.index > last) t.push(s.slice(last, m.index));
    const ref = m[1];
    const dot = ref.indexOf('.');
    t.push([(dot === -1 ? ref : ref.slice(0, dot)).toUpperCase(), dot === -1 ? '' : ref.slice(dot + 1).toLowerCase()]);
    last = m.index + m[0].length;
  }
  if (last < s.length) t.push(s.slice(last));
  templates.set(s, t);
  return t;
}

function lookup(tx: Transaction, col: string, key: string): string {
  if (col === 'TX') return tx.tx.get(key) ?? '';
  if (key === '') return tx.scalars.get(col) ?? '';
  const list = tx.collections.get(col);
  if (list !== undefined) for (const e of list) if (e.name.toLowerCase() === key) return e.value;
  return '';
}

export function expandMacros(s: string, tx: Transaction): string {
  if (!s.includes('%{')) return s;
  const t = template(s);
  if (t.length === 1 && typeof t[0] !== 'string') return lookup(tx, t[0][0], t[0][1]);
  let out = '';
  for (const p of t) out += typeof p === 'string' ? p : lookup(tx, p[0], p[1]);
  return out;
}

function applySetvar(sv: SetVar, tx: Transaction): void {
  const dot = sv.name.indexOf('.');
  if (sv.name.slice(0, dot) !== 'tx') return; // ip/global/session collections are not kept
  const key = expandMacros(sv.name.slice(dot + 1), tx).toLowerCase();
  if (key.startsWith('anomaly_score_pl')) tx.scoreVersion++;
  if (sv.op === 'delete') { tx.tx.delete(key); return; }
  const v = expandMacros(sv.value, tx);
  if (sv.op === '=') { tx.tx.set(key, v); return; }
  const cur = parseInt(tx.tx.get(key) ?? '0', 10) || 0;
  const d = parseInt(v, 10) || 0;
  tx.tx.set(key, String(sv.op === '+' ? cur + d : cur - d));
}

/** The summed anomaly scores (recomputed only when a setvar wrote one of them since). */
const scoreOf = (tx: Transaction) => {
  if (tx.scoreAt === tx.scoreVersion) return tx.score;
  let s = 0;
  for (const k of SCORE_VARS) s += parseInt(tx.tx.get(k) ?? '0', 10) || 0;
  tx.score = s;
  tx.scoreAt = tx.scoreVersion;
  return s;
};

/** The value after the first `n` transformations, memoized on the entry by chain prefix. */
function transformed(rule: CompiledRule, e: Entry, n: number): string {
  if (n === 0) return e.value;
  const key = rule.tkeys[n];
  const memo = e.memo ?? (e.memo = []);
  let v = memo[key];
  if (v === undefined) {
    v = rule.transforms[n - 1](transformed(rule, e, n - 1));
    memo[key] = v;
  }
  return v;
}

/** The operator's view of the runner: one object reused for every value (no closure per test). */
class Env implements OpEnv {
  entry!: Entry;
  lkey = 0;
  value = '';
  /** Whether the rule being run keeps captures (the operator may skip building them otherwise). */
  capture = false;
  tx!: Transaction;
  lower(): string {
    const memo = this.entry.memo ?? (this.entry.memo = []);
    let l = memo[this.lkey];
    if (l === undefined) { l = this.value.toLowerCase(); memo[this.lkey] = l; }
    return l;
  }
  expand(s: string): string { return expandMacros(s, this.tx); }
}

// one for the process: rules run synchronously and never inside one another (no WeakMap entry per transaction)
const ENV = new Env();

/** Runs a link's operator on one value (every transformation stage for multiMatch); returns the match, if any. */
function testValue(rule: CompiledRule, tx: Transaction, env: Env, col: string, entry: Entry): Target | undefined {
  const slot = rule.slot;
  const res = slot >= 0 ? entry.res : undefined;
  // this value was seen before and no stage matched: nothing to redo
  if (res !== undefined && res[slot] === 1) return undefined;
  let target: Target | undefined;
  const last = rule.transforms.length;
  let hit = false;
  let prev: string | undefined;
  for (let k = rule.multiMatch ? 0 : last; k <= last; k++) {
    const v = transformed(rule, entry, k);
    // multiMatch tests again after each transformation that changed the value (ModSecurity's rule)
    if (v === prev) continue;
    prev = v;
    env.entry = entry;
    env.value = v;
    env.lkey = rule.lkeys[k];
    env.capture = rule.capture;
    const r = rule.op.test(v, env);
    if (r.matched !== rule.op.negated) {
      hit = true;
      if (rule.capture && r.captures) for (let c = 0; c < r.captures.length && c < 10; c++) tx.tx.set(String(c), r.captures[c]);
      const varName = col === 'TX' ? `TX:${entry.name}` : col.startsWith('&') || SCALAR_NAMES.has(col) ? col : `${col}:${entry.name}`;
      tx.scalars.set('MATCHED_VAR', v);
      tx.scalars.set('MATCHED_VAR_NAME', varName);
      target = { varName, entry };
      break;
    }
  }
  if (res !== undefined) res[slot] = hit ? 2 : 1;
  return target;
}

/** Set by runPhase for the first link of the rule it runs: skip the head-only variables (known to match nothing). */
let skipHead = false;
/** Set by evalLink: whether a head-only variable matched in the link it evaluated last. */
let headHit = false;
/** Set by runRule: headHit of the first link of the rule it ran last. */
let firstHeadHit = false;

const scratch: TargetList = { cols: [], entries: [], n: 0 };
const one: TargetList = { cols: [], entries: [], n: 0 };

const SECACTION: Target[] = [{ varName: '', entry: newEntry('', '', 'path', undefined, undefined) }];

/** Runs one link's operator over its targets; returns the matched targets (captures set into TX). */
function evalLink(rule: CompiledRule, tx: Transaction, bodyOnly: boolean): Target[] {
  headHit = false;
  if (rule.vars.length === 0) { skipHead = false; return SECACTION; }
  const env = ENV;
  env.tx = tx;
  // most links match nothing: the result array is made on the first match only
  let matched: Target[] | undefined;
  const slot = rule.slot;
  if (rule.varKey !== undefined) {
    // targets that stay the same while rules run: each variable's entries in order, collection
    // selections (ARGS, REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/...) resolved once per pass and shared by rules
    const specs = rule.vars;
    const skip = skipHead;
    skipHead = false;
    for (let s = 0; s < specs.length; s++) {
      const spec = specs[s];
      if (spec.exclude || (skip && spec.head)) continue;
      if (spec.subIdx >= 0) {
        const sel = selection(spec, specs, rule.hasExclusions, tx, bodyOnly);
        for (let i = 0; i < sel.length; i++) {
          const e = sel[i];
          if (slot >= 0 && e.res !== undefined && e.res[slot] === 1) continue;
          const t = testValue(rule, tx, env, spec.name, e);
          if (t !== undefined) { (matched ??= []).push(t); if (spec.head) headHit = true; }
        }
        continue;
      }
      // a scalar or a count: resolved into one reused list
      one.n = 0;
      collectSpec(spec, specs, rule.hasExclusions, tx, bodyOnly, one);
      for (let i = 0; i < one.n; i++) {
        const e = one.entries[i];
        if (slot >= 0 && e.res !== undefined && e.res[slot] === 1) continue;
        const t = testValue(rule, tx, env, one.cols[i], e);
        if (t !== undefined) { (matched ??= []).push(t); if (spec.head) headHit = true; }
      }
    }
    return matched ?? NONE;
  }
  // targets that change while rules run (TX, MATCHED_VARS): resolved into one reused list (matches keep entries, never the list)
  skipHead = false;
  const list = scratch;
  list.n = 0;
  collectTargets(rule.vars, rule.hasExclusions, tx, bodyOnly, list);
  const { entries, cols } = list;
  for (let i = 0; i < list.n; i++) {
    const e = entries[i];
    if (slot >= 0 && e.res !== undefined && e.res[slot] === 1) continue;
    const t = testValue(rule, tx, env, cols[i], e);
    if (t !== undefined) (matched ??= []).push(t);
  }
  return matched ?? NONE;
}
const NONE: Target[] = [];

function runActions(rule: CompiledRule, tx: Transaction): void {
  for (const sv of rule.setvars) applySetvar(sv, tx);
  for (const id of rule.removeIds) tx.removed.add(id);
}

/** Evaluates a rule and its chain; reports each match with its score. Returns the marker to skip to, if any. */
function runRule(rule: CompiledRule, tx: Transaction, onMatch: (m: RuleMatch) => void): string | undefined {
  const bodyOnly = tx.bodyPass;
  const first = evalLink(rule, tx, bodyOnly);
  firstHeadHit = headHit;
  if (first.length === 0) return undefined;
  if (rule.chain === undefined) {
    for (const t of first) {
      tx.scalars.set('MATCHED_VAR', transformed(rule, t.entry, rule.transforms.length));
      tx.scalars.set('MATCHED_VAR_NAME', t.varName);
      // a rule that sets no anomaly score (captures, counters, flags) raises none: nothing to measure or report
      if (!rule.mayScore) { runActions(rule, tx); continue; }
      const before = scoreOf(tx);
      runActions(rule, tx);
      const score = scoreOf(tx) - before;
      if (score !== 0) onMatch({ rule, target: t.varName === '' ? undefined : t, score, logdata: rule.logdata ? expandMacros(rule.logdata, tx) : undefined });
    }
    return rule.skipAfter;
  }
  // ModSecurity runs each link's actions as soon as it matches (a later link may read what it set)
  const before = rule.mayScore ? scoreOf(tx) : 0;
  runActions(rule, tx);
  let prev = first;
  for (let link: CompiledRule | undefined = rule.chain; link !== undefined; link = link.chain) {
    tx.collections.set('MATCHED_VARS', prev.map((t) => ({ ...t.entry, name: t.varName, memo: undefined })));
    tx.collections.set('MATCHED_VARS_NAMES', prev.map((t) => ({ name: t.varName, value: t.varName, loc: t.entry.loc })));
    // chained links see every value again (ModSecurity has no body-only notion)
    const m = evalLink(link, tx, false);
    if (m.length === 0) return undefined;
    runActions(link, tx);
    prev = m;
  }
  if (!rule.mayScore) return rule.skipAfter;
  const score = scoreOf(tx) - before;
  if (score !== 0) onMatch({ rule, target: first[0].varName === '' ? undefined : first[0], score, logdata: rule.logdata ? expandMacros(rule.logdata, tx) : undefined });
  return rule.skipAfter;
}

/** One phase's rules in order, markers indexed for skipAfter. */
interface PhaseList { items: Compiled[]; markers: Map<string, number> }

/** A rule list ready to run: split by phase, with the TX values the initialization rules set. */
export interface RuleSet { phases: Map<number, PhaseList>; slots: number; initialTx: ReadonlyArray<[string, string]>; rules: number }

/**
 * What a head's pass learnt about its header set, per phase: 1 at a rule's index when the head-only variables
 * of the rule's first link (CompiledRule.headMode) matched nothing. A later head with the same header set skips
 * those variables (the whole rule when it reads no other): they would give the same values to the same
 * operator and match nothing again.
 */
export type HeadKnown = Map<number, Uint8Array>;

const isParanoiaSkip = (r: CompiledRule) =>
  r.skipAfter !== undefined && r.chain === undefined && r.vars.length === 1 && r.vars[0].name === 'TX' && r.vars[0].key === 'executing_paranoia_level';

/**
 * Prepares rules for one paranoia level: rules tagged above it never run (CRS skips them
 * with `TX:EXECUTING_PARANOIA_LEVEL @lt N` rules, dropped too: with those rules gone they
 * skip nothing), and the `init` rules (setup, REQUEST-901), which read only TX, are run
 * once here: requests start from the TX values they leave.
 */
export function ruleSet(init: Compiled[], items: Compiled[], paranoia: number): RuleSet {
  const kept = items.filter((c) => c.kind === 'marker' || (c.paranoia <= paranoia && !isParanoiaSkip(c)));
  // numbered over every item, not the kept ones: the numbers depend on the rule list alone, so rule sets
  // of other paranoia levels made from the same compiled rules agree on them
  numberSelections(init);
  numberSelections(items);
  for (const c of [...init, ...items]) if (c.kind === 'rule') c.mayScore = setsScore(c);
  // value-only links get a slot in the per-value outcome memo
  let slots = 0;
  for (const c of kept) {
    if (c.kind !== 'rule') continue;
    for (let r: CompiledRule | undefined = c; r !== undefined; r = r.chain) if (r.op.pure && !r.op.negated && r.vars.length > 0) r.slot = slots++;
  }
  // rules whose first link's outcome on the head-only variables a header set decides (a value-only operator, targets that stay the same)
  for (const c of kept) {
    if (c.kind !== 'rule') continue;
    const eligible = c.op.pure && !c.op.negated && c.varKey !== undefined && c.vars.some((v) => v.head && !v.exclude);
    c.headMode = !eligible ? 0 : c.vars.every((v) => v.head) ? 1 : 2;
  }
  const phases = new Map<number, PhaseList>();
  for (const c of kept) {
    const targets = c.kind === 'marker' ? [1, 2] : [c.phase];
    for (const ph of targets) {
      let l = phases.get(ph);
      if (l === undefined) phases.set(ph, (l = { items: [], markers: new Map() }));
      if (c.kind === 'marker') l.markers.set(c.name, l.items.length);
      l.items.push(c);
    }
  }
  const tx = new Transaction();
  const initSet: RuleSet = { phases: new Map(), slots: 0, initialTx: [], rules: 0 };
  initSet.phases.set(1, { items: init, markers: new Map(init.flatMap((c, i) => (c.kind === 'marker' ? [[c.name, i] as [string, number]] : []))) });
  runPhase(initSet, 1, tx, () => undefined);
  return { phases, slots, initialTx: [...tx.tx], rules: kept.filter((c) => c.kind === 'rule').length };
}

/** Whether a setvar of the rule or of a chain link may write an anomaly score (a name with a macro may be any variable). */
function setsScore(rule: CompiledRule): boolean {
  for (let r: CompiledRule | undefined = rule; r !== undefined; r = r.chain) {
    for (const sv of r.setvars) if (sv.name.includes('%{') || SCORE_VARS.some((v) => sv.name === `tx.${v}`)) return true;
  }
  return false;
}

/** Numbers the distinct collection selectors (VarSpec.subKey) of rules and their chain links: a transaction keeps each selection at its number. */
function numberSelections(items: readonly Compiled[]): void {
  const byKey = new Map<string, number>();
  for (const c of items) {
    if (c.kind !== 'rule') continue;
    for (let r: CompiledRule | undefined = c; r !== undefined; r = r.chain) {
      for (const spec of r.vars) {
        if (spec.subKey === undefined) continue;
        let k = byKey.get(spec.subKey);
        if (k === undefined) byKey.set(spec.subKey, (k = byKey.size));
        spec.subIdx = k;
      }
    }
  }
}

/** A transaction's TX starts as the initialization rules left it. */
export function startTx(set: RuleSet, tx: Transaction): void {
  // a fresh transaction's TX is a copy of the initial one, set from the pairs (`new Map(map)` iterates with an
  // entry array per variable: 2-3 times the allocation and the time)
  const init = set.initialTx;
  if (tx.tx.size === 0) {
    const m = new Map<string, string>();
    for (let i = 0; i < init.length; i++) m.set(init[i][0], init[i][1]);
    tx.tx = m;
  } else for (let i = 0; i < init.length; i++) tx.tx.set(init[i][0], init[i][1]);
  tx.scoreVersion++;
}

/**
 * Runs every rule of `phase` in order. With `known` (a head's pass only: the body's variables empty, the
 * head's header set the same as when `known` was filled), rules whose head-only first link matched nothing
 * on that header set are skipped, and such outcomes are recorded.
 */
export function runPhase(set: RuleSet, phase: number, tx: Transaction, onMatch: (m: RuleMatch) => void, known?: HeadKnown): void {
  const list = set.phases.get(phase);
  if (list === undefined) return;
  const { items, markers } = list;
  let flags: Uint8Array | undefined;
  if (known !== undefined && !tx.bodyPass) {
    flags = known.get(phase);
    if (flags === undefined) known.set(phase, (flags = new Uint8Array(items.length)));
  }
  for (let i = 0; i < items.length; i++) {
    const c = items[i];
    if (c.kind === 'marker' || tx.removed.has(c.id)) continue;
    let seen = false;
    if (flags !== undefined && c.headMode !== 0) {
      seen = flags[i] === 1;
      if (seen && c.headMode === 1) continue;
      skipHead = seen;
    }
    const skip = runRule(c, tx, onMatch);
    skipHead = false;
    if (flags !== undefined && c.headMode !== 0 && !seen && !firstHeadHit) flags[i] = 1;
    if (skip !== undefined) {
      const to = markers.get(skip);
      if (to !== undefined && to > i) i = to;
    }
  }
}
