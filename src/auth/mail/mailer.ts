// The email outbox (transactional outbox pattern): messages are rows written through the data layer's database,
// in the caller's transaction when given, and delivered at least once by a sender that claims each row with a
// lease, so a crash mid-send leaves the row to be claimed again once the lease runs out.
import type { Db } from '../../data/index.js';
import { ValidationError, type Logger } from '../../core/index.js';
import { affected, authTableNames, int, intOrNull, type AuthDb } from '../../data/auth-tables/auth-store-schema.js';

export interface OutgoingMail {
  /** One recipient address. */
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Where mail goes out (SMTP through nodemailer in production). Throws on failure. */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): Promise<void>;
}

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

export interface OutboxRow extends OutgoingMail {
  id: number;
  status: OutboxStatus;
  attempts: number;
  /** Epoch ms. */
  nextAttemptAt: number;
  leaseUntil: number | null;
  lastError: string | null;
  createdAt: number;
  sentAt: number | null;
}

export interface MailerOptions extends AuthDb {
  /** Delivery attempts before a message is marked failed. Default 10. */
  maxAttempts?: number;
  /** Ms before the first retry, doubled per failure, capped at one hour. Default 30 000. */
  retryBaseMs?: number;
  /** Ms a claim lasts. Default 120 000. */
  leaseMs?: number;
  /** Clock in epoch ms (tests). */
  now?: () => number;
  logger?: Logger;
}

export interface Mailer {
  /** Queue a message; pass the caller's transaction so the mail commits (or rolls back) with its write. */
  enqueue(mail: OutgoingMail, tx?: Db): Promise<void>;
  /** One delivery pass: claims due messages (pending and due, or with an expired lease) and sends them. */
  deliverDue(transport: MailTransport, opts?: { batch?: number }): Promise<{ sent: number; failed: number }>;
  /** Messages of the outbox, newest first (for operators and tests). */
  list(opts?: { status?: OutboxStatus; limit?: number }): Promise<OutboxRow[]>;
  /** Delete sent messages older than `before` (epoch ms). */
  pruneSent(before: number): Promise<number>;
}

const ADDRESS_RE = /^[^\s@<>()",;:\\[\]]{1,64}@[A-Za-z0-9.-]{1,253}$/;
const MAX_BODY = 1_000_000;

/** Validates a message (single plain address, no header injection, bounded sizes). */
export function checkMail(mail: OutgoingMail): void {
  const errors: { field: string; message: string }[] = [];
  if (typeof mail.to !== 'string' || mail.to.length > 320 || !ADDRESS_RE.test(mail.to)) errors.push({ field: 'to', message: 'must be one email address' });
  if (typeof mail.subject !== 'string' || mail.subject.length === 0 || mail.subject.length > 500 || /[\r\n]/.test(mail.subject)) {
    errors.push({ field: 'subject', message: 'must be 1-500 characters on one line' });
  }
  if (typeof mail.text !== 'string' || mail.text.length > MAX_BODY) errors.push({ field: 'text', message: `must be text of at most ${MAX_BODY} characters` });
  if (mail.html !== undefined && (typeof mail.html !== 'string' || mail.html.length > MAX_BODY)) errors.push({ field: 'html', message: `must be at most ${MAX_BODY} characters` });
  if (errors.length) throw new ValidationError('The email message is invalid.', errors);
}

/**
 * @example
 * const mailer = createMailer({ db: data.db, dialect: data.dialect, names: data.names });
 * await data.db.transaction().execute(async (tx) => {
 *   await tx.insertInto('users').values(user).execute();
 *   await mailer.enqueue(verifyEmailMessage({ to: user.email, link, appName: 'Acme' }), tx);
 * });
 */
export function createMailer(opts: MailerOptions): Mailer {
  const t = authTableNames(opts.names).outbox;
  const { db } = opts;
  const now = opts.now ?? Date.now;
  const maxAttempts = opts.maxAttempts ?? 10;
  const base = opts.retryBaseMs ?? 30_000;
  const leaseMs = opts.leaseMs ?? 120_000;
  const backoff = (attempts: number) => Math.min(base * 2 ** Math.max(0, attempts - 1), 3_600_000);

  const toRow = (r: Record<string, unknown>): OutboxRow => ({
    id: int(r.id), to: String(r.to_addr), subject: String(r.subject), text: String(r.body_text),
    ...(r.body_html === null || r.body_html === undefined ? {} : { html: String(r.body_html) }),
    status: String(r.status) as OutboxStatus, attempts: int(r.attempts), nextAttemptAt: int(r.next_attempt_at),
    leaseUntil: intOrNull(r.lease_until), lastError: r.last_error === null ? null : String(r.last_error),
    createdAt: int(r.created_at), sentAt: intOrNull(r.sent_at),
  });

  /** Take the row if it is still due: the conditional UPDATE lets exactly one sender win it. */
  async function claim(id: number, at: number): Promise<boolean> {
    const r = await db.updateTable(t)
      .set((eb) => ({ status: 'sending', lease_until: at + leaseMs, attempts: eb('attempts', '+', 1) }))
      .where('id', '=', id)
      .where((eb) => eb.or([
        eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]),
        eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', at)]),
      ]))
      .executeTakeFirst();
    return affected(r) === 1;
  }

  return {
    async enqueue(mail, tx) {
      checkMail(mail);
      const at = now();
      await (tx ?? db).insertInto(t).values({
        to_addr: mail.to, subject: mail.subject, body_text: mail.text, body_html: mail.html ?? null,
        status: 'pending', attempts: 0, next_attempt_at: at, lease_until: null, last_error: null, created_at: at, sent_at: null,
      }).execute();
    },
    async deliverDue(transport, o = {}) {
      const at = now();
      const due = await db.selectFrom(t).selectAll()
        .where((eb) => eb.or([
          eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', at)]),
          eb.and([eb('status', '=', 'sending'), eb('lease_until', '<=', at)]),
        ]))
        .orderBy('id').limit(Math.min(Math.max(o.batch ?? 20, 1), 500)).execute();
      let sent = 0;
      let failed = 0;
      for (const raw of due) {
        const row = toRow(raw);
        if (!(await claim(row.id, at))) continue;
        const attempts = row.attempts + 1;
        // Fence the outcome on our lease: if it ran out and another sender took the row, its state wins.
        const mine = at + leaseMs;
        try {
          await transport.send({ to: row.to, subject: row.subject, text: row.text, ...(row.html === undefined ? {} : { html: row.html }) });
          // Sent mail keeps its envelope but not its body: bodies hold reset and verification links.
          await db.updateTable(t).set({ status: 'sent', sent_at: now(), lease_until: null, last_error: null, body_text: '', body_html: null }).where('id', '=', row.id).where('lease_until', '=', mine).execute();
          sent++;
        } catch (e) {
          failed++;
          // The error names the SMTP failure only (never the message, which holds tokens).
          const reason = (e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e)).slice(0, 500);
          const final = attempts >= maxAttempts;
          await db.updateTable(t).set({
            status: final ? 'failed' : 'pending', next_attempt_at: now() + backoff(attempts), lease_until: null, last_error: reason,
          }).where('id', '=', row.id).where('lease_until', '=', mine).execute();
          opts.logger?.warn({ outboxId: row.id, attempts, final, reason }, final ? 'email delivery failed for good' : 'email delivery failed; will retry');
        }
      }
      return { sent, failed };
    },
    async list(o = {}) {
      let q = db.selectFrom(t).selectAll().orderBy('id', 'desc').limit(Math.min(Math.max(o.limit ?? 100, 1), 1000));
      if (o.status) q = q.where('status', '=', o.status);
      return (await q.execute()).map(toRow);
    },
    async pruneSent(before) {
      return affected(await db.deleteFrom(t).where('status', '=', 'sent').where('sent_at', '<', before).executeTakeFirst());
    },
  };
}
