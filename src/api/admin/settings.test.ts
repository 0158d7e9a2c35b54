// POST /api/admin/settings/mail/test against real SMTP servers that refuse: the server's reply is the
// 502's detail; without SMTP config the answer is a 409; the guard runs first.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import Fastify from 'fastify';
import { ForbiddenError } from '../../core/index.js';
import { handleError } from '../../edge/index.js';
import { smtpTransport } from '../../auth/index.js';
import { settingsRoutes, type SmtpState } from './settings.js';

test('test mail: a refusing SMTP server is a 502 with its reply, no SMTP a 409, the guard first', async () => {
  // greets, then refuses every sender
  const smtp = createServer((sock) => {
    sock.write('220 refuser ESMTP\r\n');
    sock.on('data', (d) => {
      const line = d.toString();
      if (/^(EHLO|HELO)/i.test(line)) sock.write('250 refuser\r\n');
      else if (/^MAIL FROM/i.test(line)) sock.write('554 5.7.1 relay access denied\r\n');
      else if (/^QUIT/i.test(line)) sock.end('221 bye\r\n');
      else sock.write('503 bad sequence\r\n');
    });
  }).listen(0, '127.0.0.1');
  await new Promise((r) => smtp.once('listening', r));
  const port = (smtp.address() as { port: number }).port;
  let state: SmtpState = { configured: true, host: '127.0.0.1', port, security: 'none', user: '', passwordSet: false, from: 'a@example.com' };
  const app = Fastify();
  app.setErrorHandler(handleError);
  await app.register(
    settingsRoutes({
      authorize: (r) => {
        if (r.headers['x-user'] !== 'root') throw new ForbiddenError();
      },
      smtp: () => state,
      async sendTestMail(to) {
        const t = await smtpTransport({ host: '127.0.0.1', port, security: 'none', from: 'a@example.com', timeoutMs: 5000 });
        try {
          await t.send({ to, subject: 'test', text: 'x' });
        } finally {
          await t.close();
        }
      },
      tls: async () => ({ enabled: false }),
      encryption: async () => ({ source: 'none' }),
      config: () => ({}),
    }),
  );
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  const send = (user = 'root') => fetch(`${base}/api/admin/settings/mail/test`, { method: 'POST', headers: { 'x-user': user, 'content-type': 'application/json' }, body: JSON.stringify({ to: 'ops@example.com' }) });
  try {
    assert.equal((await send('bob')).status, 403);
    const r = await send();
    assert.equal(r.status, 502);
    assert.match(r.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const p = (await r.json()) as { type: string; detail: string };
    assert.equal(p.type, 'strata/bad-gateway');
    assert.match(p.detail, /^The SMTP server did not take the message: .*554 5\.7\.1 relay access denied/);
    state = { ...state, configured: false };
    const none = await send();
    assert.equal(none.status, 409);
    assert.match(((await none.json()) as { detail: string }).detail, /No SMTP server is configured/);
  } finally {
    await app.close();
    smtp.close();
  }
});
