// Runs compiled rules over a transaction for one phase, as ModSecurity 2.9 does:
// transformations, operator per target value, capture into TX:0-9, chains (every link
// must match; actions run once the whole chain has), setvar with macro expansion,
// skipAfter to markers, ctl:ruleRemoveById. Each match reports how much it raised the
// CRS anomaly scores (tx.anomaly_score_pl1..4), which is what Strata sums and judges.
import type { Compiled, CompiledRule, SetVar } from './rule-compile.js';
import { resolveTargets, type Target } from './rule-variables.js';
import type { Entry, Transaction } from './transaction.js';

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

export function expandMacros(s: string, tx: Transaction): string {
  if (!s.includes('%{')) return s;
  return s.replace(MACRO, (_m, ref: string) => {
    const dot = ref.indexOf('.');
    const col = (dot === -1 ? ref : ref.slice(0, dot)).toUpperCase();
    const key = dot === -1 ? '' : ref.slice(dot + 1).toLowerCase();
    if (col === 'TX') return tx.tx.get(key) ?? '';
    if (dot === -1) return tx.scalars.get(col) ?? '';
    const e = tx.collections.get(col)?.find((x) => x.name.toLowerCase() === key);
    return e?.value ?? '';
  });
}

function applySetvar(sv: SetVar, tx: Transaction): void {
  const dot = sv.name.indexOf('.');
  if (sv.name.slice(0, dot) !== 'tx') return; // ip/global/session collections are not kept
  const key = expandMacros(sv.name.slice(dot + 1), tx).toLowerCase();
  if (sv.op === 'delete') { tx.tx.delete(key); return; }
  const v = expandMacros(sv.value, tx);
  if (sv.op === '=') { tx.tx.set(key, v); return; }
  const cur = parseInt(tx.tx.get(key) ?? '0', 10) || 0;
  const d = parseInt(v, 10) || 0;
  tx.tx.set(key, String(sv.op === '+' ? cur + d : cur - d));
}

const scoreOf = (tx: Transaction) => { let s = 0; for (const k of SCORE_VARS) s += parseInt(tx.tx.get(k) ?? '0', 10) || 0; return s; };

/** The value after the first `n` transformations, memoized on the entry by chain prefix. */
function transformed(rule: CompiledRule, e: Entry, n: number): string {
  if (n === 0) return e.value;
  const key = rule.tnames.slice(0, n).join(',');
  const memo = e.memo ?? (e.memo = new Map());
  let v = memo.get(key);
  if (v === undefined) {
    v = rule.transforms[n - 1](transformed(rule, e, n - 1));
    memo.set(key, v);
  }
  return v;
}

function lowerOf(e: Entry, key: string, v: string): () => string {
  return () => {
    const k = `${key}|lc`;
    const memo = e.memo ?? (e.memo = new Map());
    let l = memo.get(k);
    if (l === undefined) { l = v.toLowerCase(); memo.set(k, l); }
    return l;
  };
}

/** Runs one link's operator over its targets; returns the matched targets (captures set into TX). */
function evalLink(rule: CompiledRule, tx: Transaction, bodyOnly: boolean): Target[] {
  if (rule.vars.length === 0) return [{ varName: '', entry: { name: '', value: '', loc: 'path' } }];
  const targets = resolveTargets(rule.vars, tx, bodyOnly);
  const matched: Target[] = [];
  const expand = (s: string) => expandMacros(s, tx);
  for (const t of targets) {
    const stages = rule.multiMatch ? rule.transforms.length + 1 : 1;
    for (let k = stages === 1 ? rule.transforms.length : 0; k <= rule.transforms.length; k++) {
      const v = transformed(rule, t.entry, k);
      const r = rule.op.test(v, lowerOf(t.entry, rule.tnames.slice(0, k).join(','), v), expand);
      if (r.matched !== rule.op.negated) {
        if (rule.capture && r.captures) for (let c = 0; c < 10; c++) { if (c < r.captures.length) tx.tx.set(String(c), r.captures[c]); }
        tx.scalars.set('MATCHED_VAR', v);
        tx.scalars.set('MATCHED_VAR_NAME', t.varName);
        matched.push(t);
        break;
      }
    }
  }
  return matched;
}

function runActions(rule: CompiledRule, tx: Transaction): void {
  for (const sv of rule.setvars) applySetvar(sv, tx);
  for (const id of rule.removeIds) tx.removed.add(id);
}

/** Evaluates a rule and its chain; reports each match with its score. Returns the marker to skip to, if any. */
function runRule(rule: CompiledRule, tx: Transaction, onMatch: (m: RuleMatch) => void): string | undefined {
  const bodyOnly = tx.bodyPass;
  const first = evalLink(rule, tx, bodyOnly);
  if (first.length === 0) return undefined;
  if (rule.chain === undefined) {
    for (const t of first) {
      tx.scalars.set('MATCHED_VAR', transformed(rule, t.entry, rule.transforms.length));
      tx.scalars.set('MATCHED_VAR_NAME', t.varName);
      const before = scoreOf(tx);
      runActions(rule, tx);
      const score = scoreOf(tx) - before;
      if (score !== 0) onMatch({ rule, target: t.varName === '' ? undefined : t, score, logdata: rule.logdata ? expandMacros(rule.logdata, tx) : undefined });
    }
    return rule.skipAfter;
  }
  // ModSecurity runs each link's actions as soon as it matches (a later link may read what it set)
  const before = scoreOf(tx);
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
  const score = scoreOf(tx) - before;
  if (score !== 0) onMatch({ rule, target: first[0].varName === '' ? undefined : first[0], score, logdata: rule.logdata ? expandMacros(rule.logdata, tx) : undefined });
  return rule.skipAfter;
}

/** A rule list ready to run: markers indexed for skipAfter. */
export interface RuleSet { items: Compiled[]; markers: Map<string, number> }

export function ruleSet(items: Compiled[]): RuleSet {
  const markers = new Map<string, number>();
  items.forEach((c, i) => { if (c.kind === 'marker') markers.set(c.name, i); });
  return { items, markers };
}

/** Runs every rule of `phase` in order. */
export function runPhase(set: RuleSet, phase: number, tx: Transaction, onMatch: (m: RuleMatch) => void): void {
  const { items, markers } = set;
  for (let i = 0; i < items.length; i++) {
    const c = items[i];
    if (c.kind === 'marker' || c.phase !== phase || tx.removed.has(c.id)) continue;
    const skip = runRule(c, tx, onMatch);
    if (skip !== undefined) {
      const to = markers.get(skip);
      if (to !== undefined && to > i) i = to;
    }
  }
}
