// What only Strata knows about a request's arguments (issue 14): its own grammars and its
// collection schemas. On the records routes (REST list/get/create/update/aggregate, POST
// /api/batch, Connect/gRPC-Web JSON `/strata.<collection>.RecordService/<Method>`), a
// `filter` is parsed with the data layer's own parser and only its string literals are
// inspected (the operands of `@@` not even those: the data layer reduces them to letters and
// digits); `sort`, `fields`, `expand`, `groupBy` that are plain name lists hold nothing to
// inspect; a write's value for a typed field (number, integer, boolean, date, relation id,
// select) that validates as that type is no text. Anything that does not parse is inspected
// raw, as before. Body values of a record field carry `field` (`posts.content`) so that
// exclusions can name a collection's field on every transport.
import { parseFilter, ID_PATTERN, type Collection, type FilterNode } from '../data/index.js';
import type { RawPart } from './request-parts.js';
import { linearRx } from './regex-linear.js';

/** The live collections (they can change at run time); the composition root passes the data layer's. */
export interface StrataSchema {
  collections(): ReadonlyMap<string, Collection>;
}

/** A part, possibly tagged with the record field it is the value of (`<collection>.<field>`). */
export type ArgPart = RawPart & { field?: string };

export interface ArgScope { method: string; path: string }

/** How Strata reads one request's arguments: query (decoded) and body parts in, what to inspect out. */
export interface ArgReader {
  query(parts: ArgPart[]): ArgPart[];
  body(parts: ArgPart[]): ArgPart[];
}

/** Strata's name lists (`-created,title`, `author,tags.owner`): what the data layer's sort/fields/expand grammar accepts. */
const NAME_LIST = /^\s*[-+]?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?:\s*,\s*[-+]?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)*\s*$/;
const NUMBER = linearRx(/^-?\d{1,30}(?:\.\d{1,30})?(?:[eE][+-]?\d{1,3})?$/);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const REST = /^\/api\/collections\/([^/]+)\/(records(?:\/[^/]+)?|aggregate)\/?$/;
const CONNECT = /^\/strata\.([A-Za-z0-9_]+)\.RecordService\/(List|Get|Create|Update|Delete)$/;
const BATCH_FIELD = /^operations\.(\d+)\.body\.([^.]+)$/;
const BATCH_COLLECTION = /^operations\.(\d+)\.collection$/;

/** The string literals of a filter to inspect (none from `@@` operands), or undefined when it does not parse. */
export function filterLiterals(src: string): string[] | undefined {
  let node: FilterNode;
  try { node = parseFilter(src); } catch { return undefined; }
  const out: string[] = [];
  const stack: FilterNode[] = [node];
  while (stack.length > 0) {
    const n = stack.pop() as FilterNode;
    if (n.kind === 'and' || n.kind === 'or') { stack.push(n.left, n.right); continue; }
    if (n.kind !== 'compare') continue;
    // full-text search strings reach the engine as letters and digits only (data/full-text.ts searchWords)
    if (n.op === '@@') continue;
    for (const o of [n.left, n.right]) if (o.kind === 'literal' && typeof o.value === 'string' && o.value !== '') out.push(o.value);
  }
  return out;
}

/** Whether a value is a valid value of a typed field, so not text (undefined: the field holds text). */
function validTyped(c: Collection, name: string, value: string): boolean {
  if (name === 'id') return ID_PATTERN.test(value);
  const f = c.fields.find((x) => x.name === name);
  if (f === undefined || f.encrypted) return false;
  switch (f.type) {
    case 'number': case 'integer': return NUMBER.test(value);
    case 'boolean': return value === 'true' || value === 'false';
    case 'date': return ISO_DATE.test(value) && !Number.isNaN(Date.parse(value));
    case 'relation': return ID_PATTERN.test(value);
    case 'select': return f.values?.includes(value) ?? false;
    default: return false;
  }
}

const decode = (s: string) => { try { return decodeURIComponent(s); } catch { return s; } };

/** The grammar parameters of a records read: filter (parsed), name lists (dropped when they are one). */
function grammarParts(parts: ArgPart[], names: ReadonlySet<string>): ArgPart[] {
  let out: ArgPart[] | undefined;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    if ((p.location !== 'query' && p.location !== 'body') || !names.has(p.name)) { out?.push(p); continue; }
    let keep: ArgPart[] | undefined;
    if (p.name === 'filter') {
      const lits = filterLiterals(p.value);
      if (lits !== undefined) keep = lits.map((value) => ({ location: p.location, name: p.name, value }));
    } else if (NAME_LIST.test(p.value)) keep = [];
    if (keep === undefined) { out?.push(p); continue; }
    out ??= parts.slice(0, i);
    out.push(...keep);
  }
  return out ?? parts;
}

const READ_PARAMS = new Set(['filter', 'sort', 'fields', 'expand']);
const ONE_PARAMS = new Set(['fields', 'expand']);
const AGGREGATE_PARAMS = new Set(['filter', 'groupBy']);

/** Typed fields that validate are dropped; record fields are tagged for exclusions. `prefix` is where a record's fields start (`record.`). */
function recordParts(parts: ArgPart[], c: Collection, prefix: string): ArgPart[] {
  const out: ArgPart[] = [];
  for (const p of parts) {
    if (p.location === 'body' && p.name.startsWith(prefix)) {
      const name = p.name.slice(prefix.length);
      const top = name.split('.', 1)[0];
      if (name === top && validTyped(c, top, p.value)) continue;
      out.push({ ...p, field: `${c.name}.${top}` });
    } else out.push(p);
  }
  return out;
}

/**
 * The reader for a request to one of Strata's records routes, or undefined for any other
 * request (nothing changes there).
 */
export function argReaderFor(schema: StrataSchema | undefined, scope: ArgScope): ArgReader | undefined {
  if (schema === undefined) return undefined;
  const rest = REST.exec(scope.path);
  if (rest !== null) {
    const c = schema.collections().get(decode(rest[1]));
    if (c === undefined) return undefined;
    const kind = rest[2] === 'aggregate' ? 'aggregate' : rest[2] === 'records' || rest[2] === 'records/' ? 'list' : 'one';
    const params = kind === 'aggregate' ? AGGREGATE_PARAMS : kind === 'list' && scope.method === 'GET' ? READ_PARAMS : ONE_PARAMS;
    return { query: (parts) => grammarParts(parts, params), body: (parts) => recordParts(parts, c, '') };
  }
  if (scope.path === '/api/batch') {
    const cols = schema.collections();
    return {
      query: (parts) => parts,
      body(parts) {
        const of = new Map<string, Collection>();
        for (const p of parts) {
          const m = p.location === 'body' ? BATCH_COLLECTION.exec(p.name) : null;
          const c = m === null ? undefined : cols.get(p.value);
          if (m !== null && c !== undefined) of.set(m[1], c);
        }
        const out: ArgPart[] = [];
        for (const p of parts) {
          const m = p.location === 'body' ? BATCH_FIELD.exec(p.name) : null;
          const c = m === null ? undefined : of.get(m[1]);
          if (m === null || c === undefined) { out.push(p); continue; }
          if (validTyped(c, m[2], p.value)) continue;
          out.push({ ...p, field: `${c.name}.${m[2]}` });
        }
        return out;
      },
    };
  }
  const rpc = CONNECT.exec(scope.path);
  if (rpc !== null) {
    const c = schema.collections().get(rpc[1]);
    if (c === undefined) return undefined;
    const params = rpc[2] === 'List' ? READ_PARAMS : rpc[2] === 'Get' ? ONE_PARAMS : undefined;
    return { query: (parts) => parts, body: (parts) => recordParts(params === undefined ? parts : grammarParts(parts, params), c, 'record.') };
  }
  return undefined;
}
