// The admin UI's Users page in Chromium (a step of admin-ui-scenarios.ts, so it runs on SQLite and PostgreSQL):
// search and open an account, mark it verified, disable its second factor, revoke an API key, revoke every
// session, and the reset mail's refusal without auth.email.linkBase, each effect checked from the account's side;
// then pages of 20, and an account of a collection that requires MFA (no Disable button, the reason shown).
import assert from 'node:assert/strict';
import * as OTPAuth from 'otpauth';
import { PASS, type AdminWorld } from './admin-ui-helpers.js';

export async function usersScenario(w: AdminWorld): Promise<void> {
  const email = 'pat@example.com';
  const made = await w.call('POST', '/api/collections/users/records', { body: { email, password: PASS, passwordConfirm: PASS }, token: null });
  assert.equal(made.status, 201, made.text);
  const id = String(made.body.id);
  const login = () => w.call('POST', '/api/collections/users/auth/login', { body: { identity: email, password: PASS }, token: null });
  const me = (token: string) => w.call('GET', '/api/collections/users/auth/me', { token });
  // The account turns on TOTP itself.
  const t1 = String((await login()).body.token);
  const enrol = await w.call('POST', '/api/collections/users/auth/mfa/totp', { body: {}, token: t1 });
  assert.equal(enrol.status, 200, enrol.text);
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(String(enrol.body.secret)), digits: 6, period: 30 });
  assert.equal((await w.call('POST', '/api/collections/users/auth/mfa/totp/confirm', { body: { code: totp.generate() }, token: t1 })).status, 200);
  assert.equal((await login()).body.type, 'strata/mfa-required');

  const p = w.page;
  await p.goto(`${w.base}/_/#/collections`);
  await p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click(); // the collections list also links users and _superusers
  await p.getByRole('heading', { name: 'Users' }).waitFor();
  await p.getByLabel('Auth collection').selectOption('users');
  await p.locator('tr[data-account="member@example.com"]').waitFor(); // the unfiltered first page (member@ signed up in an earlier step of the suite)
  await p.getByLabel('Email contains').fill('PAT@');
  await p.getByRole('button', { name: 'Search' }).click();
  await p.locator('tr[data-account="member@example.com"]').waitFor({ state: 'detached' });
  const row = p.locator(`tr[data-account="${email}"]`);
  await row.waitFor();
  assert.equal(await p.locator('tr[data-account]').count(), 1, 'the search leaves only pat');
  assert.match(await row.innerText(), /no\s+on/);
  await row.getByRole('link', { name: email }).click();
  await p.getByRole('heading', { name: email }).waitFor();

  await p.getByRole('button', { name: 'Mark verified' }).click();
  await p.getByRole('status').getByText('Marked verified.').waitFor();
  assert.equal((await w.call('GET', `/api/collections/users/records/${id}`)).body.verified, true, 'seen over REST');

  await p.getByRole('button', { name: 'Disable MFA' }).click();
  await p.getByRole('status').getByText('The second factor is off').waitFor();
  assert.equal(await p.locator('[data-fact="mfa"]').innerText(), 'off');
  const plain = await login();
  assert.equal(plain.status, 200, `the password alone signs in now: ${plain.text}`);

  const t2 = String(plain.body.token);
  const key = await w.call('POST', '/api/collections/users/auth/api-keys', { body: { name: 'deploy' }, token: t2 });
  assert.equal(key.status, 201, key.text);
  assert.equal((await me(String(key.body.key))).status, 200);
  await p.reload();
  const keyRow = p.locator('tr[data-key="deploy"]');
  await keyRow.waitFor();
  await p.getByRole('button', { name: 'Revoke API key deploy' }).click();
  await p.getByRole('status').getByText('API key deploy is revoked.').waitFor();
  assert.equal(await keyRow.locator('[data-col="state"]').innerText(), 'revoked');
  assert.equal((await me(String(key.body.key))).status, 401, 'the revoked key is refused');

  assert.equal((await me(t2)).status, 200);
  await p.getByRole('button', { name: 'Revoke all sessions' }).click();
  await p.getByRole('status').getByText('Every session, token and API key').waitFor();
  assert.equal((await me(t2)).status, 401, 'the account is signed out everywhere');

  // This server has no auth.email.linkBase: the page says why no mail went out.
  await p.getByRole('button', { name: 'Send password reset' }).click();
  assert.match(await p.getByRole('alert').innerText(), /linkBase is not set/);

  // Pages of 20: with 21 or more accounts the list has a second page.
  const before = Number((await w.call('GET', '/api/admin/users/users?perPage=1')).body.totalItems);
  for (let i = before; i < 21; i++) {
    const r = await w.call('POST', '/api/collections/users/records', { body: { email: `zz${String(i).padStart(2, '0')}@example.com`, password: PASS, passwordConfirm: PASS } });
    assert.equal(r.status, 201, r.text);
  }
  await p.getByRole('link', { name: /Accounts of users/ }).click();
  await p.getByText('Page 1 of 2 (21 accounts)').waitFor();
  assert.equal(await p.locator('tr[data-account]').count(), 20);
  await p.getByRole('button', { name: 'Next' }).click();
  await p.getByText('Page 2 of 2 (21 accounts)').waitFor();
  await p.locator('tr[data-account="zz20@example.com"]').waitFor();
  assert.equal(await p.locator('tr[data-account]').count(), 1, 'the last account (sorted by email) alone on page 2');

  // A collection that requires a second factor: the account page says why MFA cannot be disabled.
  const staff = await w.call('POST', '/api/admin/collections', { body: { name: 'staff', type: 'auth', auth: { mfa: 'required' } } });
  assert.equal(staff.status, 201, staff.text);
  const dana = await w.call('POST', '/api/collections/staff/records', { body: { email: 'dana@example.com', password: PASS, passwordConfirm: PASS } });
  assert.equal(dana.status, 201, dana.text);
  const first = await w.call('POST', '/api/collections/staff/auth/login', { body: { identity: 'dana@example.com', password: PASS }, token: null });
  assert.equal(first.body.type, 'strata/mfa-enrollment-required', first.text);
  const enrolDana = await w.call('POST', '/api/collections/staff/auth/mfa/totp', { body: {}, token: String(first.body.enrollmentToken) });
  assert.equal(enrolDana.status, 200, enrolDana.text);
  const totpDana = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(String(enrolDana.body.secret)), digits: 6, period: 30 });
  assert.equal((await w.call('POST', '/api/collections/staff/auth/mfa/totp/confirm', { body: { code: totpDana.generate() }, token: String(first.body.enrollmentToken) })).status, 200);
  await p.goto(`${w.base}/_/#/users/staff/${String(dana.body.id)}`);
  await p.getByRole('heading', { name: 'dana@example.com' }).waitFor();
  assert.equal(await p.locator('[data-fact="mfa"]').innerText(), 'TOTP on');
  await p.locator('#mfa-required-note').getByText('MFA cannot be disabled: staff requires a second factor').waitFor();
  assert.equal(await p.getByRole('button', { name: 'Disable MFA' }).count(), 0);
}
