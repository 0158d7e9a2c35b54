// The outbox sender: a Component that polls the outbox and delivers due mail over SMTP (nodemailer,
// RFC 5321; STARTTLS per RFC 3207 or implicit TLS per RFC 8314). Without SMTP config mail stays queued.
import type { Component, Logger } from '../../core/index.js';
import type { Mailer, MailTransport, OutgoingMail } from './mailer.js';

export interface SmtpOptions {
  host: string;
  port: number;
  security: 'starttls' | 'tls' | 'none';
  user?: string;
  password?: string;
  /** `From` of every message. */
  from: string;
  /** Socket timeouts in ms. Default 30 000. */
  timeoutMs?: number;
  /** Extra CA certificate(s) to trust (PEM), for a relay with a private CA. Certificates are always verified. */
  ca?: string;
}

/** @example const transport = await smtpTransport({ host: 'smtp.example.com', port: 587, security: 'starttls', from: 'no-reply@example.com' }); */
export async function smtpTransport(o: SmtpOptions): Promise<MailTransport> {
  const nodemailer = (await import('nodemailer')).default;
  const timeout = o.timeoutMs ?? 30_000;
  const t = nodemailer.createTransport({
    host: o.host,
    port: o.port,
    secure: o.security === 'tls',
    requireTLS: o.security === 'starttls',
    ignoreTLS: o.security === 'none',
    ...(o.user ? { auth: { user: o.user, pass: o.password ?? '' } } : {}),
    tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(o.ca ? { ca: o.ca } : {}) },
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    // nodemailer logs nothing unless asked; keep it that way (messages hold tokens).
    logger: false,
    debug: false,
  });
  return {
    async send(mail: OutgoingMail) {
      await t.sendMail({ from: o.from, to: mail.to, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}) });
    },
    async close() {
      t.close();
    },
  };
}

export interface MailSenderOptions {
  mailer: Mailer;
  /** Made at start; undefined = no delivery (a warning is logged once). */
  transport: () => Promise<MailTransport | undefined>;
  pollMs: number;
  logger?: Logger;
}

/**
 * @example
 * const sender = mailSender({ mailer, transport: () => smtpTransport(smtp), pollMs: 2000, logger });
 * await sender.start();
 */
export function mailSender(o: MailSenderOptions): Component & { /** Run one pass now (tests, shutdown). */ flush(): Promise<{ sent: number; failed: number }> } {
  let transport: MailTransport | undefined;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let stopped = true;

  async function pass(): Promise<{ sent: number; failed: number }> {
    if (!transport) return { sent: 0, failed: 0 };
    let total = { sent: 0, failed: 0 };
    // Drain in batches while there is due mail.
    for (;;) {
      const r = await o.mailer.deliverDue(transport);
      total = { sent: total.sent + r.sent, failed: total.failed + r.failed };
      if (r.sent + r.failed === 0 || stopped) return total;
    }
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass()
        .catch((err: unknown) => o.logger?.error({ err }, 'email outbox pass failed'))
        .finally(schedule);
    }, o.pollMs);
    timer.unref();
  }

  return {
    name: 'mail-sender',
    async start() {
      transport = await o.transport();
      if (!transport) {
        const pending = (await o.mailer.list({ status: 'pending', limit: 1000 })).length;
        o.logger?.warn({ pending }, 'auth.email.smtp.host is not set: emails stay in the outbox until SMTP is configured');
        return;
      }
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
      await transport?.close();
      transport = undefined;
    },
    flush: () => pass(),
  };
}
