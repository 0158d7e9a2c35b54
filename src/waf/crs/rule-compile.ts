// Compiles parsed SecLang directives into rules the runner executes: variables,
// operator, transformation chain and actions (setvar, capture, chain, skipAfter, ctl,
// msg/logdata/tag/severity metadata). Rules using what this engine does not support are
// kept out with the reason, so callers can list them.
import { splitActions, type Directive } from './seclang-parse.js';
import { parseVariables, type VarSpec } from './rule-variables.js';
import { compileOperator, type Operator, type OperatorContext } from './rule-operators.js';
import { TRANSFORMS, type Transform } from './transforms.js';
import { linearRx } from '../regex-linear.js';

const RULE_REMOVE = linearRx(/^ruleRemoveById=(\d+)$/i);
const IGNORED_CTL = linearRx(/^(auditLogParts|auditEngine|forceRequestBodyVariable|requestBodyProcessor|ruleEngine)=/i);

export interface SetVar { name: string; op: '=' | '+' | '-' | 'delete'; value: string }

export interface CompiledRule {
  kind: 'rule';
  id: number;
  phase: number;
  vars: VarSpec[];
  op: Operator;
  transforms: Transform[];
  /** Transformation names, for the per-value memo (`t:none,t:lowercase` -> ['lowercase']). */
  tnames: string[];
  /** Memo slots (memoKey) of the first k transformations (k = 0..n) and of their lower-cased forms. */
  tkeys: number[];
  lkeys: number[];
  /** Index of this link's outcome in Entry.res, or -1 when its outcome depends on more than the value. */
  slot: number;
  /** The variable text when the targets it selects stay the same while rules run (no TX, MATCHED_*); else undefined. */
  varKey?: string;
  /** Whether this rule's actions (or its chain's) may change an anomaly score (rule-run.ts ruleSet); when not, its matches report nothing. */
  mayScore: boolean;
  /**
   * How this rule's first link reads what a head's method, protocol and header lines alone decide (VarSpec.head:
   * headers, cookies, the body's variables, empty in a head's pass) with a value-only operator (rule-run.ts
   * ruleSet), whose outcome on those variables is then the same for every head with the same header set:
   * 0 not so, 1 it reads nothing else, 2 it reads other variables too.
   */
  headMode: 0 | 1 | 2;
  /** Whether the variables hold `!` exclusions. */
  hasExclusions: boolean;
  multiMatch: boolean;
  capture: boolean;
  setvars: SetVar[];
  skipAfter?: string;
  /** ctl:ruleRemoveById targets. */
  removeIds: number[];
  msg?: string;
  logdata?: string;
  severity?: string;
  tags: string[];
  /** The paranoia-level/N tag; 1 when absent. */
  paranoia: number;
  chain?: CompiledRule;
  file: string;
}

export interface Marker { kind: 'marker'; name: string }
export type Compiled = CompiledRule | Marker;
export interface Skipped { id: number; file: string; reason: string }

/** Transformation chains by memo slot: one number per chain (and its lower-cased form), the same in every rule set of the process. */
const memoKeys = new Map<string, number>();
/** The per-value memo slot of a transformation chain (`urldecodeuni,lowercase`, `...|lc`). */
export function memoKey(chain: string): number {
  let k = memoKeys.get(chain);
  if (k === undefined) memoKeys.set(chain, (k = memoKeys.size));
  return k;
}

const SEVERITIES = ['emergency', 'alert', 'critical', 'error', 'warning', 'notice', 'info', 'debug'];
/** Actions that change nothing this engine models (logging, audit, versions, engine control). */
const IGNORED = new Set(['log', 'nolog', 'auditlog', 'noauditlog', 'ver', 'rev', 'maturity', 'accuracy', 'status', 'block', 'deny', 'pass', 'allow', 'drop', 't', 'expirevar', 'initcol', 'setenv', 'redirect']);

function compileOne(d: Extract<Directive, { kind: 'rule' | 'action' }>, file: string, ctx: OperatorContext, inherited?: { id: number; phase: number }): CompiledRule {
  const actions = splitActions(d.actions);
  const rule: CompiledRule = {
    kind: 'rule', id: inherited?.id ?? 0, phase: inherited?.phase ?? 2, vars: [], op: compileOperator('@unconditionalMatch', ctx), transforms: [], tnames: [], tkeys: [], lkeys: [], slot: -1, mayScore: true, headMode: 0, hasExclusions: false,
    multiMatch: false, capture: false, setvars: [], removeIds: [], tags: [], paranoia: 1, file,
  };
  for (const a of actions) {
    const n = a.name.toLowerCase();
    if (n === 'id') rule.id = Number(a.value);
    else if (n === 'phase') rule.phase = a.value === 'request' ? 2 : Number(a.value);
    else if (n === 't') {
      const t = a.value.toLowerCase();
      if (t === 'none') { rule.transforms = []; rule.tnames = []; continue; }
      const f = TRANSFORMS[t];
      if (!f) throw new Error(`unsupported transformation t:${a.value}`);
      rule.transforms.push(f);
      rule.tnames.push(t);
    } else if (n === 'multimatch') rule.multiMatch = true;
    else if (n === 'capture') rule.capture = true;
    else if (n === 'setvar') {
      let v = a.value;
      if (v.startsWith('!')) { rule.setvars.push({ name: v.slice(1).toLowerCase(), op: 'delete', value: '' }); continue; }
      const eq = v.indexOf('=');
      const name = (eq === -1 ? v : v.slice(0, eq)).toLowerCase();
      v = eq === -1 ? '1' : v.slice(eq + 1);
      const op = v.startsWith('+') ? '+' : v.startsWith('-') ? '-' : '=';
      rule.setvars.push({ name, op, value: op === '=' ? v : v.slice(1) });
    } else if (n === 'skipafter') rule.skipAfter = a.value;
    else if (n === 'msg') rule.msg = a.value;
    else if (n === 'logdata') rule.logdata = a.value;
    else if (n === 'tag') {
      rule.tags.push(a.value);
      const m = /^paranoia-level\/(\d)$/.exec(a.value);
      if (m) rule.paranoia = Number(m[1]);
    } else if (n === 'severity') rule.severity = /^\d$/.test(a.value) ? SEVERITIES[Number(a.value)] : a.value.toLowerCase();
    else if (n === 'ctl') {
      const m = RULE_REMOVE.exec(a.value);
      if (m) rule.removeIds.push(Number(m[1]));
      else if (!IGNORED_CTL.test(a.value)) throw new Error(`unsupported ctl:${a.value}`);
    } else if (n !== 'chain' && !IGNORED.has(n)) throw new Error(`unsupported action ${a.name}`);
  }
  if (d.kind === 'rule') {
    rule.vars = parseVariables(d.variables);
    rule.hasExclusions = rule.vars.some((v) => v.exclude);
    if (!rule.vars.some((v) => v.name === 'TX' || v.name.startsWith('MATCHED'))) rule.varKey = d.variables;
    rule.op = compileOperator(d.operator, ctx);
  }
  for (let k = 0; k <= rule.tnames.length; k++) {
    const key = rule.tnames.slice(0, k).join(',');
    rule.tkeys.push(memoKey(key));
    rule.lkeys.push(memoKey(`${key}|lc`));
  }
  return rule;
}

/** Compiles one file's directives; chained rules hang off their chain starter. */
export function compileRules(directives: readonly Directive[], file: string, ctx: OperatorContext, skipped: Skipped[]): Compiled[] {
  const out: Compiled[] = [];
  for (let i = 0; i < directives.length; i++) {
    const d = directives[i];
    if (d.kind === 'marker') { out.push({ kind: 'marker', name: d.name }); continue; }
    // a chain is the starter plus every following rule while the previous one says `chain`
    const links = [d];
    while (/(^|,)\s*chain\s*(,|$)/.test(links[links.length - 1].actions) && i + 1 < directives.length && directives[i + 1].kind === 'rule') links.push(directives[++i] as typeof d);
    let head: CompiledRule | undefined;
    try {
      head = compileOne(links[0], file, ctx);
      let prev = head;
      for (const l of links.slice(1)) { prev.chain = compileOne(l, file, ctx, { id: head.id, phase: head.phase }); prev = prev.chain; }
      out.push(head);
    } catch (err) {
      const id = head?.id ?? Number(/id:(\d+)/.exec(links[0].actions)?.[1] ?? 0);
      skipped.push({ id, file, reason: (err as Error).message });
    }
  }
  return out;
}
