// The admin UI's Metrics, Logs and Settings pages in Chromium (a step of admin-ui-scenarios.ts, so it runs on
// SQLite and PostgreSQL): the live figures of the records family move after requests, with their charts; the
// access log filtered to one 404 line; the audit log filtered by action; the settings page with SMTP, TLS and
// key state, the config without the SMTP password, and a test mail that reaches the SMTP server.
import assert from 'node:assert/strict';
import { SMTP_PASSWORD, type AdminWorld } from './admin-ui-helpers.js';

export async function observeScenario(w: AdminWorld): Promise<void> {
  const p = w.page;
  await p.goto(`${w.base}/_/#/collections`);
  await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Metrics' }).click();
  await p.getByRole('heading', { name: 'Metrics' }).waitFor();
  const records = p.locator('tr[data-family="records"]');
  await records.waitFor();
  // requests after the page's first sample: the next reads (every 3 s) show them as a rate
  for (let i = 0; i < 5; i++) assert.equal((await w.call('GET', '/api/collections/users/records')).status, 200);
  const rps = records.locator('[data-figure="rps"]');
  await p.waitForFunction((el) => Number(el?.textContent) > 0, await rps.elementHandle(), { timeout: 15_000 });
  assert.match(await records.locator('[data-figure="p99"]').innerText(), /^\d+(\.\d+)? ms$/);
  assert.match(await records.locator('[data-figure="errors"]').innerText(), /^0\.0 %$/);
  assert.ok(Number(await records.locator('[data-figure="total"]').innerText()) >= 5);
  assert.equal(await records.locator('svg.spark polyline').count(), 4, 'a chart per figure');
  assert.equal(await p.locator('tr[data-family]').count(), 8);

  // access log: one 404 among many lines, found by status and path
  assert.equal((await w.call('GET', '/api/collections/users/records/no-such-obs')).status, 404);
  await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Logs' }).click();
  await p.getByRole('heading', { name: 'Logs' }).waitFor();
  await p.getByRole('table', { name: 'Access log' }).waitFor();
  await p.getByLabel('Status').fill('4xx');
  await p.getByLabel('Path contains').fill('no-such-obs');
  await p.getByRole('button', { name: 'Filter' }).click();
  const line = p.locator('tr[data-access="GET /api/collections/users/records/no-such-obs"]');
  await line.waitFor();
  await p.getByRole('status').filter({ hasText: /^1 shown/ }).waitFor();
  assert.match(await line.innerText(), /404/);
  await p.getByLabel('Method').selectOption('POST');
  await p.getByRole('button', { name: 'Filter' }).click();
  await p.getByRole('status').filter({ hasText: /^0 shown/ }).waitFor();

  // audit log: the superuser sign-ins, by action
  await p.getByRole('link', { name: 'Audit log' }).click();
  await p.getByRole('table', { name: 'Audit log' }).waitFor();
  await p.getByLabel('Action').fill('auth.login.success');
  await p.getByRole('button', { name: 'Filter' }).click();
  // (locators, not a string predicate: the page's CSP forbids eval)
  await p.locator('tr[data-audit]:not([data-audit="auth.login.success"])').first().waitFor({ state: 'detached' });
  await p.locator('tr[data-audit="auth.login.success"]').first().waitFor();

  // settings: state, masked config, a test mail through the configured SMTP server
  await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await p.getByRole('heading', { name: 'Settings' }).waitFor();
  const smtpFacts = p.locator('dl[aria-label="SMTP"]');
  await smtpFacts.waitFor();
  assert.match(await smtpFacts.innerText(), /configured[\s\S]*127\.0\.0\.1:\d+ \(none\)[\s\S]*set \(not shown\)/);
  assert.match(await p.locator('fieldset').filter({ hasText: 'TLS certificate' }).innerText(), /HTTPS is off/);
  const config = await p.getByLabel('Effective config').innerText();
  assert.match(config, /"password": "\*{8}"/);
  assert.ok(!config.includes(SMTP_PASSWORD) && !(await p.content()).includes(SMTP_PASSWORD), 'the SMTP password is not on the page');
  await p.getByLabel('Send a test mail to').fill('ops@example.com');
  await p.getByRole('button', { name: 'Send test mail' }).click();
  await p.getByRole('status').filter({ hasText: 'Test mail sent to ops@example.com.' }).waitFor();
  assert.match((await w.smtp.mailTo('ops@example.com', /test mail/)).text ?? '', /SMTP works/);
}
