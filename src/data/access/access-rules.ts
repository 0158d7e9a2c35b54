// Access rules compiled to SQL: each collection's rule per operation (a filter expression that may
// also name @request.auth.*, @request.body.* and @request.query.*) becomes a WHERE on alias `t`.
// Values known before the query (the caller's id, body and query values) are folded in as bound
// literals; fields of the caller's own record (`@request.auth.role`) become a subquery, so a rule
// never costs an extra round trip and nothing is filtered in memory.
import { sql, type Expression, type SqlBool } from 'kysely';
import { ForbiddenError, SUPERUSERS, ValidationError, type Principal, type RuleAction, type RuleInput } from '../../core/index.js';
import { fieldOf, hasColumn, type Collection } from '../collection-model.js';
import type { SqlDialect } from '../dialects/dialect.js';
import { compileFilter, type VariableValue } from '../filter-compile.js';
import { hasMacros, parseFilter, type FilterNode } from '../filter-parse.js';
import type { TableNames } from '../table-names.js';

type Literal = string | number | boolean | null;
type Operand = Extract<FilterNode, { kind: 'compare' }>['left'];

export interface AccessRulesDeps {
  /** The data layer's view of the schema (read per call: collections can change at run time). */
  data(): { collections: ReadonlyMap<string, Collection>; dialect: SqlDialect; names: TableNames };
}

/** A collection's rules for a principal as SQL: internal to the records access layer (record-access.ts). */
export interface AccessControl {
  /**
   * The WHERE (alias `t`) that limits `action` on `collection` for `principal`; undefined when nothing
   * limits it (a superuser, or an empty rule). Throws ForbiddenError when the rule refuses outright
   * (no rule: superusers only). `alias` names the table in the expression (default `t`).
   */
  where(principal: Principal | null, collection: string, action: RuleAction, input?: RuleInput, alias?: string): Expression<SqlBool> | undefined;
}

const READ = new Set<RuleAction>(['list', 'view']);

/** Whether a scoped credential may do `action` on `collection` (no scopes: everything its owner may). */
export function scopeAllows(scopes: readonly string[], collection: string, action: RuleAction): boolean {
  if (scopes.length === 0) return true;
  const kind = READ.has(action) ? 'read' : 'write';
  return scopes.some((s) => s === '*' || s === `records:${kind}` || s === `records:${collection}:${kind}` || s === 'records:*' || s === `records:${collection}:*`);
}

function jsCompare(op: string, a: Literal, b: Literal): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '~':
    case '!~': {
      const hit = typeof a === 'string' && typeof b === 'string' && a.toLowerCase().includes(b.toLowerCase());
      return op === '~' ? hit : !hit;
    }
    case '>':
    case '>=':
    case '<':
    case '<=': {
      if (a === null || b === null || typeof a !== typeof b || typeof a === 'boolean') return false;
      return op === '>' ? a > b : op === '>=' ? a >= b : op === '<' ? a < b : a <= b;
    }
    default:
      return false;
  }
}

/** The collection whose record ids `path` holds: `id` of `c`, a relation's target, or `rel.id`; undefined for other fields. */
function idCollection(c: Collection, path: readonly string[], collections: ReadonlyMap<string, Collection>): string | undefined {
  let cur = c;
  for (let i = 0; i < path.length; i++) {
    if (path[i] === 'id') return i === path.length - 1 ? cur.name : undefined;
    const f = fieldOf(cur, path[i]);
    if (!f || f.type !== 'relation' || !f.collection) return undefined;
    if (i === path.length - 1) return f.collection;
    const next = collections.get(f.collection);
    if (!next) return undefined;
    cur = next;
  }
  return undefined;
}

function literalOf(v: unknown): Literal | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  return JSON.stringify(v);
}

/**
 * @example
 * const access = createAccessControl({ data: () => ({ collections: data.records.collections, dialect: data.dialect, names: data.names }) });
 * const where = access.where(principalOf(request.auth), 'posts', 'list'); // undefined, a WHERE, or ForbiddenError
 */
export function createAccessControl(deps: AccessRulesDeps): AccessControl & { check(collections: Iterable<Collection>): void } {
  const parsed = new Map<string, FilterNode>();
  const parse = (rule: string): FilterNode => {
    // A rule with a date macro (@now...) is read afresh each time: its values move with the clock.
    if (hasMacros(rule)) return parseFilter(rule, { variables: true });
    let ast = parsed.get(rule);
    if (!ast) {
      ast = parseFilter(rule, { variables: true });
      if (parsed.size > 1000) parsed.clear();
      parsed.set(rule, ast);
    }
    return ast;
  };

  /** A known value for `@request.*` paths that do not need the database; undefined when it does. */
  function known(path: readonly string[], principal: Principal | null, input: RuleInput | undefined, pos: number): { value: Literal } | undefined {
    const [, scope, name] = path;
    const last = path[path.length - 1];
    const isset = last.endsWith(':isset');
    const key = (isset ? last.slice(0, -':isset'.length) : name) ?? '';
    const bad = (): never => {
      throw new ValidationError(`Unknown rule variable ${path.join('.')} at ${pos}.`, []);
    };
    if (scope === 'auth') {
      if (isset || path.length !== 3) bad();
      if (!principal) return { value: '' }; // anonymous: every auth value is empty
      if (key === 'id') return { value: principal.id };
      if (key === 'collectionName') return { value: principal.collection };
      return undefined;
    }
    if (scope === 'body' || scope === 'query') {
      if (path.length !== 3 && !(isset && path.length === 3)) bad();
      const src = scope === 'body' ? input?.body : input?.query;
      const obj = src && typeof src === 'object' && !Array.isArray(src) ? (src as Record<string, unknown>) : {};
      const has = Object.prototype.hasOwnProperty.call(obj, key);
      if (isset) return { value: has };
      const v = has ? literalOf(obj[key]) : null;
      return { value: v ?? null };
    }
    return bad();
  }

  type Scope = { c: Collection; collections: ReadonlyMap<string, Collection> };
  /**
   * A principal is `{collection, id}`: `@request.auth.id` compared with the id of a record of another
   * collection (a relation to `users` for a `members` caller, `id` of `users`) stands for a value no id
   * equals, so the same id string in two auth collections never names the same caller.
   */
  function bindsOther(o: Operand, other: Operand, principal: Principal | null, scope: Scope): boolean {
    if (!principal || o.kind !== 'path' || o.path.length !== 3 || o.path[0] !== '@request' || o.path[1] !== 'auth' || o.path[2] !== 'id') return false;
    if (other.kind !== 'path') return false;
    const p = other.path;
    const field = p[0].startsWith('@') ? (p[0] === '@request' && p[1] === 'body' && p.length === 3 ? [p[2]] : undefined) : p;
    const k = field ? idCollection(scope.c, field, scope.collections) : undefined;
    return k !== undefined && k !== principal.collection;
  }

  function fold(n: FilterNode, principal: Principal | null, input: RuleInput | undefined, scope: Scope): FilterNode {
    if (n.kind === 'const') return n;
    if (n.kind !== 'compare') {
      const l = fold(n.left, principal, input, scope);
      const r = fold(n.right, principal, input, scope);
      if (l.kind === 'const') return (n.kind === 'and') === l.value ? r : l;
      if (r.kind === 'const') return (n.kind === 'and') === r.value ? l : r;
      return { kind: n.kind, left: l, right: r };
    }
    const sub = (o: Operand, other: Operand): Operand => {
      if (o.kind !== 'path' || !o.path[0].startsWith('@')) return o;
      // `<collection>:<id>` has a colon, which no record id has.
      if (bindsOther(o, other, principal, scope)) return { kind: 'literal', value: `${principal!.collection}:${principal!.id}`, pos: o.pos };
      const k = known(o.path, principal, input, o.pos);
      return k ? { kind: 'literal', value: k.value, pos: o.pos } : o;
    };
    const left = sub(n.left, n.right);
    const right = sub(n.right, n.left);
    if (left.kind === 'literal' && right.kind === 'literal') return { kind: 'const', value: jsCompare(n.op, left.value, right.value) };
    return { ...n, left, right };
  }

  function authField(principal: Principal | null, path: readonly string[], pos: number, collections: ReadonlyMap<string, Collection>, d: SqlDialect, names: TableNames): VariableValue {
    const name = path[2];
    const own = principal ? collections.get(principal.collection) : undefined;
    const f = own ? fieldOf(own, name) : undefined;
    if (!principal || !own || !f || !hasColumn(f) || f.type === 'json') {
      // Not a field of the caller's record: empty, like an anonymous caller's.
      return { type: 'jsonpath', value: sql`NULL`, nullable: true };
    }
    void pos;
    const col = sql`(SELECT ${sql.ref(`_a.${f.name}`)} FROM ${sql.table(names.record(own.name))} ${sql.id('_a')} WHERE ${sql.ref('_a.id')} = ${principal.id})`;
    const textual = f.type === 'text' || f.type === 'email' || f.type === 'url' || f.type === 'select' || f.type === 'relation';
    void d;
    return { type: f.type, value: textual ? sql`COALESCE(${col}, '')` : col, nullable: !textual };
  }

  const control = {
    where(principal: Principal | null, collection: string, action: RuleAction, input?: RuleInput, alias = 't') {
      if (principal?.superuser && principal.collection === SUPERUSERS) {
        if (!scopeAllows(principal.scopes, collection, action)) throw new ForbiddenError("The credential's scopes do not allow this.");
        return undefined;
      }
      const { collections, dialect, names } = deps.data();
      const c = collections.get(collection);
      if (!c) return undefined; // the records service answers 404
      if (principal && !scopeAllows(principal.scopes, collection, action)) throw new ForbiddenError("The credential's scopes do not allow this.");
      const rule = c.rules[action];
      if (rule === null || rule === undefined) throw new ForbiddenError(`Only superusers may ${action} records of ${collection}.`);
      if (rule === '') return undefined;
      const ast = fold(parse(rule), principal, input, { c, collections });
      if (ast.kind === 'const') {
        if (ast.value) return undefined;
        return sql<boolean>`1 = 0`;
      }
      return compileFilter(ast, c, alias, { dialect, names, collections }, undefined, (path, pos) => authField(principal, path, pos, collections, dialect, names));
    },
    /** Compiles every rule once (as an anonymous and as a signed-in caller) so a bad rule fails at start. */
    check(all: Iterable<Collection>) {
      const { dialect, names } = deps.data();
      // Rules resolve relations among the collections being checked (which may not be live yet).
      const list = [...all];
      const collections = new Map(list.map((c) => [c.name, c]));
      for (const c of list) {
        for (const [action, rule] of Object.entries(c.rules)) {
          if (!rule) continue;
          try {
            for (const p of [null, { id: 'x', collection: 'users', superuser: false, scopes: [] }]) {
              const ast = fold(parse(rule), p, { body: {}, query: {} }, { c, collections });
              if (ast.kind !== 'const') compileFilter(ast, c, 't', { dialect, names, collections }, undefined, (path, pos) => authField(p, path, pos, collections, dialect, names));
            }
          } catch (e) {
            throw new ValidationError(`collections.${c.name}.rules.${action}: ${(e as Error).message}`, [{ field: `collections.${c.name}.rules.${action}`, message: (e as Error).message }]);
          }
        }
      }
    },
  };
  return control;
}
