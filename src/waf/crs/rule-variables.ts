// SecLang variables: parsing a target list (`ARGS|!ARGS:foo|&TX:x|REQUEST_HEADERS:/^x-/`)
// and resolving it against a transaction into the values a rule's operator is run on.
import type { Entry, Transaction } from './transaction.js';

export interface VarSpec {
  /** Upper-cased variable or collection name (ARGS, REQUEST_URI, TX...). */
  name: string;
  /** Member selector: a lower-cased literal name, or a regex. */
  key?: string | RegExp;
  count: boolean;
  exclude: boolean;
}

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
  return splitTargets(s).map((t) => {
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
      else if (k.length >= 2 && k.startsWith('/') && k.endsWith('/')) key = new RegExp(k.slice(1, -1), 'i');
      else key = k.toLowerCase();
    }
    return { name, key, count, exclude };
  });
}

const keyMatches = (key: VarSpec['key'], name: string) => key === undefined || (typeof key === 'string' ? name.toLowerCase() === key : key.test(name));

/** One value to run an operator on: the entry (for collections) or a synthetic one. */
export interface Target { varName: string; entry: Entry }

/** The values a rule's variables select, exclusions applied; `bodyOnly` keeps only body entries of collections. */
export function resolveTargets(specs: readonly VarSpec[], tx: Transaction, bodyOnly: boolean): Target[] {
  const out: Target[] = [];
  for (const spec of specs) {
    if (spec.exclude) continue;
    if (spec.name === 'TX') {
      if (spec.count) {
        let n = 0;
        for (const k of tx.tx.keys()) if (keyMatches(spec.key, k)) n++;
        out.push({ varName: `&TX:${typeof spec.key === 'string' ? spec.key : ''}`, entry: { name: 'TX', value: String(n), loc: 'path' } });
        continue;
      }
      for (const [k, v] of tx.tx) if (keyMatches(spec.key, k)) out.push({ varName: `TX:${k}`, entry: { name: k, value: v, loc: 'path' } });
      continue;
    }
    // the body pass re-runs phase 2 for what the body added: head-only values were judged already
    if (bodyOnly && spec.count) continue;
    if (SCALAR_NAMES.has(spec.name)) {
      if (bodyOnly && spec.name !== 'REQUEST_BODY') continue;
      const v = tx.scalars.get(spec.name);
      if (spec.count) { out.push({ varName: `&${spec.name}`, entry: { name: spec.name, value: v === undefined ? '0' : '1', loc: 'path' } }); continue; }
      if (v === undefined) continue;
      out.push({ varName: spec.name, entry: { name: spec.name, value: v, loc: spec.name === 'REQUEST_BODY' ? 'body' : spec.name === 'QUERY_STRING' ? 'query' : 'path', body: spec.name === 'REQUEST_BODY' } });
      continue;
    }
    const list = tx.collections.get(spec.name) ?? [];
    if (spec.count) {
      let n = 0;
      for (const e of list) if (keyMatches(spec.key, e.name)) n++;
      out.push({ varName: `&${spec.name}`, entry: { name: spec.name, value: String(n), loc: 'path' } });
      continue;
    }
    for (const e of list) {
      if (bodyOnly && !e.body) continue;
      if (!keyMatches(spec.key, e.name)) continue;
      let excluded = false;
      for (const x of specs) if (x.exclude && x.name === spec.name && keyMatches(x.key, e.name)) { excluded = true; break; }
      if (!excluded) out.push({ varName: `${spec.name}:${e.name}`, entry: e });
    }
  }
  return out;
}
