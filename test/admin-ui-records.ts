// Steps of admin-ui-scenarios.ts (so they run on SQLite and PostgreSQL) for the records table's tools and the
// collection editor's indexes: system collections listed read-only; the column chooser kept across a reload;
// a relation cell showing the related record; CSV and JSON export of the current filter and sort (quoting,
// the formula-injection apostrophe, more than one page); an index added and removed with its plan shown first.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { eventually, type AdminWorld } from './admin-ui-helpers.js';

const A = '/api/admin/collections';

async function downloaded(p: Page, button: string): Promise<string> {
  const [dl] = await Promise.all([p.waitForEvent('download'), p.getByRole('button', { name: button }).click()]);
  const path = await dl.path();
  assert.ok(path, 'the download was saved');
  return readFileSync(path, 'utf8');
}

export async function systemCollectionsScenario(w: AdminWorld): Promise<void> {
  const p = w.page;
  await p.goto(`${w.base}/_/#/collections`);
  for (const name of ['_superusers', 'users']) {
    const row = p.locator(`tr[data-collection="${name}"]`);
    await row.waitFor();
    assert.equal(await row.locator('td[data-col="source"]').innerText(), 'system (read-only)');
    assert.equal(await row.getByRole('link', { name: 'Edit' }).count(), 0, 'no Edit link, only View');
  }
  await p.locator('tr[data-collection="users"]').getByRole('link', { name: 'View' }).click();
  await p.getByText('A system collection: it cannot be changed or deleted here.').waitFor();
  assert.equal(await p.getByRole('button', { name: 'Delete collection…' }).count(), 0);
  assert.ok(await p.getByLabel('Name', { exact: true }).isDisabled());
}

export async function recordsToolsScenario(w: AdminWorld): Promise<void> {
  const made = await w.call('POST', A, { body: { name: 'links', fields: [{ name: 'label', type: 'text' }, { name: 'note', type: 'relation', collection: 'notes' }, { name: 'n', type: 'integer' }], rules: { list: '', view: '' } } });
  assert.equal(made.status, 201, made.text);
  const note = await w.call('POST', '/api/collections/notes/records', { body: { title: 'Alpha note' } });
  assert.equal(note.status, 201, note.text);
  const noteId = String(note.body.id);
  const add = async (body: Record<string, unknown>) => {
    const r = await w.call('POST', '/api/collections/links/records', { body });
    assert.equal(r.status, 201, r.text);
    return String(r.body.id);
  };
  // 60 records (n ≥ 100, outside the filter below) first: an unfiltered export spans two pages of 50
  const ops = Array.from({ length: 60 }, (_, i) => ({ action: 'create', collection: 'links', body: { label: `bulk ${String(i).padStart(2, '0')}`, n: 100 + i } }));
  const batch = await w.call('POST', '/api/batch', { body: { operations: ops } });
  assert.equal(batch.status, 200, batch.text);
  const l1 = await add({ label: '=SUM(A1:A2)', note: noteId, n: 3 });
  const l2 = await add({ label: 'say "hi", then\nleave', note: noteId, n: -5 });
  const l3 = await add({ label: '@cmd', n: 1 }); // the newest: on the first page (sorted by -created)

  const p = w.page;
  await p.goto(`${w.base}/_/#/records/links`);
  // the relation cell names the related record (expand), its id in the title
  const rel = p.locator(`tr[data-id="${l1}"] td[data-col="note"] .rel`);
  await rel.waitFor();
  assert.equal(await rel.innerText(), 'Alpha note');
  assert.equal(await rel.getAttribute('data-rel-id'), noteId);

  // column chooser: created is hidden by default; hide updated, and the choice outlives a reload
  assert.equal(await p.locator('th[data-col="created"]').count(), 0);
  await p.getByText('Columns', { exact: true }).click();
  await p.locator('input[name="col-updated"]').uncheck();
  await p.locator('th[data-col="updated"]').waitFor({ state: 'detached' });
  await p.reload();
  await p.locator(`tr[data-id="${l1}"]`).waitFor();
  assert.deepEqual(await p.locator('thead th[data-col]').evaluateAll((ths) => ths.map((t) => t.getAttribute('data-col'))), ['id', 'label', 'note', 'n']);
  assert.equal(await p.evaluate("localStorage.getItem('strata-admin:hidden-columns:links')"), '["created","updated"]');

  // export the current filter and sort: exactly the rows shown, quoted, formula-looking text defused
  await p.locator('#filter').fill('n <= 3');
  await p.getByRole('button', { name: 'Apply' }).click();
  await p.locator('tr[data-id]').nth(3).waitFor({ state: 'detached' });
  await p.getByRole('button', { name: /^label/ }).click();
  await p.locator('th[aria-sort="ascending"]', { hasText: 'label' }).waitFor();
  // the order is the database's (collations differ between engines): the one REST gives, once the table shows it
  const rest = await w.call('GET', `/api/collections/links/records?filter=${encodeURIComponent('n <= 3')}&sort=label`);
  const shownIds = (rest.body.items as Array<{ id: string }>).map((r) => r.id);
  assert.deepEqual([...shownIds].sort(), [l1, l2, l3].sort());
  await eventually(() => p.locator('tbody tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')!)), (ids) => ids.join() === shownIds.join());
  const csv = await downloaded(p, 'Export CSV');
  await p.getByText('Exported 3 record(s) as CSV.').waitFor();
  const line: Record<string, string> = {
    [l1]: `"${l1}","'=SUM(A1:A2)","${noteId}","3"`,
    [l2]: `"${l2}","say ""hi"", then\nleave","${noteId}","-5"`,
    [l3]: `"${l3}","'@cmd","","1"`,
  };
  assert.equal(csv, `\uFEFF"id","label","note","n"\r\n${shownIds.map((id) => `${line[id]}\r\n`).join('')}`);
  const json = JSON.parse(await downloaded(p, 'Export JSON')) as Array<Record<string, unknown>>;
  assert.deepEqual(json.map((r) => r.id), shownIds);
  assert.equal(json.find((r) => r.id === l1)?.label, '=SUM(A1:A2)', 'JSON keeps the value as stored');
  assert.ok(json.every((r) => !('expand' in r)));

  // without a filter the export pages past 50 (data.maxPerPage here) and keeps the sort
  await p.locator('#filter').fill('');
  await p.getByRole('button', { name: 'Apply' }).click();
  await p.getByText(/· 63 records/).waitFor();
  const all = JSON.parse(await downloaded(p, 'Export JSON')) as Array<{ id: string; label: string }>;
  assert.equal(all.length, 63);
  assert.equal(new Set(all.map((r) => r.id)).size, 63, 'no record twice');
  const page1 = await p.locator('tbody tr[data-id]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')!));
  assert.equal(page1.length, 50);
  assert.deepEqual(all.slice(0, 50).map((r) => r.id), page1, 'in the order of the table (sorted by label)');
}

export async function indexEditorScenario(w: AdminWorld): Promise<void> {
  const p = w.page;
  await p.goto(`${w.base}/_/#/collections/links/edit`);
  await p.getByRole('button', { name: 'Add index' }).click();
  const ix = p.locator('[data-index="0"]');
  await ix.getByLabel('Index fields (comma-separated)').fill('label,n');
  await ix.getByLabel('unique').check();
  const plan = p.getByRole('region', { name: 'Migration plan' });
  await plan.getByText('add unique index links(label, n)').waitFor();
  assert.equal(((await w.call('GET', `${A}/links`)).body.definition as { indexes?: unknown[] }).indexes?.length ?? 0, 0, 'the preview changed nothing');
  // a field that cannot be indexed is named beside the indexes
  await ix.getByLabel('Index fields (comma-separated)').fill('label,nope');
  await p.locator('#err-indexes').getByText('cannot index "nope"').waitFor();
  await ix.getByLabel('Index fields (comma-separated)').fill('label,n');
  await plan.getByText('add unique index links(label, n)').waitFor();
  await p.getByRole('button', { name: 'Apply changes' }).click();
  await p.getByRole('heading', { name: 'links', exact: true }).waitFor(); // the records page (the editor's is "Collection links")
  assert.deepEqual(((await w.call('GET', `${A}/links`)).body.definition as { indexes?: unknown[] }).indexes, [{ fields: ['label', 'n'], unique: true }]);
  const dup = await w.call('POST', '/api/collections/links/records', { body: { label: '@cmd', n: 1 } });
  assert.equal(dup.status, 409, `the unique index holds: ${dup.text}`);

  await p.goto(`${w.base}/_/#/collections/links/edit`);
  await p.getByRole('button', { name: 'Remove index label, n' }).click();
  await plan.getByText('drop unique index links(label, n)').waitFor();
  await p.getByRole('button', { name: 'Apply changes' }).click();
  await p.getByRole('heading', { name: 'links', exact: true }).waitFor(); // the records page (the editor's is "Collection links")
  assert.deepEqual(((await w.call('GET', `${A}/links`)).body.definition as { indexes?: unknown[] }).indexes, []);
}
