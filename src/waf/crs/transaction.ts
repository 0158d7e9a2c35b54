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
  /** The record field (`posts.content`) this value is of, when Strata knows it (exclusions by collection and field). */
  field?: string;
  /** Transformed values (and their lower-cased forms) by transformation chain memo slot (rule-compile.ts memoKey): an array read, no Map. */
  memo?: Array<string | undefined>;
  /** The name lower-cased, once. */
  lname?: string;
  /** Operator outcomes per rule slot (0 unknown, 1 no match at any stage, 2 matched); shared by equal values across requests. */
  res?: Int8Array;
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

/** What an engine remembers of a value across requests: its transformations and rule outcomes. */
export interface ValueMemo { memo: Array<string | undefined>; res: Int8Array | undefined }

/** Looks up (or makes) the memo of a value; undefined = do not memoize this value. */
export type MemoSource = (value: string) => ValueMemo | undefined;

export class Transaction {
  /** Set by the engine: where entries get their cross-request memo. */
  memoOf?: MemoSource;

  readonly collections = new Map<string, Entry[]>();
  readonly scalars = new Map<string, string>();
  /** TX variables, names lower-cased. */
  tx = new Map<string, string>();
  /** Bumped on every write to an anomaly score variable (rule-run.ts): the summed score is recomputed only after one. */
  scoreVersion = 0;
  scoreAt = -1;
  score = 0;
  /** Rule ids removed for this transaction (ctl:ruleRemoveById). */
  readonly removed = new Set<number>();
  /** The entries each collection selector picks (by VarSpec.subIdx), resolved once per pass; `bodySelections` for the body pass. */
  selections: Array<Entry[] | undefined> = [];
  bodySelections: Array<Entry[] | undefined> = [];
  /** Whether the current pass looks only at entries that came with the body. */
  bodyPass = false;

  private readonly scalarEntries = new Map<string, Entry>();

  /** A scalar variable as an entry, made once per value (so its transformations are memoized too). */
  scalarEntry(name: string, value: string): Entry {
    let e = this.scalarEntries.get(name);
    if (e === undefined || e.value !== value) {
      e = this.entry(name, value, name === 'REQUEST_BODY' ? 'body' : name === 'QUERY_STRING' ? 'query' : 'path', name === 'REQUEST_BODY' || undefined);
      this.scalarEntries.set(name, e);
    }
    return e;
  }

  private readonly txEntries = new Map<string, Entry>();

  /** A TX variable as an entry, made once per value. */
  txEntry(key: string, value: string): Entry {
    let e = this.txEntries.get(key);
    if (e === undefined || e.value !== value) {
      e = newEntry(key, value, 'path', undefined, undefined);
      this.txEntries.set(key, e);
    }
    return e;
  }

  list(name: string): Entry[] {
    let l = this.collections.get(name);
    if (l === undefined) this.collections.set(name, (l = []));
    return l;
  }

  /** Adds an argument (query or body) to ARGS, ARGS_GET/POST and the *_NAMES lists. */
  addArg(source: 'GET' | 'POST', name: string, value: string, loc: Location, field?: string): void {
    const body = source === 'POST' || undefined;
    const v = this.entry(name, value, loc, body);
    if (field !== undefined) v.field = field;
    const n = this.entry(name, name, loc === 'query' ? 'query-name' : 'body-name', body);
    this.list('ARGS').push(v);
    this.list(`ARGS_${source}`).push(v);
    this.list('ARGS_NAMES').push(n);
    this.list(`ARGS_${source}_NAMES`).push(n);
  }

  /** A path segment as an argument: in ARGS (values only, its name is ours), located in the path. */
  addPathArg(name: string, value: string): void {
    this.list('ARGS').push(this.entry(name, value, 'path'));
  }

  /** A header value an application may read as data: in ARGS (value only), located in the header. */
  addHeaderArg(name: string, value: string): void {
    this.list('ARGS').push(this.entry(name, value, 'header'));
  }

  add(collection: CollectionName, name: string, value: string, loc: Location, body?: boolean): void {
    this.list(collection).push(this.entry(name, value, loc, body));
  }

  /** A new entry, wired to the cross-request memo of its value when there is one. */
  entry(name: string, value: string, loc: Location, body?: boolean): Entry {
    return newEntry(name, value, loc, body, this.memoOf?.(value));
  }
}

/** Every entry has every field, in one order: the rule loops read them at one object shape (no polymorphic property access). */
export function newEntry(name: string, value: string, loc: Location, body: boolean | undefined, m: ValueMemo | undefined): Entry {
  return { name, value, loc, body, field: undefined, memo: m?.memo, lname: undefined, res: m?.res };
}
