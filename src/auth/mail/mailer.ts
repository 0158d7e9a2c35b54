// The email outbox (transactional outbox pattern): messages are rows written through the data layer's database,
// in the caller's transaction when given, and delivered at least once by a sender that claims each row with a
// lease, so a crash mid-send leaves the row to be claimed again once the lease runs out.
import type { Db } from '../../data/index.js';
import { ValidationError, type Logger } from '../../core/index.js';

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

/**
 * Where the outbox rows live (SQL on the data layer's database: data's `createSqlMailOutbox`). The mailer
 * holds the policy (validation, leases, backoff); the outbox only stores and fences.
 */
export interface MailOutbox {
  /** A pending message, due at `at`; in the caller's transaction when given. */
  add(mail: OutgoingMail, at: number, tx?: Db): Promise<void>;
  /** Messages due at `at` (pending and due, or sending with an expired lease), oldest first. */
  due(at: number, limit: number): Promise<OutboxRow[]>;
  /** Takes the row if it is still due at `at` (one caller wins): status sending, lease until `leaseUntil`, attempts + 1. */
  claim(id: number, at: number, leaseUntil: number): Promise<boolean>;
  /** Marks the row sent (dropping its body) if `lease` is still its lease. */
  markSent(id: number, lease: number, at: number): Promise<void>;
  /** Puts the row back to pending (or failed when `final`) if `lease` is still its lease. */
  markFailed(id: number, lease: number, o: { final: boolean; nextAttemptAt: number; error: string }): Promise<void>;
  /** Newest first. */
  list(o: { status?: OutboxStatus; limit: number }): Promise<OutboxRow[]>;
  /** Deletes sent rows sent before `before`; returns how many. */
  pruneSent(before: number): Promise<number>;
}

export interface MailerOptions {
  outbox: MailOutbox;
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
/**
 * @example
 * const mailer = createMailer({ outbox: createSqlMailOutbox({ db: data.db, dialect: data.dialect, names: data.names }) });
 * await data.db.transaction().execute(async (tx) => {
 *   await tx.insertInto('users').values(user).execute();
 *   await mailer.enqueue(verifyEmailMessage({ to: user.email, link, appName: 'Acme' }), tx);
 * });
 */
export function createMailer(opts: MailerOptions): Mailer {
  const { outbox } = opts;
  const now = opts.now ?? Date.now;
  const maxAttempts = opts.maxAttempts ?? 10;
  const base = opts.retryBaseMs ?? 30_000;
  const leaseMs = opts.leaseMs ?? 120_000;
  const backoff = (attempts: number) => Math.min(base * 2 ** Math.max(0, attempts - 1), 3_600_000);

  return {
    async enqueue(mail, tx) {
      checkMail(mail);
      await outbox.add(mail, now(), tx);
    },
    async deliverDue(transport, o = {}) {
      const at = now();
      const due = await outbox.due(at, Math.min(Math.max(o.batch ?? 20, 1), 500));
      let sent = 0;
      let failed = 0;
      for (const row of due) {
        // The conditional claim lets exactly one sender win the row.
        if (!(await outbox.claim(row.id, at, at + leaseMs))) continue;
        const attempts = row.attempts + 1;
        // Fence the outcome on our lease: if it ran out and another sender took the row, its state wins.
        const mine = at + leaseMs;
        try {
          await transport.send({ to: row.to, subject: row.subject, text: row.text, ...(row.html === undefined ? {} : { html: row.html }) });
          // Sent mail keeps its envelope but not its body: bodies hold reset and verification links.
          await outbox.markSent(row.id, mine, now());
          sent++;
        } catch (e) {
          failed++;
          // The error names the SMTP failure only (never the message, which holds tokens).
          const reason = (e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e)).slice(0, 500);
          const final = attempts >= maxAttempts;
          await outbox.markFailed(row.id, mine, { final, nextAttemptAt: now() + backoff(attempts), error: reason });
          opts.logger?.warn({ outboxId: row.id, attempts, final, reason }, final ? 'email delivery failed for good' : 'email delivery failed; will retry');
        }
      }
      return { sent, failed };
    },
    async list(o = {}) {
      return outbox.list({ status: o.status, limit: Math.min(Math.max(o.limit ?? 100, 1), 1000) });
    },
    async pruneSent(before) {
      return outbox.pruneSent(before);
    },
  };
}
