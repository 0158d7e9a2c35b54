// The records access layer: the one place where a principal meets the compiled rules. Every
// transport (REST, batch, aggregate, gRPC/gRPC-Web/Connect and Watch, realtime WebSocket/SSE,
// functions acting for a caller) reads and writes records through it, so a caller cannot filter,
// sort, group, expand or subscribe on what it cannot see, whichever way it asks.
import { sql, type Expression, type SqlBool } from 'kysely';
import { ForbiddenError, type Principal, type RecordChangeEvent, type RuleAction, type RuleInput } from '../../core/index.js';
import { expandTarget, type Collection } from '../collection-model.js';
import { QueryParamError } from '../errors.js';
import type { Db, SqlDialect } from '../dialects/dialect.js';
import { openRecord, type ValueCipher } from '../field-cipher.js';
import { compileFilter } from '../filter-compile.js';
import type { AggregateQuery, AggregateRow } from '../record-aggregate.js';
import type { ExpandRule } from '../record-load.js';
import type { RecordData } from '../record-row.js';
import type { BatchOperation, BatchResult, ListQuery, ListResult, OperationOptions, RecordsService, StoredRecord } from '../record-service.js';
import type { TableNames } from '../table-names.js';
import type { AccessControl } from './access-rules.js';

export interface RecordAccessDeps {
  /** The compiled rules (access-rules.ts). */
  rules: AccessControl;
  /** The live data layer (read per call: the records service is replaced when collections change). */
  data(): { records: RecordsService; db: Db; dialect: SqlDialect; names: TableNames };
  /** Opens encrypted fields of event records for callers allowed to view them. */
  cipher?: ValueCipher;
}

/** Options of a read for a caller: field selection and relation expansion (each related record obeys its own view rule). */
export interface ReadOptions {
  fields?: string;
  expand?: string;
  /** `@request.query.*` values for rules. */
  query?: Record<string, unknown>;
}

/** Options of a write for a caller. */
export interface WriteOptions extends ReadOptions {
  ifMatch?: string;
  /** The body rules see as `@request.body.*` when it differs from the stored values (defaults to them). */
  ruleBody?: unknown;
  /** Work inside the write's transaction (auth collections keep credentials beside the record). */
  inTx?: OperationOptions['inTx'];
  /** Create only: everything a create does, answered, then rolled back (see `OperationOptions.dryRun`). */
  dryRun?: boolean;
}

/** A validated realtime/Watch subscription of one principal to one collection (optionally filtered). */
export interface RecordSubscription {
  readonly principal: Principal | null;
  readonly collection: string;
  readonly filter?: string;
}

/** Every read and write of records on a principal's behalf. */
export interface RecordAccess {
  list(p: Principal | null, collection: string, q: ListQuery, opts?: { query?: Record<string, unknown> }): Promise<ListResult>;
  get(p: Principal | null, collection: string, id: string, opts?: ReadOptions): Promise<StoredRecord>;
  create(p: Principal | null, collection: string, body: unknown, opts?: WriteOptions): Promise<StoredRecord>;
  update(p: Principal | null, collection: string, id: string, body: unknown, opts?: WriteOptions): Promise<StoredRecord>;
  delete(p: Principal | null, collection: string, id: string, opts?: Omit<WriteOptions, 'fields' | 'expand'>): Promise<void>;
  aggregate(p: Principal | null, collection: string, q: AggregateQuery, opts?: { query?: Record<string, unknown> }): Promise<AggregateRow[]>;
  /** All operations in one transaction, each under its own rule (`@request.body` is the operation's body). */
  batch(p: Principal | null, ops: readonly BatchOperation[], opts?: { query?: Record<string, unknown> }): Promise<BatchResult[]>;
  /** Throws ForbiddenError when `p` may not do `action` on `collection` at all. */
  assert(p: Principal | null, collection: string, action: RuleAction): void;
  /**
   * A subscription to record changes: ForbiddenError when the view rule refuses outright, a
   * ValidationError for a bad filter; relations in the filter reach only records `p` may list.
   */
  subscribe(p: Principal | null, collection: string, filter?: string): RecordSubscription;
  /**
   * True when neither a view rule nor a filter limits the subscription now (every event is the caller's
   * to see, no check needed); ForbiddenError when the view rule now refuses outright.
   */
  unrestricted(sub: RecordSubscription): boolean;
  /**
   * Whether the subscriber may see this change now: create/update check the stored record (or, when
   * it was deleted since, the values the change wrote), a delete checks the record's last values (as
   * the event carries them).
   */
  visible(sub: RecordSubscription, ev: Pick<RecordChangeEvent, 'action' | 'collection' | 'recordId' | 'record'>): Promise<boolean>;
  /**
   * The record of an event as delivered to `p`, allowed to view it: encrypted fields opened, and an auth
   * record's `email` removed unless `p` may see it (its own account, `emailVisibility`, a superuser).
   */
  open(ev: RecordChangeEvent, p: Principal | null): Record<string, unknown>;
  /** Whether what `open` gives for this collection's events depends on the principal (beyond the view rule). */
  shownPerPrincipal(collection: string): boolean;
}

const NONE = sql<SqlBool>`1 = 0`;

/**
 * @example
 * const recordAccess = createRecordAccess({ rules: createAccessControl(...), data: () => data, cipher });
 * const page = await recordAccess.list(principal, 'posts', { filter: "author.email ~ 'a'", expand: 'author' });
 */
export function createRecordAccess(deps: RecordAccessDeps): RecordAccess {
  const { rules } = deps;
  const records = () => deps.data().records;
  /** A rule where refusal means "nothing": for records reached through relations and expand. */
  const orNone = (p: Principal | null, collection: string, action: RuleAction, input?: RuleInput, alias?: string): Expression<SqlBool> | undefined => {
    try {
      return rules.where(p, collection, action, input, alias);
    } catch (e) {
      if (e instanceof ForbiddenError) return NONE;
      throw e;
    }
  };
  /** Related records obey their own collection's view rule (not viewable: expanded as null). */
  const expandWhere = (p: Principal | null, query?: Record<string, unknown>): ExpandRule | undefined => {
    if (p?.superuser && p.scopes.length === 0) return undefined;
    const cache = new Map<string, Expression<SqlBool> | undefined>();
    return (collection) => {
      if (!cache.has(collection)) cache.set(collection, orNone(p, collection, 'view', { query }));
      return cache.get(collection);
    };
  };
  /** A filter through a relation sees only related records the caller may list. */
  const relationWhere = (p: Principal | null, query?: Record<string, unknown>): OperationOptions['relationWhere'] =>
    p?.superuser && p.scopes.length === 0 ? undefined : (target, alias) => orNone(p, target.name, 'list', { query }, alias);

  const compiled = new WeakMap<RecordSubscription, Expression<SqlBool>>();

  // An auth record's `email` is the account's own (and superusers'), or everyone's when `emailVisibility`
  // is true: removed from what others are shown, at any depth of `expand`, and read as null by their filters.
  const seesEmails = (p: Principal | null) => p?.superuser === true;
  const ownAccount = (p: Principal | null, c: Collection, id: unknown) => p !== null && p.collection === c.name && p.id === id;
  function hideEmails(p: Principal | null, c: Collection, rec: RecordData, depth = 0, written = false): RecordData {
    let out = rec;
    if (c.auth && !written && 'email' in rec && rec.emailVisibility !== true && !ownAccount(p, c, rec.id)) {
      const { email: _hidden, ...rest } = rec;
      out = rest as RecordData;
    }
    const ex = rec.expand as Record<string, unknown> | undefined;
    if (ex && typeof ex === 'object' && depth < 8) {
      const all = records().collections;
      const next: Record<string, unknown> = {};
      for (const [name, v] of Object.entries(ex)) {
        const t = expandTarget(c, name, all);
        const one = (x: unknown) => (t && x && typeof x === 'object' ? hideEmails(p, t, x as RecordData, depth + 1) : x);
        next[name] = Array.isArray(v) ? v.map(one) : one(v);
      }
      out = { ...out, expand: next };
    }
    return out;
  }
  /** The `shown` option of a read for `p` (undefined when nothing can be hidden from it). */
  const shownTo = (p: Principal | null, collection: string, expand?: string, created = false): OperationOptions['shown'] => {
    if (seesEmails(p)) return undefined;
    const c = records().collections.get(collection);
    if (!c || (!c.auth && !expand)) return undefined;
    // A create answers with the address its caller just wrote (a sign-up); its expanded records still hide theirs.
    return (cc, rec) => hideEmails(p, cc, rec, 0, created);
  };
  const emailWhere = (p: Principal | null): OperationOptions['fieldWhere'] =>
    seesEmails(p)
      ? undefined
      : (c, field, alias) => {
          if (!c.auth || field !== 'email') return undefined;
          const shown = sql<SqlBool>`${sql.ref(`${alias}.emailVisibility`)} = ${deps.data().dialect.bool(true)}`;
          return p && p.collection === c.name ? sql<SqlBool>`(${shown} OR ${sql.ref(`${alias}.id`)} = ${p.id})` : shown;
        };
  /** Sorting or grouping by hidden emails would order accounts by them: superusers only. */
  const refuseEmailOrder = (p: Principal | null, collection: string, param: 'sort' | 'groupBy' | 'metrics', raw: string | undefined) => {
    if (seesEmails(p) || !raw || !records().collections.get(collection)?.auth) return;
    const names = raw.split(/[,()]/).map((s) => s.trim().replace(/^[-+]/, ''));
    if (names.includes('email')) throw new QueryParamError(param, `only superusers may ${param === 'sort' ? 'sort' : 'group or aggregate'} accounts by email`, 0);
  };

  /** Whether `rule` and the subscription filter hold for the stored row `id` (or the deleted record's last values). */
  async function holds(sub: RecordSubscription, ev: Pick<RecordChangeEvent, 'action' | 'recordId' | 'record'>, rule: Expression<SqlBool> | undefined): Promise<boolean> {
    const { db, dialect, names, records: rs } = deps.data();
    const c = rs.collections.get(sub.collection);
    if (!c) return false;
    const wheres = [rule, compiled.get(sub)].filter((w): w is Expression<SqlBool> => w !== undefined);
    if (wheres.length === 0) return true;
    const cond = sql.join(wheres, sql` and `);
    if (ev.action !== 'delete') {
      const table = sql.table(names.record(c.name));
      const r = await sql<{ ok: number }>`select 1 as ok from ${table} as t where t.id = ${ev.recordId} and ${cond}`.execute(db);
      if (r.rows.length > 0) return true;
      // Deleted since (an update followed at once by a delete): the change still happened and is
      // judged on the values it wrote, as a delete is, so its subscribers are not left without it.
      const exists = await sql<{ ok: number }>`select 1 as ok from ${table} as t where t.id = ${ev.recordId}`.execute(db);
      if (exists.rows.length > 0) return false;
    }
    // The row is gone: the rule runs on the record's last values (as the event carries them) as a one-row derived table.
    const cols = [sql`${ev.recordId} as id`, sql`${String(ev.record.created ?? '')} as created`, sql`${String(ev.record.updated ?? '')} as updated`];
    for (const f of c.fields) {
      if (f.type === 'relation' && f.multiple) continue;
      const v = ev.record[f.name];
      const value = v === null || v === undefined ? null : f.type === 'boolean' ? dialect.bool(v === true) : f.type === 'json' ? JSON.stringify(v) : (v as string | number);
      cols.push(sql`${value} as ${sql.id(f.name)}`);
    }
    const r = await sql<{ ok: number }>`select 1 as ok from (select ${sql.join(cols)}) as t where ${cond}`.execute(db);
    return r.rows.length > 0;
  }

  return {
    list(p, collection, q, opts = {}) {
      const where = rules.where(p, collection, 'list', { query: opts.query ?? (q as Record<string, unknown>) });
      refuseEmailOrder(p, collection, 'sort', q.sort);
      return records().list(collection, q, {
        where,
        expandWhere: expandWhere(p, opts.query),
        relationWhere: relationWhere(p, opts.query),
        fieldWhere: emailWhere(p),
        shown: shownTo(p, collection, q.expand),
      });
    },
    get: (p, collection, id, opts = {}) =>
      records().get(collection, id, {
        where: rules.where(p, collection, 'view', { query: opts.query }),
        fields: opts.fields,
        expand: opts.expand,
        expandWhere: expandWhere(p, opts.query),
        shown: shownTo(p, collection, opts.expand),
      }),
    create: (p, collection, body, opts = {}) =>
      records().create(collection, body, {
        where: rules.where(p, collection, 'create', { body: opts.ruleBody ?? body, query: opts.query }),
        fields: opts.fields,
        expand: opts.expand,
        expandWhere: expandWhere(p, opts.query),
        shown: shownTo(p, collection, opts.expand, true),
        inTx: opts.inTx,
        dryRun: opts.dryRun,
      }),
    update: (p, collection, id, body, opts = {}) =>
      records().update(collection, id, body, {
        where: rules.where(p, collection, 'update', { body: opts.ruleBody ?? body, query: opts.query }),
        ifMatch: opts.ifMatch,
        fields: opts.fields,
        expand: opts.expand,
        expandWhere: expandWhere(p, opts.query),
        shown: shownTo(p, collection, opts.expand),
        inTx: opts.inTx,
      }),
    delete: (p, collection, id, opts = {}) => records().delete(collection, id, { where: rules.where(p, collection, 'delete', { query: opts.query }), ifMatch: opts.ifMatch, inTx: opts.inTx }),
    aggregate(p, collection, q, opts = {}) {
      const where = rules.where(p, collection, 'list', { query: opts.query });
      refuseEmailOrder(p, collection, 'groupBy', q.groupBy);
      refuseEmailOrder(p, collection, 'metrics', q.metrics);
      return records().aggregate(collection, q, { where, relationWhere: relationWhere(p, opts.query), fieldWhere: emailWhere(p) });
    },
    async batch(p, ops, opts = {}) {
      // Every rule is compiled before the transaction starts: a refusal stops the batch before any write.
      const wheres = ops.map((op) => rules.where(p, op.collection, op.action, { body: op.action === 'delete' ? undefined : op.body, query: opts.query }));
      const results = await records().batch(ops, (_c, _a, i) => wheres[i]);
      if (seesEmails(p)) return results;
      return results.map((r, i) => {
        const c = records().collections.get(ops[i].collection);
        return c?.auth && r.body ? { ...r, body: hideEmails(p, c, r.body) } : r;
      });
    },
    assert(p, collection, action) {
      rules.where(p, collection, action);
    },
    subscribe(p, collection, filter) {
      const { records: rs, dialect, names } = deps.data();
      const c: Collection = rs.collection(collection);
      rules.where(p, c.name, 'view');
      const sub: RecordSubscription = { principal: p, collection: c.name, filter };
      if (filter !== undefined && filter !== '') {
        compiled.set(sub, compileFilter(filter, c, 't', { dialect, names, collections: rs.collections, hopWhere: relationWhere(p) }));
      }
      return sub;
    },
    unrestricted(sub) {
      return rules.where(sub.principal, sub.collection, 'view') === undefined && !compiled.has(sub);
    },
    async visible(sub, ev) {
      if (ev.collection !== sub.collection) return false;
      // Asked per event: rules may change at run time, and a refused principal sees nothing.
      const rule = orNone(sub.principal, sub.collection, 'view');
      return holds(sub, ev, rule);
    },
    open(ev, p) {
      const c = records().collections.get(ev.collection);
      if (!c) return ev.record;
      const rec = openRecord(c, ev.record, deps.cipher);
      return c.auth && !seesEmails(p) ? hideEmails(p, c, rec as RecordData) : rec;
    },
    shownPerPrincipal(collection) {
      return records().collections.get(collection)?.auth !== undefined;
    },
  };
}
