// The quota count of file fields in the data database (src/data/file-usage-store.ts) on SQLite,
// PostgreSQL and MySQL: concurrent admissions through two connections (two instances) never pass a
// limit together, a release counts once, a dropped file makes room, reconcile follows storage.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { fileUsageTables, openDatabase, sqlFileUsageStore, tableNames, type FileUsageStore } from '../src/data/index.js';
import { MYSQL_URL, PG_URL, uniquePrefix, unreachable } from './data-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-usage-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const engines: [string, string, false | string][] = [
  ['sqlite', `sqlite:${join(dir, 'usage.db')}`, false],
  ['postgres', PG_URL, await unreachable(5432)],
  ['mysql', MYSQL_URL, await unreachable(3306)],
];

test('the tables are named under the table prefix', () => {
  assert.deepEqual(fileUsageTables(tableNames('app_')), { usage: 'app__strata_file_usage', ledger: 'app__strata_file_ledger' });
});

for (const [name, url, skip] of engines) {
  describe(`file usage store: ${name}`, { skip }, () => {
    const names = tableNames(uniquePrefix());
    const opened: Awaited<ReturnType<typeof openDatabase>>[] = [];
    const stores: FileUsageStore[] = [];
    // Two connections stand for two instances. SQLite's driver is synchronous: a second connection in the same
    // process would block the thread the first one's transaction needs (its instances are processes), so it shares one.
    const open = async () => {
      const o = name === 'sqlite' && opened[0] ? opened[0] : await openDatabase({ url, dataDir: dir, poolSize: 4, busyTimeout: 5000 });
      if (!opened.includes(o)) opened.push(o);
      const s = sqlFileUsageStore(() => ({ db: o.db, dialect: o.dialect, names }));
      await s.ensure();
      stores.push(s);
      return s;
    };
    after(async () => {
      const t = fileUsageTables(names);
      if (opened[0]) for (const table of [t.usage, t.ledger]) await sql`DROP TABLE IF EXISTS ${sql.table(table)}`.execute(opened[0].db);
      for (const o of opened) await o.db.destroy();
    });

    const ledger = async () => (await opened[0]!.db.selectFrom(fileUsageTables(names).ledger).select('file_key').where('collection', '=', 'docs').execute()).map((r) => String(r.file_key)).sort();

    test('of concurrent admissions on two connections, exactly those that fit are counted', async () => {
      const [a, b] = [await open(), await open()];
      const limits = { maxBytes: 1000, maxFiles: 0 };
      const tries = Array.from({ length: 24 }, (_, i) => (i % 2 ? a : b).admit('docs', limits, [{ key: `docs/rec${i}/f_${i}.txt`, bytes: 100 }], []));
      const answers = await Promise.all(tries);
      assert.equal(answers.filter((r) => r.admitted).length, 10);
      assert.deepEqual(await a.usage('docs'), { bytes: 1000, files: 10 });
      const no = answers.find((r) => !r.admitted);
      assert.deepEqual(no, { admitted: false, used: { bytes: 1000, files: 10 }, over: 'bytes' });
      // A file count limit answers "files".
      assert.deepEqual(await a.admit('docs', { maxBytes: 0, maxFiles: 10 }, [{ key: 'docs/recx/x_1.txt', bytes: 1 }], []), { admitted: false, used: { bytes: 1000, files: 10 }, over: 'files' });
    });

    test('a release counts once, even from two connections at once; a dropped file makes room; extra is checked, not counted', async () => {
      const [a, b] = stores as [FileUsageStore, FileUsageStore];
      const limits = { maxBytes: 1000, maxFiles: 0 };
      const counted = await ledger();
      assert.equal(counted.length, 10);
      const four = counted.slice(0, 4);
      await Promise.all([a.release(four), b.release(four)]);
      const now = await a.usage('docs');
      assert.deepEqual(now, { bytes: 600, files: 6 });
      await a.release(['docs/nosuch/n_1.txt']);
      assert.deepEqual(await a.usage('docs'), now);
      // Replacing a counted file: its bytes are left out of the check.
      const full = 1000 - now.bytes;
      const fill = await a.admit('docs', limits, Array.from({ length: full / 100 }, (_, i) => ({ key: `docs/fill/g_${i}.txt`, bytes: 100 })), []);
      assert.equal(fill.admitted, true);
      assert.equal((await a.admit('docs', limits, [{ key: 'docs/fill/h_1.txt', bytes: 100 }], [])).admitted, false);
      assert.equal((await a.admit('docs', limits, [{ key: 'docs/fill/h_1.txt', bytes: 100 }], ['docs/fill/g_0.txt'])).admitted, true);
      assert.deepEqual(await a.usage('docs'), { bytes: 1100, files: 11 }, 'counted until the dropped file is deleted');
      await a.release(['docs/fill/g_0.txt']);
      assert.deepEqual(await a.usage('docs'), { bytes: 1000, files: 10 });
      assert.deepEqual((await b.admit('docs', limits, [], [], { bytes: 1, files: 1 })).admitted, false);
      assert.deepEqual((await b.admit('docs', limits, [], ['docs/fill/h_1.txt'], { bytes: 100, files: 1 })).admitted, true);
      assert.deepEqual(await a.usage('docs'), { bytes: 1000, files: 10 }, 'a check-only admission counts nothing');
    });

    test('reconcile releases counted keys storage no longer holds and adds settled ones it lacks', async () => {
      const [a] = stores as [FileUsageStore];
      const keys = ledger;
      const before = await keys();
      const stored = new Set(before.slice(1));
      const r = await a.reconcile('docs', new Set([...stored, 'docs/old/o_1.txt']), [{ key: 'docs/old/o_1.txt', bytes: 250 }]);
      assert.deepEqual(r, { released: 1, added: 1 });
      assert.deepEqual(await keys(), [...stored, 'docs/old/o_1.txt'].sort());
      assert.deepEqual(await a.usage('docs'), { bytes: 900 + 250, files: 10 });
      assert.deepEqual(await a.reconcile('docs', new Set([...stored, 'docs/old/o_1.txt']), []), { released: 0, added: 0 });
    });
  });
}
