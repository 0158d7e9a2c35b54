// The email outbox and sender against a real in-process SMTP server (smtp-server) and real databases:
// links and escaping in the received mail, retries with backoff while SMTP is down, crash-safety under
// kill -9 mid-send, the transaction guarantee, and the "no SMTP configured" warning without content.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { Logger } from '../src/core/index.js';
import { openDatabase, tableNames } from '../src/data/index.js';
import { ensureAuthTables, type AuthDb } from '../src/data/auth-tables/auth-store-schema.js';
import { createMailer, type OutgoingMail } from '../src/auth/mail/mailer.js';
import { createSqlMailOutbox } from '../src/data/auth-tables/mail-outbox-sql.js';
import { mailSender, smtpTransport } from '../src/auth/mail/mailer-sender.js';
import { emailChangedMessage, passwordResetMessage, tokenLink, verifyEmailMessage } from '../src/auth/mail/mailer-templates.js';
import { ValidationError } from '../src/core/index.js';
import { ensureDevCertificate } from '../src/edge/index.js';
import { uniquePrefix } from './data-helpers.js';
import { authEngines } from './auth-stores-helpers.js';

interface Smtp {
  port: number;
  received: ParsedMail[];
  close(): Promise<void>;
}

async function smtpServer(extra: Partial<SMTPServerOptions> = {}): Promise<Smtp> {
  const received: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, cb) {
      simpleParser(stream).then((m) => (received.push(m), cb()), cb);
    },
    ...extra,
  });
  // A client that dies mid-message (the crash test) surfaces as a connection error here; that is expected.
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { port, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function sqliteAuthDb(): Promise<AuthDb & { file: string; close(): Promise<void> }> {
  const file = join(mkdtempSync(join(tmpdir(), 'strata-mail-')), 'data.db');
  const o = await openDatabase({ url: `sqlite:${file}`, dataDir: '', poolSize: 1, busyTimeout: 5000 });
  const ctx = { db: o.db, dialect: o.dialect, names: tableNames(uniquePrefix()) };
  await ensureAuthTables(ctx);
  return { ...ctx, file, close: () => o.db.destroy() };
}

test('TLS: STARTTLS is required (no plaintext fallback), certificates are verified; implicit TLS works', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'strata-mail-tls-'));
  const cert = await ensureDevCertificate(dir);
  const tls = { key: readFileSync(cert.keyPath), cert: readFileSync(cert.certPath) };
  const ca = readFileSync(cert.caPath, 'utf8');
  const secureSessions: boolean[] = [];
  const onData: SMTPServerOptions['onData'] = (stream, session, cb) => {
    secureSessions.push(session.secure);
    stream.resume();
    stream.on('end', () => cb());
  };
  const starttls = await smtpServer({ ...tls, disabledCommands: ['AUTH'], onData });
  const plain = await smtpServer({ onData });
  const implicit = await smtpServer({ ...tls, secure: true, disabledCommands: ['AUTH'], onData });
  const mail = { to: 'ada@example.com', subject: 'Hi', text: 'x' };
  const send = async (o: Parameters<typeof smtpTransport>[0]) => {
    const t = await smtpTransport(o);
    try {
      await t.send(mail);
    } finally {
      await t.close();
    }
  };
  try {
    await send({ host: '127.0.0.1', port: starttls.port, security: 'starttls', from: 'a@example.com', ca });
    await assert.rejects(send({ host: '127.0.0.1', port: plain.port, security: 'starttls', from: 'a@example.com', ca }), 'a server without STARTTLS is refused');
    await assert.rejects(send({ host: '127.0.0.1', port: starttls.port, security: 'starttls', from: 'a@example.com' }), 'an untrusted certificate is refused');
    await send({ host: '127.0.0.1', port: implicit.port, security: 'tls', from: 'a@example.com', ca });
    assert.deepEqual(secureSessions, [true, true], 'only the two TLS sessions delivered, both encrypted');
  } finally {
    await Promise.all([starttls.close(), plain.close(), implicit.close()]);
  }
});

const transportTo = (port: number) => smtpTransport({ host: '127.0.0.1', port, security: 'none', from: 'Acme <no-reply@example.com>' });

test('verify-email mail arrives over SMTP with the right link; values are HTML-escaped', async () => {
  const smtp = await smtpServer();
  const ctx = await sqliteAuthDb();
  const mailer = createMailer({ outbox: createSqlMailOutbox(ctx) });
  const sender = mailSender({ mailer, transport: () => transportTo(smtp.port), pollMs: 60_000 });
  try {
    await sender.start?.();
    const token = 'tok_abc-123';
    const link = tokenLink('https://app.example.com/base/', '/auth/verify-email', token);
    assert.equal(link, 'https://app.example.com/base/auth/verify-email?token=tok_abc-123');
    await mailer.enqueue(verifyEmailMessage({ to: 'ada@example.com', appName: 'Acme <script>&', link }));
    assert.deepEqual(await sender.flush(), { sent: 1, failed: 0 });
    assert.equal(smtp.received.length, 1);
    const m = smtp.received[0];
    assert.equal(m.subject, 'Verify your email for Acme <script>&');
    assert.equal(m.from?.value[0].address, 'no-reply@example.com');
    assert.deepEqual((Array.isArray(m.to) ? m.to : [m.to]).flatMap((a) => a?.value.map((v) => v.address)), ['ada@example.com']);
    assert.ok(m.text?.includes(link), 'text part holds the link');
    assert.ok(typeof m.html === 'string' && m.html.includes(`href="${link}"`), 'html part links to it');
    assert.ok((m.html as string).includes('Acme &lt;script&gt;&amp;') && !(m.html as string).includes('<script>'), 'escaped');
    const [row] = await mailer.list();
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 1);
    assert.equal(row.text, '', 'the body (and its token) is not kept after sending');
    assert.equal(row.html, undefined);
    assert.equal(await mailer.pruneSent(row.sentAt! + 1), 1);
    assert.equal((await mailer.list()).length, 0);
    assert.deepEqual(await sender.flush(), { sent: 0, failed: 0 }, 'nothing is sent twice');
  } finally {
    await sender.stop?.();
    await ctx.close();
    await smtp.close();
  }
});

test('templates: reset and email-changed messages; links need an absolute http(s) base', () => {
  const reset = passwordResetMessage({ to: 'a@example.com', appName: 'Acme', ttlMinutes: 30, link: tokenLink('https://x.example', '/r', 'a b') });
  assert.match(reset.text, /https:\/\/x\.example\/r\?token=a%20b/);
  assert.match(reset.text, /30 minutes/);
  const changed = emailChangedMessage({ to: 'old@example.com', appName: 'Acme', newEmail: '"><img src=x>@evil.example' });
  assert.ok(changed.html?.includes('&quot;&gt;&lt;img src=x&gt;@evil.example'));
  assert.ok(!changed.html?.includes('<img'));
  assert.throws(() => tokenLink('', '/r', 't'), RangeError);
  assert.throws(() => tokenLink('javascript:alert(1)', '/r', 't'), RangeError);
});

test('bad messages are refused: several recipients, header injection in the subject', async () => {
  const ctx = await sqliteAuthDb();
  const mailer = createMailer({ outbox: createSqlMailOutbox(ctx) });
  const bad: OutgoingMail[] = [
    { to: 'a@example.com, b@example.com', subject: 's', text: 't' },
    { to: 'a@example.com\r\nBcc: x@example.com', subject: 's', text: 't' },
    { to: 'a@example.com', subject: 'hi\r\nBcc: x@example.com', text: 't' },
    { to: 'a@example.com', subject: '', text: 't' },
  ];
  for (const m of bad) await assert.rejects(() => mailer.enqueue(m), ValidationError, JSON.stringify(m));
  assert.equal((await mailer.list()).length, 0);
  await ctx.close();
});

test('SMTP down: the mail is retried later with backoff and then delivered; it fails for good after maxAttempts', async () => {
  let refuse = true;
  const smtp = await smtpServer({
    onConnect(_session, cb) {
      if (!refuse) return cb();
      const err = Object.assign(new Error('Service not available'), { responseCode: 421 });
      cb(err);
    },
  });
  const ctx = await sqliteAuthDb();
  let clock = 1_700_000_000_000;
  const mailer = createMailer({ outbox: createSqlMailOutbox(ctx), now: () => clock, retryBaseMs: 10_000, maxAttempts: 3 });
  const transport = await transportTo(smtp.port);
  try {
    await mailer.enqueue({ to: 'ada@example.com', subject: 'Hello', text: 'secret-token-xyz' });
    assert.deepEqual(await mailer.deliverDue(transport), { sent: 0, failed: 1 });
    let [row] = await mailer.list();
    assert.equal(row.status, 'pending');
    assert.equal(row.attempts, 1);
    assert.equal(row.nextAttemptAt, clock + 10_000);
    assert.ok(row.lastError && !row.lastError.includes('secret-token-xyz'), 'the error names the failure only');
    assert.deepEqual(await mailer.deliverDue(transport), { sent: 0, failed: 0 }, 'not due before the backoff');
    clock += 10_000;
    assert.deepEqual(await mailer.deliverDue(transport), { sent: 0, failed: 1 });
    [row] = await mailer.list();
    assert.equal(row.nextAttemptAt, clock + 20_000, 'backoff doubles');
    refuse = false;
    clock += 20_000;
    assert.deepEqual(await mailer.deliverDue(transport), { sent: 1, failed: 0 });
    assert.equal(smtp.received.length, 1);
    assert.equal(smtp.received[0].text?.trim(), 'secret-token-xyz');
    [row] = await mailer.list();
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 3);

    refuse = true;
    await mailer.enqueue({ to: 'bob@example.com', subject: 'Doomed', text: 'x' });
    for (let i = 0; i < 3; i++) {
      await mailer.deliverDue(transport);
      clock += 3_600_000;
    }
    const doomed = (await mailer.list()).find((r) => r.to === 'bob@example.com');
    assert.equal(doomed?.status, 'failed');
    assert.equal(doomed?.attempts, 3);
    assert.deepEqual(await mailer.deliverDue(transport), { sent: 0, failed: 0 }, 'a failed mail is not retried again');
  } finally {
    await transport.close();
    await ctx.close();
    await smtp.close();
  }
});

test('kill -9 mid-send does not lose the mail: the lease runs out and another sender delivers it', async () => {
  let killed = false;
  let child: ReturnType<typeof spawn> | undefined;
  const smtp = await smtpServer({
    onData(stream, _session, cb) {
      if (!killed) {
        // The first sender dies while the message is on the wire; its transaction is never acknowledged.
        killed = true;
        child?.kill('SIGKILL');
        stream.resume();
        stream.on('error', () => undefined);
        stream.on('end', () => cb(new Error('connection lost')));
        return;
      }
      simpleParser(stream).then((m) => (smtp.received.push(m), cb()), cb);
    },
  });
  const ctx = await sqliteAuthDb();
  try {
    await createMailer({ outbox: createSqlMailOutbox(ctx) }).enqueue(verifyEmailMessage({ to: 'ada@example.com', appName: 'Acme', link: 'https://app.example.com/v?token=T1' }));
    child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./auth-mail-child.ts', import.meta.url))], {
      env: { ...process.env, AUTH_MAIL_DB: ctx.file, AUTH_MAIL_PREFIX: ctx.names.prefix, AUTH_MAIL_PORT: String(smtp.port) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child?.on('exit', (_code, sig) => resolve(sig)));
    assert.equal(signal, 'SIGKILL');
    assert.equal(out, '', 'the child never finished its pass');
    assert.equal(killed, true);

    const leaseMs = 60_000;
    const mailer = createMailer({ outbox: createSqlMailOutbox(ctx), leaseMs });
    const [claimed] = await mailer.list();
    assert.equal(claimed.status, 'sending', 'the dead sender left its claim');
    const transport = await transportTo(smtp.port);
    assert.deepEqual(await mailer.deliverDue(transport), { sent: 0, failed: 0 }, 'not taken while the lease holds');
    const later = createMailer({ outbox: createSqlMailOutbox(ctx), leaseMs, now: () => Date.now() + leaseMs + 1 });
    assert.deepEqual(await later.deliverDue(transport), { sent: 1, failed: 0 });
    await transport.close();
    assert.equal(smtp.received.length, 1);
    assert.ok(smtp.received[0].text?.includes('https://app.example.com/v?token=T1'));
    const [row] = await mailer.list();
    assert.equal(row.status, 'sent');
    assert.equal(row.attempts, 2);
  } finally {
    child?.kill('SIGKILL');
    await ctx.close();
    await smtp.close();
  }
});

test('without SMTP the mail stays pending and one warning is logged, without the message', async () => {
  const ctx = await sqliteAuthDb();
  const mailer = createMailer({ outbox: createSqlMailOutbox(ctx) });
  const logged: unknown[][] = [];
  const logger = { warn: (...a: unknown[]) => logged.push(a), error: (...a: unknown[]) => logged.push(a), info: () => undefined } as unknown as Logger;
  await mailer.enqueue({ to: 'ada@example.com', subject: 'Reset', text: 'https://x.example/r?token=SECRET123' });
  const sender = mailSender({ mailer, transport: async () => undefined, pollMs: 100, logger });
  await sender.start?.();
  assert.deepEqual(await sender.flush(), { sent: 0, failed: 0 });
  await sender.stop?.();
  assert.equal(logged.length, 1);
  const text = JSON.stringify(logged);
  assert.match(text, /smtp/i);
  assert.ok(!text.includes('SECRET123') && !text.includes('ada@example.com') && !text.includes('Reset'));
  assert.equal((await mailer.list({ status: 'pending' })).length, 1);
  await ctx.close();
});

const engines = await authEngines();
after(async () => {
  for (const e of engines) await e.close();
});
for (const e of engines) {
  describe(`${e.name} outbox`, { skip: e.skip }, () => {
    test(`${e.name}: mail commits and rolls back with the caller's transaction; concurrent senders claim a row once`, async () => {
      const ctx = await e.fresh();
      const mailer = createMailer({ outbox: createSqlMailOutbox(ctx) });
      const mail = { to: 'ada@example.com', subject: 'Hi', text: 'x', html: '<p>x</p>' };
      await assert.rejects(ctx.db.transaction().execute(async (tx) => {
        await mailer.enqueue(mail, tx);
        throw new Error('sign-up failed');
      }), /sign-up failed/);
      assert.equal((await mailer.list()).length, 0, 'rolled back with the sign-up');
      await ctx.db.transaction().execute((tx) => mailer.enqueue(mail, tx));
      const rows = await mailer.list();
      assert.equal(rows.length, 1);
      assert.equal(rows[0].html, '<p>x</p>');
      const sent: OutgoingMail[] = [];
      const transport = { send: async (m: OutgoingMail) => void sent.push(m), close: async () => undefined };
      const results = await Promise.all([mailer.deliverDue(transport), mailer.deliverDue(transport), mailer.deliverDue(transport)]);
      assert.equal(results.reduce((n, r) => n + r.sent, 0), 1);
      assert.equal(sent.length, 1);
    });
  });
}
