// A real SMTP server on 127.0.0.1 that keeps every message it receives, for tests of mailed links.
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export interface SmtpCapture {
  /** Listens on a free port and returns it. */
  start(): Promise<number>;
  stop(): Promise<void>;
  /** Waits (up to 20 s) for a message to `to` whose subject matches, and takes it out of the box. */
  mailTo(to: string, subject: RegExp): Promise<ParsedMail>;
}

/** The `token` query parameter of the first link in a mail's text ('' when none). */
export const linkToken = (m: ParsedMail): string => /[?&]token=([A-Za-z0-9_-]+)/.exec(m.text ?? '')?.[1] ?? '';

export function smtpCapture(): SmtpCapture {
  const mail: ParsedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      simpleParser(stream).then((m) => (mail.push(m), cb()), cb);
    },
  });
  return {
    async start() {
      await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
      return (smtp.server.address() as { port: number }).port;
    },
    stop: () => new Promise<void>((r) => smtp.close(() => r())),
    async mailTo(to, subject) {
      for (let i = 0; i < 400; i++) {
        const m = mail.find((x) => JSON.stringify(x.to ?? '').includes(to) && subject.test(x.subject ?? ''));
        if (m) return (mail.splice(mail.indexOf(m), 1), m);
        await sleep(50);
      }
      throw new Error(`no email to ${to} matching ${subject}; have ${mail.map((m) => `${JSON.stringify(m.to)} ${m.subject}`).join(', ')}`);
    },
  };
}
