// The audit log's rows on the data layer's database (ops' AuditStore): inserts, newest-first pages by id, pruning by age.
import type { AuditRecord, AuditStore } from '../../ops/index.js';
import { affected, authTableNames, int, type AuthDb } from './auth-store-schema.js';

const toRecord = (r: Record<string, unknown>): AuditRecord => ({
  id: String(r.id),
  at: int(r.at),
  actor: r.actor_id === null ? null : { id: String(r.actor_id), collection: String(r.actor_collection ?? '') },
  action: String(r.action),
  target: r.target === null ? null : String(r.target),
  ip: r.ip === null ? null : String(r.ip),
  userAgent: r.user_agent === null ? null : String(r.user_agent),
  outcome: String(r.outcome) as AuditRecord['outcome'],
  details: r.details === null ? null : (JSON.parse(String(r.details)) as Record<string, unknown>),
});

/**
 * @example
 * const audit = createAuditLog({ store: createSqlAuditStore({ db: data.db, dialect: data.dialect, names: data.names }) });
 */
export function createSqlAuditStore(ctx: AuthDb): AuditStore {
  const t = authTableNames(ctx.names).audit;
  const { db } = ctx;
  return {
    async insert(e, tx) {
      await (tx ?? db).insertInto(t).values({
        at: e.at,
        actor_id: e.actor ? e.actor.id : null,
        actor_collection: e.actor ? e.actor.collection : null,
        action: e.action,
        target: e.target,
        ip: e.ip,
        user_agent: e.userAgent,
        outcome: e.outcome,
        details: e.details ? JSON.stringify(e.details) : null,
      }).execute();
    },
    async query(q) {
      let s = db.selectFrom(t).selectAll().orderBy('id', 'desc').limit(q.limit);
      if (q.action !== undefined) {
        const action = q.action;
        // Prefix match without LIKE: actions are ASCII below '~', so [p, p~) is exactly "p" and "p.*".
        s = s.where((eb) => eb.or([eb('action', '=', action), eb.and([eb('action', '>=', `${action}.`), eb('action', '<', `${action}.~`)])]));
      }
      if (q.actor !== undefined) s = s.where('actor_id', '=', q.actor);
      if (q.since !== undefined) s = s.where('at', '>=', q.since);
      if (q.until !== undefined) s = s.where('at', '<', q.until);
      if (q.beforeId !== undefined) s = s.where('id', '<', q.beforeId);
      return (await s.execute()).map(toRecord);
    },
    async deleteBefore(at) {
      return affected(await db.deleteFrom(t).where('at', '<', at).executeTakeFirst());
    },
  };
}
