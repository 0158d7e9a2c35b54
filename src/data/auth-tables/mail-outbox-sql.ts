// The email outbox's rows on the data layer's database (the transactional outbox of auth's mailer): plain
// inserts, a conditional UPDATE as the claim, and outcomes fenced on the claimer's lease.
import type { MailOutbox, OutboxRow, OutboxStatus } from '../../auth/index.js';
import { affected, authTableNames, int, intOrNull, type AuthDb } from './auth-store-schema.js';

const toRow = (r: Record<string, unknown>): OutboxRow => ({
  id: int(r.id), to: String(r.to_addr), subject: String(r.subject), text: String(r.body_text),
  ...(r.body_html === null || r.body_html === undefined ? {} : { html: String(r.body_html) }),
  status: String(r.status) as OutboxStatus, attempts: int(r.attempts), nextAttemptAt: int(r.next_attempt_at),
  leaseUntil: intOrNull(r.lease_until), lastError: r.last_error === null ? null : String(r.last_error),
  createdAt: int(r.created_at), sentAt: intOrNull(r.sent_at),
});

/**
 * @example
 * const mailer = createMailer({ outbox: createSqlMailOutbox({ db: data.db, dialect: data.dialect, names: data.names }) });
 */
export function createSqlMailOutbox(ctx: AuthDb): MailOutbox {
  const t = authTableNames(ctx.names).outbox;
  const { db } = ctx;
  return {
    async add(mail, at, tx) {
      await (tx ?? db).insertInto(t).values({
        to_addr: mail.to, subject: mail.subject, body_text: mail.text, body_html: mail.html ?? null,
        status: 'pending', attempts: 0, next_attempt_at: at, lease_until: null, last_error: null, created_at: at, sent_at: null,
      }).execute();
    },
    async due(at, limit) {
      const rows = await db.selectFrom(t).selectAll()
        .where((eb) => eb.or([
          eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]),
          eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', at)]),
        ]))
        .orderBy('id').limit(limit).execute();
      return rows.map(toRow);
    },
    async claim(id, at, leaseUntil) {
      const r = await db.updateTable(t)
        .set((eb) => ({ status: 'sending', lease_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', id)
        .where((eb) => eb.or([
          eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]),
          eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', at)]),
        ]))
        .executeTakeFirst();
      return affected(r) === 1;
    },
    async markSent(id, lease, at) {
      await db.updateTable(t).set({ status: 'sent', sent_at: at, lease_until: null, last_error: null, body_text: '', body_html: null }).where('id', '=', id).where('lease_until', '=', lease).execute();
    },
    async markFailed(id, lease, o) {
      await db.updateTable(t).set({
        status: o.final ? 'failed' : 'pending', next_attempt_at: o.nextAttemptAt, lease_until: null, last_error: o.error,
      }).where('id', '=', id).where('lease_until', '=', lease).execute();
    },
    async list(o) {
      let q = db.selectFrom(t).selectAll().orderBy('id', 'desc').limit(o.limit);
      if (o.status) q = q.where('status', '=', o.status);
      return (await q.execute()).map(toRow);
    },
    async pruneSent(before) {
      return affected(await db.deleteFrom(t).where('status', '=', 'sent').where('sent_at', '<', before).executeTakeFirst());
    },
  };
}
