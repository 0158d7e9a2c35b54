// The admin UI end to end in headless Chromium against a real Strata, run on SQLite and on PostgreSQL
// (admin-ui-sqlite.test.ts, admin-ui-postgres.test.ts): serving (CSP, hashed immutable precompressed assets,
// JS budget), a failed login's message, a non-superuser getting nothing, creating a collection with several
// field types and a rule (inline rule error, plan preview), records added/edited/filtered/deleted and each
// change seen over REST, a second client's change appearing live, session end, and login with TOTP.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import * as OTPAuth from 'otpauth';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStrata, tempDir } from './helpers/strata-process.js';
import { WafExclusionSchema } from '../src/config/schema-waf.js';
import { usersScenario } from './admin-ui-users.js';
import { observeScenario } from './admin-ui-observe.js';
import { indexEditorScenario, recordsToolsScenario, systemCollectionsScenario } from './admin-ui-records.js';
import { chromiumMissing, DEAD_PORT, eventually, PASS, ROOT_EMAIL, startAdminWorld, uiSignIn, type AdminWorld } from './admin-ui-helpers.js';

const A = '/api/admin/collections';

/** The bytes as sent (fetch would decode the content coding). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, headers: h, body: Buffer.concat(chunks) });
      });
    })
      .on('error', reject)
      .end();
  });
}

export function adminUiSuite(name: string, data: () => { url: string; tablePrefix: string } | undefined, skip: string | false, cleanup?: () => Promise<void>): void {
  const missing = skip || chromiumMissing();
  describe(`admin UI (${name})`, { skip: missing || undefined }, () => {
    let w: AdminWorld;
    before(async () => {
      w = await startAdminWorld(data());
    });
    after(async () => {
      await w?.close();
      await cleanup?.();
    });

    test('served at /_/ with a strict CSP, no inline script, hashed immutable precompressed assets, ≤ 150 KB of compressed JS', async () => {
      const shell = await fetch(`${w.base}/_/`, { headers: { 'accept-encoding': 'identity' } });
      assert.equal(shell.status, 200);
      const csp = shell.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
      assert.equal(shell.headers.get('cache-control'), 'no-cache');
      const html = await shell.text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script');
      assert.doesNotMatch(html, /<style|style=/, 'no inline style');
      const assets = [...html.matchAll(/(?:src|href)="(\/_\/assets\/[^"]+)"/g)].map((m) => m[1]);
      assert.ok(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css')), html);
      let jsBytes = 0;
      for (const a of assets) {
        assert.match(a, /-[A-Z0-9]{8}\.(js|css)$/, 'content-hashed name');
        const br = await rawGet(w.base + a, { 'accept-encoding': 'gzip, br' });
        assert.equal(br.status, 200);
        assert.equal(br.headers.get('cache-control'), 'public, max-age=31536000, immutable');
        assert.equal(br.headers.get('content-encoding'), 'br');
        assert.equal(br.headers.get('vary'), 'Accept-Encoding');
        const compressed = br.body;
        const plain = await fetch(w.base + a, { headers: { 'accept-encoding': 'identity' } });
        assert.equal(plain.headers.get('content-encoding'), null);
        assert.deepEqual(brotliDecompressSync(compressed), Buffer.from(await plain.arrayBuffer()), 'the br body is the file');
        if (a.endsWith('.js')) jsBytes += compressed.length;
        const gz = await rawGet(w.base + a, { 'accept-encoding': 'gzip' });
        assert.equal(gz.headers.get('content-encoding'), 'gzip');
        assert.deepEqual(gunzipSync(gz.body), brotliDecompressSync(compressed));
        const again = await fetch(w.base + a, { headers: { 'if-none-match': br.headers.get('etag')! } });
        assert.equal(again.status, 304);
      }
      assert.ok(jsBytes > 0 && jsBytes <= 150 * 1024, `first load JS ${jsBytes} B compressed`);
      const bare = await fetch(`${w.base}/_?from=bookmark`, { redirect: 'manual' });
      assert.equal(bare.status, 301, '/_ without the slash');
      assert.equal(bare.headers.get('location'), '/_/?from=bookmark');
      const missingAsset = await w.call('GET', '/_/assets/nope-AAAAAAAA.js', { token: null });
      assert.equal(missingAsset.status, 404);
      assert.match(String(missingAsset.headers.get('content-type')), /^application\/problem\+json/);
    });

    test('a failed login (typed from the keyboard alone) shows a clear message and is audited like the API', async () => {
      await w.page.goto(`${w.base}/_/`);
      await w.page.getByLabel('Email').waitFor();
      await w.page.keyboard.type(ROOT_EMAIL); // the email field has the focus on load
      await w.page.keyboard.press('Tab');
      await w.page.keyboard.type('not the password at all');
      await w.page.keyboard.press('Enter');
      const err = w.page.locator('#login-error');
      await err.waitFor();
      assert.match(await err.innerText(), /Sign-in failed: the email or password is wrong/);
      const audit = await w.call('GET', '/api/admin/audit?action=auth.login.failure');
      assert.equal(audit.status, 200, audit.text);
      assert.ok((audit.body.items as Array<{ target?: string }>).some((e) => String(e.target).startsWith('_superusers/')), audit.text);
    });

    test('a non-superuser gets nothing: their password fails at the form, their session sees only the login', async () => {
      const su = await w.call('POST', '/api/collections/users/records', { body: { email: 'member@example.com', password: PASS, passwordConfirm: PASS }, token: null });
      assert.equal(su.status, 201, su.text);
      await uiSignIn(w.page, w.base, 'member@example.com', PASS);
      await w.page.locator('#login-error').waitFor();
      assert.match(await w.page.locator('#login-error').innerText(), /not a superuser/);
      // With a member's own session cookie, the UI shows the login form and the admin API refuses the page.
      const session = await w.call('POST', '/api/collections/users/auth/login', { body: { identity: 'member@example.com', password: PASS, mode: 'session' }, token: null });
      assert.equal(session.status, 200, session.text);
      const [pair] = session.headers.getSetCookie()[0].split(';');
      const eq = pair.indexOf('=');
      await w.ctx.addCookies([{ name: pair.slice(0, eq), value: pair.slice(eq + 1), url: w.base, httpOnly: true, sameSite: 'Lax' }]);
      await w.page.goto(`${w.base}/_/#/collections`);
      await w.page.getByRole('button', { name: 'Sign in' }).waitFor();
      assert.equal(await w.page.getByRole('heading', { name: 'Collections' }).count(), 0);
      const status = await w.page.evaluate(async () => (await fetch('/api/admin/collections')).status);
      assert.equal(status, 403);
      await w.ctx.clearCookies();
    });

    test('create a collection with several field types and a rule: the bad rule is shown inline, the plan before it is applied', async () => {
      const p = w.page;
      await uiSignIn(p, w.base, ROOT_EMAIL, PASS);
      await p.getByRole('heading', { name: 'Collections' }).waitFor();
      await p.getByRole('link', { name: 'New collection' }).click();
      await p.getByLabel('Name', { exact: true }).fill('notes');
      const addField = async (i: number, fname: string, type: string) => {
        await p.getByRole('button', { name: 'Add field' }).click();
        const row = p.locator(`[data-field="${i}"]`);
        await row.getByLabel('Field name').fill(fname);
        await row.getByLabel('Field type').selectOption(type);
        return row;
      };
      await p.locator('[data-field="0"]').getByLabel('required').check();
      await addField(1, 'stars', 'integer');
      await addField(2, 'done', 'boolean');
      const tag = await addField(3, 'tag', 'select');
      await tag.getByLabel('Values (comma-separated)').fill('red,green');
      await addField(4, 'meta', 'json');
      await addField(5, 'due', 'date');
      for (const op of ['list', 'view', 'update', 'delete']) await p.getByLabel(`${op} rule locked (superusers only)`).uncheck();
      await p.getByLabel('create rule locked (superusers only)').uncheck();
      await p.locator('input[name="rule-create"]').fill('nosuchfield = 1');
      const ruleErr = p.locator('#err-rule-create');
      await ruleErr.waitFor();
      assert.match(await ruleErr.innerText(), /nosuchfield/);
      assert.ok(await p.getByRole('button', { name: 'Create collection' }).isDisabled(), 'nothing to apply while the rule is wrong');
      await p.locator('input[name="rule-create"]').fill("title != ''");
      await ruleErr.waitFor({ state: 'detached' });
      const plan = p.getByRole('region', { name: 'Migration plan' });
      await plan.getByText('create collection notes').waitFor();
      assert.equal((await w.call('GET', `${A}/notes`)).status, 404, 'the preview changed nothing');
      await p.getByRole('button', { name: 'Create collection' }).click();
      await p.getByRole('heading', { name: 'notes' }).waitFor();
      const got = await w.call('GET', `${A}/notes`);
      assert.equal(got.status, 200, got.text);
      const d = got.body.definition as { fields: Array<{ name: string; type: string; required?: boolean; values?: string[] }>; rules: Record<string, string | null> };
      assert.deepEqual(d.fields.map((f) => [f.name, f.type]), [['title', 'text'], ['stars', 'integer'], ['done', 'boolean'], ['tag', 'select'], ['meta', 'json'], ['due', 'date']]);
      assert.equal(d.fields[0].required, true);
      assert.deepEqual(d.fields[3].values, ['red', 'green']);
      assert.equal(d.rules.create, "title != ''");
      assert.equal(d.rules.list, '');
      // the rule works over REST at once
      assert.equal((await w.call('POST', '/api/collections/notes/records', { body: { title: '' }, token: null })).status, 400);
    });

    test('records: add, edit, filter (syntax error shown), sort and delete, each seen over REST; a second client\'s change appears live', async () => {
      const p = w.page;
      await p.goto(`${w.base}/_/#/records/notes`);
      await p.getByText('Live', { exact: true }).waitFor();
      await p.getByRole('button', { name: 'New record' }).click();
      await p.locator('#rf-title').fill('first');
      await p.locator('#rf-stars').fill('3');
      await p.locator('#rf-done').check();
      await p.locator('#rf-tag').selectOption('green');
      await p.locator('#rf-meta').fill('{"k": [1, 2]}');
      await p.locator('#rf-due').fill('2026-03-04T05:06');
      await p.getByRole('button', { name: 'Create', exact: true }).click();
      const firstRow = p.locator('tr', { hasText: 'first' });
      await firstRow.waitFor();
      const list = async () => ((await w.call('GET', '/api/collections/notes/records?sort=created')).body.items as Array<Record<string, unknown>>) ?? [];
      const [made] = await list();
      assert.deepEqual({ title: made.title, stars: made.stars, done: made.done, tag: made.tag, meta: made.meta }, { title: 'first', stars: 3, done: true, tag: 'green', meta: { k: [1, 2] } });
      assert.match(String(made.due), /^2026-03-04T05:06:00(\.000)?Z$/);

      // a validation error from the server appears beside its field
      await p.getByRole('button', { name: 'New record' }).click();
      await p.locator('#rf-title').fill('bad stars');
      await p.locator('#rf-stars').fill('1.5');
      await p.getByRole('button', { name: 'Create', exact: true }).click();
      await p.locator('#err-rf-stars').waitFor();
      await p.getByRole('button', { name: 'Cancel' }).click();

      await firstRow.getByRole('button', { name: 'Edit' }).click();
      await p.locator('#rf-title').fill('first edited');
      await p.getByRole('button', { name: 'Save' }).click();
      await p.locator('tr', { hasText: 'first edited' }).waitFor();
      assert.equal((await list())[0].title, 'first edited');

      // another client writes over REST: the row appears without a reload
      const other = await w.call('POST', '/api/collections/notes/records', { body: { title: 'from another client', stars: 1 } });
      assert.equal(other.status, 201, other.text);
      await p.locator('tr', { hasText: 'from another client' }).waitFor();

      await p.locator('#filter').fill("title = 'first edited' &&");
      await p.getByRole('button', { name: 'Apply' }).click();
      const ferr = p.locator('#filter-error');
      await ferr.waitFor();
      assert.match(await ferr.innerText(), /Invalid filter: .* at position \d+/);
      assert.match(await ferr.locator('pre.caret').innerText(), /\^$/);
      await p.locator('#filter').fill('stars > 2');
      await p.getByRole('button', { name: 'Apply' }).click();
      await ferr.waitFor({ state: 'detached' });
      await p.locator('tr', { hasText: 'from another client' }).waitFor({ state: 'detached' });
      assert.equal(await p.locator('tbody tr').count(), 1);
      await p.locator('#filter').fill('');
      await p.getByRole('button', { name: 'Apply' }).click();
      await p.locator('tr', { hasText: 'from another client' }).waitFor();

      await p.getByRole('button', { name: /^stars/ }).click();
      await p.locator('th[aria-sort="ascending"]', { hasText: 'stars' }).waitFor();
      const titles = async () => p.locator('tbody td[data-col="title"]').allInnerTexts();
      await eventually(titles, (t) => t[0] === 'from another client');
      await p.getByRole('button', { name: /^stars/ }).click();
      await eventually(titles, (t) => t[0] === 'first edited');

      const otherId = String(other.body.id);
      const row = p.locator(`tr[data-id="${otherId}"]`);
      await row.getByRole('button', { name: 'Delete' }).click();
      await row.getByRole('button', { name: 'Confirm delete' }).click();
      await row.waitFor({ state: 'detached' });
      assert.equal((await w.call('GET', `/api/collections/notes/records/${otherId}`)).status, 404);

      // a delete by another client disappears live too
      const firstId = String((await list())[0].id);
      assert.equal((await w.call('DELETE', `/api/collections/notes/records/${firstId}`)).status, 204);
      await p.locator(`tr[data-id="${firstId}"]`).waitFor({ state: 'detached' });
    });

    test('works at 360 px wide in dark mode: no page-wide horizontal scroll (wide tables scroll in their own box)', async () => {
      const p = w.page;
      assert.equal((await w.call('POST', '/api/collections/notes/records', { body: { title: 'a long enough title to make the table wider than a phone', stars: 9, meta: { deep: { nested: [1, 2, 3] } } } })).status, 201);
      await p.emulateMedia({ colorScheme: 'dark' });
      await p.setViewportSize({ width: 360, height: 740 });
      try {
        for (const hash of ['#/collections', '#/records/notes', '#/collections/notes/edit', '#/metrics', '#/logs', '#/settings']) {
          await p.goto(`${w.base}/_/${hash}`);
          await p.reload();
          await p.locator('h1').first().waitFor();
          if (hash === '#/records/notes') await p.locator('tbody tr').first().waitFor();
          const width = await p.evaluate('document.documentElement.scrollWidth');
          assert.equal(width, 360, `${hash} is ${width}px wide`);
        }
        const bg = await p.evaluate('getComputedStyle(document.body).backgroundColor');
        assert.equal(bg, 'rgb(13, 17, 23)', 'the dark palette applies');
      } finally {
        await p.emulateMedia({ colorScheme: 'light' });
        await p.setViewportSize({ width: 1280, height: 720 });
      }
    });

    test('system collections are listed read-only; records: relation cells, the column chooser (kept on reload), CSV and JSON export of the filter and sort', async () => {
      await systemCollectionsScenario(w);
      await recordsToolsScenario(w);
    });

    test('indexes: one added (its plan shown first, a bad field named) and removed in the collection editor', () => indexEditorScenario(w));

    test('queues: counts per state; a dead-letter job is retried from its row (and runs), another deleted', async () => {
      for (const n of [1, 2]) assert.equal((await w.call('POST', '/api/admin/queues/flaky/jobs', { body: { payload: { n } } })).status, 201);
      await eventually(() => w.call('GET', '/api/admin/queues/flaky'), (r) => r.body.dead === 2);
      const p = w.page;
      await p.goto(`${w.base}/_/#/collections`);
      await p.getByRole('link', { name: 'Queues' }).click();
      const row = p.locator('tr[data-queue="flaky"]');
      await row.waitFor();
      assert.equal(await row.locator('td[data-col="dead"]').innerText(), '2');
      await row.getByRole('link', { name: 'flaky' }).click();
      const dead = p.locator('tr[data-job]');
      await dead.nth(1).waitFor();
      assert.match(await dead.first().innerText(), /first delivery fails/);
      const [retryId, deleteId] = await dead.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')!));
      await p.locator(`tr[data-job="${retryId}"]`).getByRole('button', { name: 'Retry' }).click();
      await p.getByText('1 job(s) sent back to the queue.').waitFor();
      await p.locator(`tr[data-job="${deleteId}"]`).getByRole('button', { name: 'Delete' }).click();
      await p.getByText('1 job(s) deleted.').waitFor();
      await p.locator('tr[data-job]').first().waitFor({ state: 'detached' });
      // the retried job ran (its second delivery succeeds) and the deleted one is gone
      const done = await eventually(() => w.call('GET', '/api/admin/queues/flaky'), (r) => r.body.waiting === 0 && r.body.active === 0 && r.body.delayed === 0);
      assert.equal(done.body.dead, 0);
    });

    test('WAF events: a blocked request is listed with its rule and where it matched; its exclusion is a valid strata.yaml entry for just that, and one click adds it at run time (then removed)', async () => {
      const blocked = await w.call('GET', `/api/collections/notes/records?q=${encodeURIComponent("1' OR '1'='1' UNION SELECT password FROM users--")}`, { token: null });
      assert.equal(blocked.status, 403, blocked.text);
      const eventId = String(blocked.body.eventId);
      const p = w.page;
      await p.goto(`${w.base}/_/#/collections`);
      await p.getByRole('link', { name: 'WAF events' }).click();
      const row = p.locator(`tr[data-event="${eventId}"]`);
      await row.waitFor();
      assert.match(await row.innerText(), /blocked/);
      assert.match(await row.innerText(), /GET \/api\/collections\/notes\/records/);
      const det = row.locator('.detection').first();
      const rule = String(await det.getAttribute('data-rule'));
      assert.match(await det.innerText(), /query:q/);
      assert.match(await det.innerText(), /UNION SELECT/, 'the excerpt of a query finding');
      await det.getByRole('button', { name: 'Exclusion' }).click();
      const text = await det.getByLabel('Exclusion for strata.yaml').innerText();
      const entry = (parseYaml(text) as { waf: { exclusions: unknown[] } }).waf.exclusions[0];
      assert.ok(Value.Check(WafExclusionSchema, Value.Default(WafExclusionSchema, structuredClone(entry))), text); // as config loading fills defaults
      assert.deepEqual(entry, { route: '/api/collections/:collection/records', methods: ['GET'], parameter: 'query:q', rules: [rule] });

      // The entries of every detection of the event, in a strata.yaml, let exactly that request through.
      const entries: unknown[] = [];
      const dets = row.locator('.detection');
      for (let i = 0; i < (await dets.count()); i++) {
        const d = dets.nth(i);
        if ((await d.getByLabel('Exclusion for strata.yaml').count()) === 0) await d.getByRole('button', { name: 'Exclusion' }).click();
        entries.push(...(parseYaml(await d.getByLabel('Exclusion for strata.yaml').innerText()) as { waf: { exclusions: unknown[] } }).waf.exclusions);
      }
      const dir = tempDir('strata-admin-ui-waf-');
      writeFileSync(join(dir, 'strata.yaml'), stringifyYaml({ waf: { exclusions: entries } }));
      const other = await startStrata({ cwd: dir, args: ['serve', '--port', '0', '--no-https', '--data-dir', join(dir, 'data')] });
      try {
        const q = encodeURIComponent("1' OR '1'='1' UNION SELECT password FROM users--");
        const typeOf = async (r: Response) => String(((await r.json()) as { type?: string }).type);
        const passed = await fetch(`${other.http}/api/collections/users/records?q=${q}`);
        assert.notEqual(await typeOf(passed), 'strata/waf-blocked', 'the excluded rules no longer block this request');
        const elsewhere = await fetch(`${other.http}/api/collections/users/records?filter2=${q}`);
        assert.equal(elsewhere.status, 403);
        assert.equal(await typeOf(elsewhere), 'strata/waf-blocked', 'the same value in another parameter is still blocked');
      } finally {
        await other.stop();
        rmSync(dir, { recursive: true, force: true });
      }

      // One click per detection adds the same exclusions at run time: the request passes at once on this server.
      const q = encodeURIComponent("1' OR '1'='1' UNION SELECT password FROM users--");
      for (let i = 0; i < (await dets.count()); i++) {
        const d = dets.nth(i);
        if ((await d.getByRole('button', { name: 'Exclude here now' }).count()) === 0) await d.getByRole('button', { name: 'Exclusion' }).click();
        await d.getByRole('button', { name: 'Exclude here now' }).click();
        await p.getByRole('status').filter({ hasText: `Exclusion added: rule ${await d.getAttribute('data-rule')} no longer counts at GET /api/collections/:collection/records · query:q` }).waitFor();
      }
      const added = p.getByRole('table', { name: 'Runtime exclusions' }).locator('tr[data-exclusion]');
      const detCount = await dets.count();
      await eventually(() => added.count(), (n) => n === detCount);
      assert.notEqual((await w.call('GET', `/api/collections/notes/records?q=${q}`, { token: null })).body.type, 'strata/waf-blocked', 'passes without a restart');
      assert.equal((await w.call('GET', `/api/collections/notes/records?filter2=${q}`, { token: null })).status, 403, 'another parameter is still inspected');
      // removed one by one from the list: blocked again
      while ((await added.count()) > 0) {
        const before = await added.count();
        await added.first().getByRole('button', { name: 'Remove' }).click();
        await eventually(() => added.count(), (n) => n < before);
      }
      assert.equal((await w.call('GET', `/api/collections/notes/records?q=${q}`, { token: null })).status, 403, 'blocked again once removed');
    });

    test('operations: cache counters and a purge, an upstream down after a failed request, a webhook and its failed delivery attempts, a cron job and its next run, a client being rate limited', async () => {
      // a receiver that answers 503: every delivery attempt fails (and is retried)
      const rx = createHttpServer((_req, res) => {
        res.statusCode = 503;
        res.end();
      }).listen(0, '127.0.0.1');
      await new Promise((r) => rx.once('listening', r));
      try {
        const url = `http://127.0.0.1:${(rx.address() as { port: number }).port}/hook`;
        const made = await w.call('POST', A, { body: { name: 'pings', fields: [{ name: 'n', type: 'text' }] } });
        assert.equal(made.status, 201, made.text);
        // (WAF) a block in a record field: one click excludes its rule on that field, on every records route
        const xss = '<script>alert(document.cookie)</script>';
        const fieldBlock = await w.call('POST', '/api/collections/pings/records', { body: { n: xss } });
        assert.equal(fieldBlock.status, 403, fieldBlock.text);
        const wp = w.page;
        // (through the link: the page may already show #/waf, and a goto to the same hash would not reload the list)
        await wp.goto(`${w.base}/_/#/collections`);
        await wp.getByRole('link', { name: 'WAF events' }).click();
        const fieldRow = wp.locator(`tr[data-event="${String(fieldBlock.body.eventId)}"]`);
        await fieldRow.waitFor();
        const fieldDets = fieldRow.locator('.detection').filter({ hasText: '(pings.n)' });
        assert.ok((await fieldDets.count()) > 0, await fieldRow.innerText());
        for (let i = 0; i < (await fieldDets.count()); i++) {
          const d = fieldDets.nth(i);
          await d.getByRole('button', { name: 'Exclusion' }).click();
          await d.getByRole('button', { name: 'Exclude on pings.n now' }).click();
          await wp.getByRole('status').filter({ hasText: `Exclusion added: rule ${await d.getAttribute('data-rule')} no longer counts at field pings.n` }).waitFor();
        }
        assert.equal((await w.call('POST', '/api/collections/pings/records', { body: { n: xss } })).status, 201, 'the field takes it now');
        for (const x of (await w.call('GET', '/api/admin/waf/exclusions')).body.items as Array<{ id: string }>) await w.call('DELETE', `/api/admin/waf/exclusions/${x.id}`);

        const hook = await w.call('POST', '/api/admin/webhooks', { body: { topics: 'records.pings.*', url } });
        assert.equal(hook.status, 201, hook.text);
        assert.equal((await w.call('POST', '/api/collections/pings/records', { body: { n: 'x' } })).status, 201);
        await eventually(() => w.call('GET', `/api/admin/webhooks/${String(hook.body.id)}/deliveries`), (r) => (r.body.items as unknown[]).length > 0);
        assert.equal((await fetch(`${w.base}/gone/`)).status, 502);

        const p = w.page;
        await p.goto(`${w.base}/_/#/collections`);
        await p.getByRole('link', { name: 'Operations' }).click();
        await p.getByRole('heading', { name: 'Application cache (memory)' }).waitFor();
        await p.getByRole('table', { name: 'Cache counters' }).locator('tr[data-tier="all"]').waitFor();
        await p.getByLabel('Keys (space or comma separated)').fill('no-such-key');
        await p.getByRole('button', { name: 'Purge keys and tags' }).click();
        await p.getByRole('status').filter({ hasText: 'Purged: 0 key(s) deleted, 0 tag(s) invalidated.' }).waitFor();
        // a relative URL needs a host (responses are keyed by host): the API's message is shown
        await p.getByLabel('URLs', { exact: true }).fill('/page');
        await p.getByRole('button', { name: 'Purge responses' }).click();
        await p.getByRole('alert').filter({ hasText: 'need a `host`' }).waitFor();
        await p.getByLabel('Host (for relative URLs and prefixes)').fill('example.com');
        await p.getByRole('button', { name: 'Purge responses' }).click();
        await p.getByRole('status').filter({ hasText: 'Gateway cache: 0 response(s) purged.' }).waitFor();

        await p.getByRole('link', { name: 'Gateway upstreams' }).click();
        const target = p.locator(`tr[data-target="http://127.0.0.1:${DEAD_PORT}"]`);
        await target.waitFor();
        assert.match(await target.innerText(), /down/);

        await p.getByRole('link', { name: 'Webhooks' }).click();
        const row = p.locator(`tr[data-webhook="${String(hook.body.id)}"]`);
        await row.getByRole('button', { name: 'Deliveries' }).click();
        const attempt = p.getByRole('table', { name: 'Deliveries' }).locator('tr[data-attempt="1"]');
        await attempt.waitFor();
        assert.match(await attempt.innerText(), /503/);
        await w.call('DELETE', `/api/admin/webhooks/${String(hook.body.id)}`);

        await p.getByRole('link', { name: 'Cron jobs' }).click();
        const cron = p.locator('tr[data-cron="nightly-report"]');
        await cron.waitFor();
        assert.match(await cron.innerText(), /0 3 \* \* \* \(Europe\/Paris\)/);
        assert.match(await cron.innerText(), /not run yet/);
        const next = (await w.call('GET', '/api/admin/cron')).body.items as Array<{ name: string; next: string }>;
        const nextRun = String(next.find((c) => c.name === 'nightly-report')?.next);
        assert.ok((await cron.innerText()).includes(nextRun), `${nextRun} in ${await cron.innerText()}`);

        for (let i = 0; i < 3; i++) await fetch(`${w.base}/limited/x`).then((r) => r.arrayBuffer());
        await p.getByRole('link', { name: 'Rate limits' }).click();
        const limited = p.getByRole('table', { name: 'Limited now' }).locator('tr[data-limited="ip:127.0.0.1"]');
        await limited.waitFor();
        assert.match(await limited.innerText(), /demo\s+ip:127\.0\.0\.1\s+2\s/);
      } finally {
        rx.close();
      }
    });

    test('metrics, logs and settings: live figures per route family, an access line found by status and path, the audit log by action, a test mail sent', () => observeScenario(w));

    test('users: search an auth collection, open an account, verify it, disable its MFA, revoke its API key and sessions (each seen by the account)', () => usersScenario(w));

    test('when the session ends elsewhere the UI returns to the login form and says why; sign out works', async () => {
      const p = w.page;
      await p.goto(`${w.base}/_/#/collections`);
      await p.getByRole('heading', { name: 'Collections' }).waitFor();
      await p.getByRole('button', { name: 'Sign out' }).click();
      await p.getByText('You are signed out.').waitFor();
      const status = await p.evaluate(async () => (await fetch('/api/admin/collections')).status);
      assert.equal(status, 401, 'the cookie no longer opens the admin API');
      await uiSignIn(p, w.base, ROOT_EMAIL, PASS);
      await p.getByRole('heading', { name: 'Collections' }).waitFor();
      // every session of the account revoked from another client (as an idle timeout would end it)
      const all = await w.call('POST', '/api/collections/_superusers/auth/logout-all', { body: {} });
      assert.ok(all.status < 300, all.text);
      await w.relogin(); // the bearer token of the REST client ended too
      await p.getByRole('link', { name: 'notes' }).first().click();
      await p.getByText('Your session has ended').waitFor();
      await p.getByRole('button', { name: 'Sign in' }).waitFor();
    });

    test('login with TOTP: the code step follows the password; a wrong code says so', async () => {
      const email = 'totp@example.com';
      const made = await w.call('POST', '/api/collections/_superusers/records', { body: { email, password: PASS, passwordConfirm: PASS } });
      assert.equal(made.status, 201, made.text);
      const tok = String((await w.call('POST', '/api/collections/_superusers/auth/login', { body: { identity: email, password: PASS }, token: null })).body.token);
      const enrol = await w.call('POST', '/api/collections/_superusers/auth/mfa/totp', { body: {}, token: tok });
      assert.equal(enrol.status, 200, enrol.text);
      const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(String(enrol.body.secret)), digits: 6, period: 30 });
      const confirm = await w.call('POST', '/api/collections/_superusers/auth/mfa/totp/confirm', { body: { code: totp.generate() }, token: tok });
      assert.equal(confirm.status, 200, confirm.text);
      const p = w.page;
      await uiSignIn(p, w.base, email, PASS);
      await p.getByLabel('Authenticator code (or a recovery code)').fill('000000');
      await p.getByRole('button', { name: 'Verify' }).click();
      await p.locator('#login-error').waitFor();
      assert.match(await p.locator('#login-error').innerText(), /code is not valid/);
      await p.getByLabel('Email').fill(email);
      await p.getByLabel('Password').fill(PASS);
      await p.getByRole('button', { name: 'Sign in' }).click();
      // the next time step: the one used to confirm may not be used again (replay defence)
      await p.getByLabel('Authenticator code (or a recovery code)').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
      await p.getByRole('button', { name: 'Verify' }).click();
      await p.getByRole('heading', { name: 'Collections' }).waitFor();
      assert.equal(await p.locator('.who').innerText(), email);
    });

    test('no page the tests visited broke the Content-Security-Policy', () => {
      assert.deepEqual(w.cspViolations, []);
    });
  });
}
