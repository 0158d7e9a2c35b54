// One request as ModSecurity's variables see it: collections of (name, value) entries
// (ARGS, REQUEST_HEADERS, ...), scalar variables (REQUEST_URI, ...) and the TX
// collection rules write to. Values are byte strings: one char per byte (UTF-8 text is
// stored as its bytes), as ModSecurity matches them.
import type { Location } from '../detector.js';

export interface Entry {
  name: string;
  value: string;
  /** Where Strata found it (for findings, exclusions and excerpts). */
  loc: Location;
  /** Set when the value arrived with the body: the body pass looks only at these. */
  body?: boolean;
  /** Transformed values by transformation chain key ('' = as is). */
  memo?: Map<string, string>;
}

export const COLLECTIONS = [
  'ARGS', 'ARGS_GET', 'ARGS_POST', 'ARGS_NAMES', 'ARGS_GET_NAMES', 'ARGS_POST_NAMES', 'REQUEST_COOKIES', 'REQUEST_COOKIES_NAMES',
  'REQUEST_HEADERS', 'REQUEST_HEADERS_NAMES', 'FILES', 'FILES_NAMES', 'MULTIPART_PART_HEADERS', 'XML', 'MATCHED_VARS', 'MATCHED_VARS_NAMES',
] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

/** A string as ModSecurity sees it: UTF-8 bytes, one char each. */
export function toBytes(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'utf8').toString('latin1');
  return s;
}

/** Back from bytes to text, for excerpts. */
export function fromBytes(s: string): string {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.from(s, 'latin1').toString('utf8');
  return s;
}

export class Transaction {
  readonly collections = new Map<string, Entry[]>();
  readonly scalars = new Map<string, string>();
  /** TX variables, names lower-cased. */
  readonly tx = new Map<string, string>();
  /** Rule ids removed for this transaction (ctl:ruleRemoveById). */
  readonly removed = new Set<number>();
  /** Whether the current pass looks only at entries that came with the body. */
  bodyPass = false;

  list(name: string): Entry[] {
    let l = this.collections.get(name);
    if (l === undefined) this.collections.set(name, (l = []));
    return l;
  }

  /** Adds an argument (query or body) to ARGS, ARGS_GET/POST and the *_NAMES lists. */
  addArg(source: 'GET' | 'POST', name: string, value: string, loc: Location): void {
    const body = source === 'POST' || undefined;
    const v: Entry = { name, value, loc, body };
    const n: Entry = { name, value: name, loc: loc === 'query' ? 'query-name' : 'body-name', body };
    this.list('ARGS').push(v);
    this.list(`ARGS_${source}`).push(v);
    this.list('ARGS_NAMES').push(n);
    this.list(`ARGS_${source}_NAMES`).push(n);
  }

  add(collection: CollectionName, name: string, value: string, loc: Location, body?: boolean): void {
    this.list(collection).push({ name, value, loc, body });
  }
}
