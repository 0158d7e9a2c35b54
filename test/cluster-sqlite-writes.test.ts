// Two workers on one SQLite file (`serve --workers 2`): concurrent creates and updates from several
// clients never answer 500 (SQLITE_BUSY / SQLITE_BUSY_SNAPSHOT); every acknowledged update applied.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, fetch } from 'undici';
import { startStrata, tempDir } from './helpers/strata-process.js';

const yaml = `
dataDir: ./data
collections:
  - name: items
    fields: [{ name: n, type: integer }, { name: note, type: text }]
    rules: { list: "", view: "", create: "", update: "" }
`;

test('serve --workers 2 on SQLite: 8 clients doing POST then 3 PATCHes get no 500, and every update is applied', async () => {
  const cwd = tempDir();
  writeFileSync(join(cwd, 'strata.yaml'), yaml);
  const s = await startStrata({ cwd, args: ['serve', '--port', '0', '--no-https', '--workers', '2'], env: { STRATA_LOG_LEVEL: 'warn' } });
  // fresh connections spread the requests over both workers (each accepts from the shared socket)
  const agent = new Agent({ pipelining: 0, connections: 64 });
  const statuses = new Map<number, number>();
  const bad: string[] = [];
  const expected = new Map<string, number>();
  try {
    const send = async (method: string, path: string, body: unknown) => {
      const r = await fetch(`${s.http}${path}`, { method, headers: { 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify(body), dispatcher: agent });
      const text = await r.text();
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status >= 300 && bad.length < 5) bad.push(`${method} ${r.status} ${text.slice(0, 300)}`);
      return { status: r.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    };
    const client = async (c: number) => {
      for (let i = 0; i < 40; i++) {
        const created = await send('POST', '/api/collections/items/records', { n: 0, note: `c${c}-${i}` });
        if (created.status !== 201) continue;
        const id = String(created.body.id);
        for (let k = 1; k <= 3; k++) {
          const u = await send('PATCH', `/api/collections/items/records/${id}`, { n: k });
          if (u.status === 200) expected.set(id, k);
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, c) => client(c)));
    assert.deepEqual(bad, [], `answers other than 2xx: ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.equal(statuses.get(201), 320);
    assert.equal(statuses.get(200), 960);
    // every acknowledged update is what is stored
    for (const [id, n] of expected) {
      const r = await send('GET', `/api/collections/items/records/${id}`, undefined);
      assert.equal(r.body.n, n, `record ${id}`);
    }
  } finally {
    await agent.close();
    assert.equal(await s.stop('SIGTERM'), 0);
  }
});
