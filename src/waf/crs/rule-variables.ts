// SecLang variables: parsing a target list (`ARGS|!ARGS:foo|&TX:x|REQUEST_HEADERS:/^x-/`)
// and resolving it against a transaction into the values a rule's operator is run on.
import type { Entry, Transaction } from './transaction.js';
import { linearRx } from '../regex-linear.js';

export interface VarSpec {
  /** Upper-cased variable or collection name (ARGS, REQUEST_URI, TX...). */
  name: string;
  /** Member selector: a lower-cased literal name, or a regex. */
  key?: string | RegExp;
  count: boolean;
  exclude: boolean;
  /**
   * For a collection read whole or by key (not TX, MATCHED_*, counts): the selector with the list's
   * exclusions of that collection, as text. Many rules select the same entries this way
   * (`REQUEST_COOKIES|!REQUEST_COOKIES:/__utm/`): a transaction resolves each once.
   */
  subKey?: string;
  /** The number of `subKey` in its rule set (rule-run.ts ruleSet): where a transaction keeps the selection; -1 without one. */
  subIdx: number;
  /** `&NAME`: the column a count reports. */
  countName: string;
  /** Whether a head's method, protocol and header lines alone decide this variable's entries in a head's pass (HEAD_ONLY_VARS below). */
  head: boolean;
}

/**
 * Variables whose entries in a head's transaction (request-transaction.ts headTransaction) follow from the
 * method, the protocol version and the header lines alone: the headers and cookies, and the body's
 * variables (empty before a body). ARGS is not one (it holds query values, path segments and some headers).
 */
export const HEAD_ONLY_VARS: ReadonlySet<string> = new Set([
  'REQUEST_HEADERS', 'REQUEST_HEADERS_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES', 'REQUEST_METHOD', 'REQUEST_PROTOCOL',
  'ARGS_POST', 'ARGS_POST_NAMES', 'FILES', 'FILES_NAMES', 'MULTIPART_PART_HEADERS', 'XML', 'REQUEST_BODY', 'REQBODY_PROCESSOR',
  'FILES_COMBINED_SIZE', 'REQUEST_BODY_LENGTH', 'ARGS_COMBINED_SIZE',
]);

/** Variables whose values are collections of named entries. */
const COLLECTION_NAMES = new Set([
  'ARGS', 'ARGS_GET', 'ARGS_POST', 'ARGS_NAMES', 'ARGS_GET_NAMES', 'ARGS_POST_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES', 'REQUEST_HEADERS',
  'REQUEST_HEADERS_NAMES', 'FILES', 'FILES_NAMES', 'MULTIPART_PART_HEADERS', 'XML', 'MATCHED_VARS', 'MATCHED_VARS_NAMES', 'TX',
]);

/** Scalar variables this engine fills in. */
export const SCALAR_NAMES = new Set([
  'REQUEST_URI', 'REQUEST_URI_RAW', 'REQUEST_FILENAME', 'REQUEST_BASENAME', 'REQUEST_LINE', 'REQUEST_METHOD', 'REQUEST_PROTOCOL', 'QUERY_STRING',
  'REQUEST_BODY', 'REQBODY_PROCESSOR', 'REMOTE_ADDR', 'MATCHED_VAR', 'MATCHED_VAR_NAME', 'ARGS_COMBINED_SIZE', 'FILES_COMBINED_SIZE', 'REQUEST_BODY_LENGTH',
]);

/** Splits on `|` outside `/regex/` selectors. */
function splitTargets(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inRe = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '/' && (cur.endsWith(':') || inRe) && s[i - 1] !== '\\') inRe = !inRe;
    if (c === '|' && !inRe) { out.push(cur); cur = ''; continue; }
    cur += c;
  }
  if (cur !== '') out.push(cur);
  return out;
}

export function parseVariables(s: string): VarSpec[] {
  const texts: string[] = [];
  const specs = splitTargets(s).map((t) => {
    texts.push(t);
    let exclude = false, count = false;
    if (t.startsWith('!')) { exclude = true; t = t.slice(1); }
    if (t.startsWith('&')) { count = true; t = t.slice(1); }
    const colon = t.indexOf(':');
    const name = (colon === -1 ? t : t.slice(0, colon)).toUpperCase();
    if (!COLLECTION_NAMES.has(name) && !SCALAR_NAMES.has(name)) throw new Error(`unsupported variable ${name}`);
    let key: VarSpec['key'];
    if (colon !== -1) {
      let k = t.slice(colon + 1);
      if (k.startsWith("'") && k.endsWith("'")) k = k.slice(1, -1);
      if (name === 'XML') key = undefined; // XML:/* = every text node; XPath is not supported beyond that
      else if (k.length >= 2 && k.startsWith('/') && k.endsWith('/')) key = linearRx(new RegExp(k.slice(1, -1), 'i'));
      else key = k.toLowerCase();
    }
    return { name, key, count, exclude, subIdx: -1, countName: `&${name}`, head: HEAD_ONLY_VARS.has(name) } as VarSpec;
  });
  specs.forEach((spec, i) => {
    if (spec.exclude || spec.count || spec.name === 'TX' || spec.name.startsWith('MATCHED') || !COLLECTION_NAMES.has(spec.name)) return;
    const excl = specs.flatMap((x, j) => (x.exclude && x.name === spec.name ? [texts[j]] : []));
    spec.subKey = [texts[i].replace(/^[^:]*/, spec.name), ...excl].join('\0');
  });
  return specs;
}

const lname = (e: Entry) => e.lname ?? (e.lname = e.name.toLowerCase());
const keyMatches = (key: VarSpec['key'], e: Entry) => key === undefined || (typeof key === 'string' ? lname(e) === key : key.test(e.name));

/** Where resolved targets go: parallel arrays of collection (or scalar) names and entries. */
export interface TargetList { cols: string[]; entries: Entry[]; /** How many of cols/entries are this resolution's (the arrays are reused, never shrunk: no new backing store per rule). */ n: number }

function put(out: TargetList, col: string, e: Entry): void {
  out.cols[out.n] = col;
  out.entries[out.n] = e;
  out.n++;
}

/** Collects the values a rule's variables select, exclusions applied; `bodyOnly` keeps only body entries of collections. */
export function collectTargets(specs: readonly VarSpec[], hasExclusions: boolean, tx: Transaction, bodyOnly: boolean, out: TargetList): void {
  for (const spec of specs) if (!spec.exclude) collectSpec(spec, specs, hasExclusions, tx, bodyOnly, out);
}

/**
 * The entries of a collection selector with a subIdx (its list's exclusions applied), resolved once per
 * transaction and pass: many rules read the same ones.
 */
export function selection(spec: VarSpec, specs: readonly VarSpec[], hasExclusions: boolean, tx: Transaction, bodyOnly: boolean): readonly Entry[] {
  const sels = bodyOnly ? tx.bodySelections : tx.selections;
  let sel = sels[spec.subIdx];
  if (sel === undefined) {
    sel = [];
    const list = tx.collections.get(spec.name);
    if (list !== undefined) for (const e of list) if ((!bodyOnly || e.body) && keyMatches(spec.key, e) && !(hasExclusions && excludedBy(specs, spec.name, e))) sel.push(e);
    sels[spec.subIdx] = sel;
  }
  return sel;
}

/** Collects the values one (non-exclusion) variable of `specs` selects. */
export function collectSpec(spec: VarSpec, specs: readonly VarSpec[], hasExclusions: boolean, tx: Transaction, bodyOnly: boolean, out: TargetList): void {
  if (spec.name === 'TX') {
    if (spec.count) {
      let n = 0;
      if (typeof spec.key === 'string') n = tx.tx.has(spec.key) ? 1 : 0;
      else for (const k of tx.tx.keys()) if (spec.key === undefined || spec.key.test(k)) n++;
      put(out, '&TX', tx.scalarEntry('&TX', String(n)));
      return;
    }
    if (typeof spec.key === 'string') {
      const v = tx.tx.get(spec.key);
      if (v !== undefined) { put(out, 'TX', tx.txEntry(spec.key, v)); }
      return;
    }
    // keys, then values: iterating the Map's entries would make a [key, value] array per TX variable
    for (const k of tx.tx.keys()) if (spec.key === undefined || spec.key.test(k)) { put(out, 'TX', tx.txEntry(k, tx.tx.get(k) as string)); }
    return;
  }
  // the body pass re-runs phase 2 for what the body added: head-only values were judged already
  if (bodyOnly && spec.count) return;
  if (SCALAR_NAMES.has(spec.name)) {
    if (bodyOnly && spec.name !== 'REQUEST_BODY') return;
    const v = tx.scalars.get(spec.name);
    if (spec.count) { put(out, spec.countName, tx.scalarEntry('&', v === undefined ? '0' : '1')); return; }
    if (v === undefined) return;
    put(out, spec.name, tx.scalarEntry(spec.name, v));
    return;
  }
  if (spec.subIdx >= 0) {
    const sel = selection(spec, specs, hasExclusions, tx, bodyOnly);
    for (let i = 0; i < sel.length; i++) { put(out, spec.name, sel[i]); }
    return;
  }
  const list = tx.collections.get(spec.name);
  if (spec.count) {
    let n = 0;
    if (list !== undefined) for (const e of list) if (keyMatches(spec.key, e)) n++;
    put(out, spec.countName, tx.scalarEntry('&', String(n)));
    return;
  }
  if (list === undefined) return;
  for (const e of list) {
    if (bodyOnly && !e.body) continue;
    if (!keyMatches(spec.key, e)) continue;
    if (hasExclusions && excludedBy(specs, spec.name, e)) continue;
    put(out, spec.name, e);
  }
}

function excludedBy(specs: readonly VarSpec[], name: string, e: Entry): boolean {
  for (const x of specs) if (x.exclude && x.name === name && keyMatches(x.key, e)) return true;
  return false;
}
