// Regenerates the admin UI screenshots in docs/admin-ui/ (shown in README.md and docs/admin-ui.md): a real
// Strata on a temp SQLite data dir with a little sample data, driven by headless Chromium.
// Usage: npm run screenshots
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PASS, ROOT_EMAIL, startAdminWorld, uiSignIn } from '../test/admin-ui-helpers.js';

const OUT = join(import.meta.dirname, '..', 'docs', 'admin-ui');
mkdirSync(OUT, { recursive: true });

const w = await startAdminWorld();
try {
  const must = async (r: Promise<{ status: number; text: string }>) => {
    const x = await r;
    if (x.status >= 300) throw new Error(`${x.status} ${x.text}`);
  };
  await must(
    w.call('POST', '/api/admin/collections', {
      body: {
        name: 'tasks',
        fields: [
          { name: 'title', type: 'text', required: true },
          { name: 'status', type: 'select', values: ['todo', 'doing', 'done'] },
          { name: 'points', type: 'integer' },
          { name: 'due', type: 'date' },
          { name: 'meta', type: 'json' },
        ],
        rules: { list: '', view: '', create: "title != ''" },
      },
    }),
  );
  const rows: Array<[string, string, number]> = [
    ['Write the release notes', 'doing', 3],
    ['Rotate the signing keys', 'todo', 2],
    ['Review the WAF exclusions', 'done', 1],
    ['Migrate the staging database', 'todo', 5],
    ['Answer the support queue', 'doing', 2],
  ];
  for (const [i, [title, status, points]] of rows.entries()) {
    await must(w.call('POST', '/api/collections/tasks/records', { body: { title, status, points, due: `2026-12-${String(10 + i).padStart(2, '0')}T09:00:00Z`, meta: { sprint: 42 } } }));
  }
  const p = w.page;
  const shot = async (name: string) => {
    await p.waitForTimeout(300); // let the last re-render settle before the picture
    await p.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    console.log(`docs/admin-ui/${name}.png`);
  };
  await p.setViewportSize({ width: 1200, height: 720 });
  await p.goto(`${w.base}/_/`);
  await p.getByLabel('Email').fill(ROOT_EMAIL);
  await p.getByLabel('Password').fill('wrong password typed here');
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.locator('#login-error').waitFor();
  await shot('login-failed');
  await uiSignIn(p, w.base, ROOT_EMAIL, PASS);
  await p.getByRole('heading', { name: 'Collections' }).waitFor();
  await shot('collections');
  await p.goto(`${w.base}/_/#/collections/tasks/edit`);
  await p.locator('[data-field="0"]').waitFor();
  await p.locator('input[name="rule-create"]').fill('nosuchfield = 1');
  await p.locator('#err-rule-create').waitFor();
  await shot('collection-rule-error');
  await p.locator('input[name="rule-create"]').fill("title != ''");
  await p.locator('[data-field="4"]').getByRole('button', { name: /Remove/ }).click();
  await p.getByText('I understand these steps delete data').waitFor();
  await shot('collection-plan-destructive');
  await p.goto(`${w.base}/_/#/records/tasks`);
  await p.getByText('Live', { exact: true }).waitFor();
  await p.locator('tbody tr').first().waitFor();
  await shot('records');
  await p.locator('#filter').fill("status = 'todo' &&");
  await p.getByRole('button', { name: 'Apply' }).click();
  await p.locator('#filter-error').waitFor();
  await shot('records-filter-error');
  await p.locator('#filter').fill('');
  await p.getByRole('button', { name: 'Apply' }).click();
  await p.locator('tbody tr').first().getByRole('button', { name: 'Edit' }).click();
  await p.locator('#rf-title').waitFor();
  await shot('record-edit');
  for (const n of [1, 2]) await must(w.call('POST', '/api/admin/queues/flaky/jobs', { body: { payload: { n } } }));
  for (let i = 0; i < 100 && (await w.call('GET', '/api/admin/queues/flaky')).body.dead !== 2; i++) await p.waitForTimeout(100);
  await p.goto(`${w.base}/_/#/queues/flaky`);
  await p.locator('tr[data-job]').first().waitFor();
  await shot('queue-dead');
  for (const who of ['ada', 'grace', 'linus']) await must(w.call('POST', '/api/collections/users/records', { body: { email: `${who}@example.com`, password: PASS, passwordConfirm: PASS }, token: null }));
  const ada = await w.call('POST', '/api/collections/users/auth/login', { body: { identity: 'ada@example.com', password: PASS }, token: null });
  await must(w.call('POST', '/api/collections/users/auth/api-keys', { body: { name: 'deploy', scopes: ['records:read'] }, token: String(ada.body.token) }));
  await must(w.call('POST', '/api/collections/users/auth/api-keys', { body: { name: 'backup job' }, token: String(ada.body.token) }));
  await p.goto(`${w.base}/_/#/users/users`);
  await p.locator('tr[data-account]').first().waitFor();
  await shot('users');
  await p.getByRole('link', { name: 'ada@example.com' }).click();
  await p.locator('tr[data-key="deploy"]').waitFor();
  await p.getByRole('button', { name: 'Mark verified' }).click();
  await p.getByRole('status').getByText('Marked verified.').waitFor();
  await shot('user-account');
  await fetch(`${w.base}/api/collections/tasks/records?q=${encodeURIComponent("1' OR '1'='1' UNION SELECT password FROM users--")}`);
  await p.goto(`${w.base}/_/#/waf`);
  await p.locator('.detection').first().getByRole('button', { name: 'Exclusion' }).click();
  await shot('waf-events');
  await p.locator('.detection').first().getByRole('button', { name: 'Exclude here now' }).click();
  await p.getByRole('table', { name: 'Runtime exclusions' }).waitFor();
  await shot('waf-exclusions');
  // Operations: a dead upstream (one failed request), a webhook whose receiver answers 503
  await fetch(`${w.base}/gone/`);
  const rx = (await import('node:http')).createServer((_req, res) => {
    res.statusCode = 503;
    res.end();
  });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  const hook = await w.call('POST', '/api/admin/webhooks', { body: { topics: 'records.tasks.*', url: `http://127.0.0.1:${(rx.address() as { port: number }).port}/hook` } });
  await must(w.call('POST', '/api/collections/tasks/records', { body: { title: 'Ship the operations page', status: 'doing', points: 3 } }));
  for (let i = 0; i < 100 && ((await w.call('GET', `/api/admin/webhooks/${String(hook.body.id)}/deliveries`)).body.items as unknown[]).length === 0; i++) await p.waitForTimeout(100);
  rx.close();
  await p.goto(`${w.base}/_/#/ops/cache`);
  await p.getByRole('table', { name: 'Cache counters' }).waitFor();
  await shot('ops-cache');
  await p.goto(`${w.base}/_/#/ops/upstreams`);
  await p.locator('tr[data-target]').first().waitFor();
  await shot('ops-upstreams');
  await p.goto(`${w.base}/_/#/ops/webhooks`);
  await p.getByRole('button', { name: 'Deliveries' }).first().click();
  await p.getByRole('table', { name: 'Deliveries' }).waitFor();
  await shot('ops-webhooks');
  await p.goto(`${w.base}/_/#/ops/cron`);
  await p.locator('tr[data-cron]').first().waitFor();
  await shot('ops-cron');
  for (let i = 0; i < 4; i++) await fetch(`${w.base}/limited/x`);
  await p.goto(`${w.base}/_/#/ops/rate-limits`);
  await p.locator('tr[data-limited]').first().waitFor();
  await shot('ops-rate-limits');
  // Metrics: some traffic over a few refreshes (every 3 s), then the charts
  await p.goto(`${w.base}/_/#/metrics`);
  await p.locator('tr[data-family="records"]').waitFor();
  for (let i = 0; i < 40; i++) {
    await w.call('GET', '/api/collections/tasks/records');
    if (i % 3 === 0) await w.call('POST', '/api/collections/_superusers/auth/login', { body: { identity: ROOT_EMAIL, password: 'not the password' }, token: null });
    if (i % 5 === 0) await fetch(`${w.base}/gone/`);
    await p.waitForTimeout(300);
  }
  await shot('metrics');
  await p.goto(`${w.base}/_/#/logs/access`);
  await p.getByLabel('Status').fill('4xx');
  await p.getByRole('button', { name: 'Filter' }).click();
  await p.locator('tr[data-access]').first().waitFor();
  await shot('logs-access');
  await p.goto(`${w.base}/_/#/logs/audit`);
  await p.locator('tr[data-audit]').first().waitFor();
  await shot('logs-audit');
  await p.goto(`${w.base}/_/#/settings`);
  await p.getByLabel('Send a test mail to').fill('ops@example.com');
  await p.getByRole('button', { name: 'Send test mail' }).click();
  await p.getByRole('status').filter({ hasText: 'Test mail sent' }).waitFor();
  await shot('settings');
  await p.goto(`${w.base}/_/#/waf`);
  await p.locator('.detection').first().waitFor();
  await p.emulateMedia({ colorScheme: 'dark' });
  await p.setViewportSize({ width: 360, height: 740 });
  await p.reload();
  await p.locator('tbody tr').first().waitFor();
  await shot('records-360-dark');
} finally {
  await w.close();
}
