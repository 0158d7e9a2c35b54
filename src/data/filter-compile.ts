// Compiles a filter AST to a parameterized SQL boolean (Kysely RawBuilder). Field names are
// resolved against the declared collections; values only ever travel as bind parameters.
// Relation paths: to-one hops become scalar subqueries, to-many hops EXISTS over the link table.
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import { refuseEncrypted } from './field-cipher.js';
import { backRelationOf, fieldOf, type Collection, type FieldType } from './collection-model.js';
import type { SqlDialect } from './dialects/dialect.js';
import { QueryParamError } from './errors.js';
import { parseFilter, type FilterNode, type Literal, type Operand } from './filter-parse.js';
import { jsonElements, jsonLiteral, jsonOperand, jsonSegments, numberParam, type JsonKind } from './filter-json.js';
import type { TableNames } from './table-names.js';
import type { FullTextMatch } from './full-text.js';
import { parseIsoDate } from './iso-date.js';

export interface FilterContext {
  dialect: SqlDialect;
  names: TableNames;
  collections: ReadonlyMap<string, Collection>;
  /** Full-text search compiler, when the collection has `fullText` fields. */
  fullText?: (c: Collection, alias: string, query: string) => FullTextMatch;
  /**
   * Access rule for records a filter reaches through a relation (alias of the related table), so a
   * caller cannot probe records they may not list; undefined: no limit.
   */
  hopWhere?: (target: Collection, alias: string) => Expression<SqlBool> | undefined;
  /**
   * When a field's value is visible to the caller on a row (alias of its table): elsewhere the filter
   * reads it as null (an auth record's `email` hidden by `emailVisibility`); undefined: always visible.
   */
  fieldWhere?: (c: Collection, field: string, alias: string) => Expression<SqlBool> | undefined;
}

export type ValueType = FieldType | 'id' | 'jsonpath';
/** What an `@request...` path stands for in an access rule: a bound value or a subquery. */
export interface VariableValue {
  type: ValueType;
  value: RawBuilder<unknown>;
  nullable: boolean;
}
/** Resolves `@request.*` paths (segments as written, e.g. ['@request', 'auth', 'id']); throws QueryParamError when unknown. */
export type Variables = (path: readonly string[], pos: number) => VariableValue;
type Resolved =
  | { many: false; type: ValueType; value: (kind: JsonKind) => RawBuilder<unknown>; nullable: boolean }
  | { many: true; type: ValueType; wrap: (cond: (value: (kind: JsonKind) => RawBuilder<unknown>) => RawBuilder<SqlBool>) => RawBuilder<SqlBool> };

const MAX_HOPS = 4;
const TEXTLIKE = new Set<ValueType>(['text', 'email', 'url', 'select', 'date', 'id', 'relation', 'file']);

function family(t: ValueType): string {
  if (t === 'number' || t === 'integer') return 'number';
  if (t === 'boolean') return 'boolean';
  if (t === 'json' || t === 'jsonpath') return 'json';
  return 'text';
}

/** `onRank` receives the relevance of the first `@@` term, for ordering by rank. */
export function compileFilter(src: string | FilterNode, c: Collection, alias: string, ctx: FilterContext, onRank?: (rank: RawBuilder<unknown>) => void, variables?: Variables): RawBuilder<SqlBool> {
  let aliasN = 0;
  let ranked = false;
  const nextAlias = (p: string) => `${alias}_${p}${++aliasN}`;
  const col = (a: string, name: string) => sql.ref(`${a}.${name}`);
  const hopOf = (target: Collection, a: string) => {
    const w = ctx.hopWhere?.(target, a);
    return w ? sql` AND ${w}` : sql``;
  };

  /** Each element of the JSON array at `path` of `column` (the "any of" forms on JSON values). */
  const elements = (column: RawBuilder<unknown>, path: (string | number)[]): Resolved => {
    const e = nextAlias('e');
    const j = jsonElements(ctx.dialect, column, path, e);
    return { many: true, type: 'jsonpath', wrap: (cond) => sql<SqlBool>`EXISTS (SELECT 1 FROM ${j.from} WHERE ${cond(j.value)})` };
  };

  /** `any`: the "any of" form asks, so a JSON value is read as the elements of its array. */
  function resolve(coll: Collection, a: string, segs: string[], pos: number, hops: number, any = false): Resolved {
    const [head, ...rest] = segs;
    const bad = (m: string): never => {
      throw new QueryParamError('filter', m, pos);
    };
    if (head.startsWith('@')) {
      if (!variables || a !== alias) bad('variables are only allowed in access rules');
      const v = variables!(segs, pos);
      return { many: false, type: v.type, value: () => v.value, nullable: v.nullable };
    }
    if (head === 'id' || head === 'created' || head === 'updated') {
      if (rest.length > 0) bad(`"${head}" has no sub-fields`);
      return { many: false, type: head === 'id' ? 'id' : 'date', value: () => col(a, head), nullable: false };
    }
    if (coll.type === 'document') {
      const path = jsonSegments(segs);
      if (path.length > 8) bad('JSON path too deep');
      if (any) return elements(col(a, 'data'), path);
      return { many: false, type: 'jsonpath', value: (k) => jsonOperand(ctx.dialect, col(a, 'data'), path, k), nullable: true };
    }
    const f = fieldOf(coll, head);
    const back = f ? undefined : backRelationOf(coll, head, ctx.collections);
    if (back) {
      // `comments_via_post.body ?~ "x"`: the records pointing at this one, each compared ("any of").
      if (hops >= MAX_HOPS) bad(`relation paths may have at most ${MAX_HOPS} hops`);
      const r = nextAlias('b');
      const st = sql.table(ctx.names.record(back.source.name));
      const sub: Resolved = rest.length === 0 ? { many: false, type: 'id', value: () => col(r, 'id'), nullable: false } : resolve(back.source, r, rest, pos, hops + 1, any);
      const inner = (cond: Parameters<Extract<Resolved, { many: true }>['wrap']>[0]) => (sub.many ? sub.wrap(cond) : cond(sub.value));
      const hop = hopOf(back.source, r);
      if (!back.field.multiple) {
        return { many: true, type: sub.type, wrap: (cond) => sql<SqlBool>`EXISTS (SELECT 1 FROM ${st} ${sql.id(r)} WHERE ${col(r, back.field.name)} = ${col(a, 'id')}${hop} AND ${inner(cond)})` };
      }
      const l = nextAlias('l');
      const link = sql`${sql.table(ctx.names.link(back.source.name, back.field.name))} ${sql.id(l)}`;
      return { many: true, type: sub.type, wrap: (cond) => sql<SqlBool>`EXISTS (SELECT 1 FROM ${link} JOIN ${st} ${sql.id(r)} ON ${col(r, 'id')} = ${col(l, 'owner_id')}${hop} WHERE ${col(l, 'target_id')} = ${col(a, 'id')} AND ${inner(cond)})` };
    }
    if (!f) return bad(`unknown field "${head}" in ${coll.name}`);
    if (f.encrypted) refuseEncrypted('filter', f, 'filtered', pos);
    if (f.type === 'json') {
      const path = jsonSegments(rest);
      if (path.length > 8) bad('JSON path too deep');
      if (any) return elements(col(a, f.name), path);
      if (path.length === 0) return { many: false, type: 'json', value: (k) => (k === 'text' ? col(a, f.name) : bad('compare json fields through a path, like meta.key')), nullable: true };
      return { many: false, type: 'jsonpath', value: (k) => jsonOperand(ctx.dialect, col(a, f.name), path, k), nullable: true };
    }
    if (f.type !== 'relation') {
      if (rest.length > 0) bad(`"${head}" has no sub-fields`);
      const seen = ctx.fieldWhere?.(coll, f.name, a);
      return { many: false, type: f.type, value: () => (seen ? sql`(CASE WHEN ${seen} THEN ${col(a, f.name)} END)` : col(a, f.name)), nullable: true };
    }
    if (hops >= MAX_HOPS) bad(`relation paths may have at most ${MAX_HOPS} hops`);
    const target = ctx.collections.get(f.collection!)!;
    const tt = ctx.names.record(target.name);
    if (!f.multiple) {
      if (rest.length === 0) return { many: false, type: 'relation', value: () => col(a, f.name), nullable: true };
      const r = nextAlias('r');
      const sub = resolve(target, r, rest, pos, hops + 1, any);
      const from = sql`${sql.table(tt)} ${sql.id(r)}`;
      const hop = hopOf(target, r);
      if (!sub.many) {
        return { many: false, type: sub.type, nullable: true, value: (k) => sql`(SELECT ${sub.value(k)} FROM ${from} WHERE ${col(r, 'id')} = ${col(a, f.name)}${hop})` };
      }
      return { many: true, type: sub.type, wrap: (cond) => sql<SqlBool>`EXISTS (SELECT 1 FROM ${from} WHERE ${col(r, 'id')} = ${col(a, f.name)}${hop} AND ${sub.wrap(cond)})` };
    }
    const l = nextAlias('l');
    const link = sql`${sql.table(ctx.names.link(coll.name, f.name))} ${sql.id(l)}`;
    if (rest.length === 0) {
      return { many: true, type: 'relation', wrap: (cond) => sql<SqlBool>`EXISTS (SELECT 1 FROM ${link} WHERE ${col(l, 'owner_id')} = ${col(a, 'id')} AND ${cond(() => col(l, 'target_id'))})` };
    }
    const r = nextAlias('r');
    const sub = resolve(target, r, rest, pos, hops + 1, any);
    const join = sql`${link} JOIN ${sql.table(tt)} ${sql.id(r)} ON ${col(r, 'id')} = ${col(l, 'target_id')}${hopOf(target, r)}`;
    const inner = (cond: Parameters<Extract<Resolved, { many: true }>['wrap']>[0]) => (sub.many ? sub.wrap(cond) : cond(sub.value));
    return { many: true, type: sub.type, wrap: (cond) => sql<SqlBool>`EXISTS (SELECT 1 FROM ${join} WHERE ${col(l, 'owner_id')} = ${col(a, 'id')} AND ${inner(cond)})` };
  }

  function literalFits(t: ValueType, v: Literal, pos: number): void {
    if (v === null || t === 'jsonpath') return;
    const f = family(t);
    const ok = (f === 'number' && typeof v === 'number') || (f === 'boolean' && typeof v === 'boolean') || (f === 'text' && typeof v === 'string');
    if (!ok) throw new QueryParamError('filter', `a ${t} cannot be compared with ${JSON.stringify(v)}`, pos);
  }

  function bind(t: ValueType, v: Literal): unknown {
    if (typeof v === 'boolean') return t === 'jsonpath' ? jsonLiteral(ctx.dialect, v) : ctx.dialect.bool(v);
    if (typeof v === 'number') return numberParam(ctx.dialect, v);
    return v;
  }

  function compare(n: Extract<FilterNode, { kind: 'compare' }>): RawBuilder<SqlBool> {
    let { left, right } = n;
    const fail = (m: string, pos = n.pos): never => {
      throw new QueryParamError('filter', m, pos);
    };
    if (left.kind === 'literal' && right.kind === 'path') [left, right] = [right, left];
    if (left.kind === 'literal') {
      if (right.kind === 'literal') fail('compare a field with a value');
    }
    const lp = left as Extract<Operand, { kind: 'path' }>;
    const L = resolve(c, alias, lp.path, lp.pos, 0, n.any);
    if (L.many && !n.any) fail(`"${lp.path.join('.')}" holds many values: use the "any" form ?${n.op}`);

    if (n.op === '@@') {
      if (right.kind !== 'literal' || typeof right.value !== 'string' || lp.path.length !== 1) return fail('@@ takes a text field and a search string');
      if (n.any) fail('@@ has no "any" form');
      if (!c.fullText.includes(lp.path[0]) || !ctx.fullText) return fail(`"${lp.path[0]}" is not full-text searchable`);
      const m = ctx.fullText(c, alias, right.value);
      if (onRank && !ranked && m.rank) {
        ranked = true;
        onRank(m.rank);
      }
      return m.where;
    }
    const kindOf = (v: Literal): JsonKind => (v === null ? 'null' : typeof v === 'number' ? 'number' : typeof v === 'boolean' ? 'boolean' : 'text');

    const cond = (value: (k: JsonKind) => RawBuilder<unknown>): RawBuilder<SqlBool> => {
      if (right.kind === 'literal') {
        const v = right.value;
        literalFits(L.type, v, right.pos);
        if (n.op === '~' || n.op === '!~') {
          if (typeof v !== 'string') fail('~ and !~ take a string', right.pos);
          if (!TEXTLIKE.has(L.type) && L.type !== 'jsonpath' && L.type !== 'json') fail(`~ does not apply to ${L.type} fields`);
          // Contains; a value holding % is a pattern as written (% any run of characters), anchored at both ends.
          const s = v as string;
          const pattern = s.includes('%') ? s.replace(/[\\_]/g, (m) => '\\' + m) : '%' + s.replace(/[\\%_]/g, (m) => '\\' + m) + '%';
          return ctx.dialect.ilike(value('text'), pattern, n.op === '!~');
        }
        const x = value(kindOf(v));
        // A date compares with a date that exists, in the stored form (UTC ISO 8601): "yesterday" or Feb 31 is 400.
        let given: Literal = v;
        if (L.type === 'date' && typeof v === 'string') {
          const d = parseIsoDate(v);
          if (d === undefined) fail(`${JSON.stringify(v.slice(0, 64))} is not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)`, right.pos);
          given = d!;
        }
        if (v === null) {
          if (n.op === '=') return sql<SqlBool>`${x} IS NULL`;
          if (n.op === '!=') return sql<SqlBool>`${x} IS NOT NULL`;
          return fail(`null can only be compared with = or !=`, right.pos);
        }
        if (L.type === 'boolean' && n.op !== '=' && n.op !== '!=') fail('booleans compare with = or != only');
        const p = bind(L.type, given);
        if (n.op === '!=') return L.many || !L.nullable ? sql<SqlBool>`${x} <> ${p}` : sql<SqlBool>`(${x} <> ${p} OR ${x} IS NULL)`;
        return sql<SqlBool>`${x} ${sql.raw(n.op)} ${p}`;
      }
      const R = resolve(c, alias, right.path, right.pos, 0);
      if (R.many) fail('the right side cannot hold many values', right.pos);
      if (R.many === false && family(R.type) !== family(L.type) && family(R.type) !== 'json' && family(L.type) !== 'json') {
        fail(`a ${L.type} cannot be compared with a ${R.type}`);
      }
      if (n.op === '~' || n.op === '!~') fail('~ takes a string value on the right');
      const kind: JsonKind = family(L.type) === 'number' || family(R.type) === 'number' ? 'number' : 'text';
      const op = n.op === '!=' ? '<>' : n.op;
      return sql<SqlBool>`${value(kind)} ${sql.raw(op)} ${(R as Extract<Resolved, { many: false }>).value(kind)}`;
    };
    return L.many ? L.wrap(cond) : cond(L.value);
  }

  function walk(n: FilterNode): RawBuilder<SqlBool> {
    if (n.kind === 'compare') return compare(n);
    if (n.kind === 'const') return n.value ? sql<SqlBool>`1 = 1` : sql<SqlBool>`1 = 0`;
    const l = walk(n.left);
    const r = walk(n.right);
    return n.kind === 'and' ? sql<SqlBool>`(${l} AND ${r})` : sql<SqlBool>`(${l} OR ${r})`;
  }
  return walk(typeof src === 'string' ? parseFilter(src) : src);
}
