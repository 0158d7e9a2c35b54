// Child process for the crash test in auth-mail.test.ts: claims and starts sending the outbox, and is killed
// with SIGKILL by the parent while the SMTP server is receiving the message.
import { openDatabase, tableNames } from '../src/data/index.js';
import { createMailer } from '../src/auth/mail/mailer.js';
import { createSqlMailOutbox } from '../src/data/auth-tables/mail-outbox-sql.js';
import { smtpTransport } from '../src/auth/mail/mailer-sender.js';

const { AUTH_MAIL_DB, AUTH_MAIL_PREFIX, AUTH_MAIL_PORT } = process.env;
const opened = await openDatabase({ url: `sqlite:${AUTH_MAIL_DB}`, dataDir: '', poolSize: 1, busyTimeout: 5000 });
const mailer = createMailer({ outbox: createSqlMailOutbox({ db: opened.db, dialect: opened.dialect, names: tableNames(String(AUTH_MAIL_PREFIX)) }), leaseMs: 60_000 });
const transport = await smtpTransport({ host: '127.0.0.1', port: Number(AUTH_MAIL_PORT), security: 'none', from: 'app@example.com' });
await mailer.deliverDue(transport);
process.stdout.write('finished\n');
