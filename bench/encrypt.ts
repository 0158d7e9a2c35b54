// Cost of field encryption at rest in the records service: get-by-id, list (perPage 50) and create on a
// collection with three `encrypted: true` text fields against the same collection in plaintext, on SQLite,
// in this one process (no HTTP: the difference is the AES-256-GCM work). Alternating rounds after a warm-up.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { createFieldCipher, loadFieldKeys } from '../src/crypto/index.js';
import { DataSchema, type DataConfig } from '../src/config/schema-data.js';
import { createDataLayer } from '../src/data/index.js';
import { median, progress, progressDone, writeResults, type BenchOptions } from './lib.js';

const ROWS = 10_000;
const fields = (encrypted: boolean) => ['a', 'b', 'c'].map((name) => ({ name, type: 'text' as const, encrypted }));

export async function run(o: BenchOptions): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'strata-bench-enc-'));
  const cipher = createFieldCipher(await loadFieldKeys({ keyFile: join(dir, 'keys.json') }));
  const data = createDataLayer({
    dataDir: dir,
    data: Value.Default(DataSchema, { schemaPollInterval: 0 }) as DataConfig,
    collections: [{ name: 'plain', fields: fields(false) }, { name: 'sealed', fields: fields(true) }],
    cipher,
  });
  await data.start();
  try {
    const ids: Record<string, string[]> = { plain: [], sealed: [] };
    for (const c of ['plain', 'sealed']) {
      progress(`seeding ${c}: ${ROWS} rows`);
      for (let i = 0; i < ROWS; i += 100) {
        const res = await data.records.batch(Array.from({ length: 100 }, (_, k) => ({ action: 'create' as const, collection: c, body: { a: `alpha ${i + k}`, b: 'b'.repeat(64), c: `gamma ${i + k}` } })));
        ids[c].push(...res.map((r) => String(r.body!.id)));
      }
    }
    const ops: Record<string, (c: string, i: number) => Promise<unknown>> = {
      'get by id': (c, i) => data.records.get(c, ids[c][(i * 7919) % ROWS]),
      'list 50': (c, i) => data.records.list(c, { perPage: 50, page: 1 + (i % 100) }),
      create: (c, i) => data.records.create(c, { a: `new ${i}`, b: 'b'.repeat(64), c: 'x' }),
    };
    const seconds = Math.max(1, o.seconds);
    const measure = async (op: string, c: string, ms: number) => {
      let n = 0;
      const end = performance.now() + ms;
      while (performance.now() < end) await ops[op](c, n++);
      return n / (ms / 1000);
    };
    const results: Array<Record<string, string | number>> = [];
    for (const op of Object.keys(ops)) {
      const runs: Record<string, number[]> = { plain: [], sealed: [] };
      for (let round = 0; round < o.rounds; round++) {
        for (const c of ['plain', 'sealed']) {
          progress(`${op}: ${c}, round ${round + 1}`);
          await measure(op, c, 300); // warm-up
          runs[c].push(await measure(op, c, seconds * 1000));
        }
      }
      const p = median(runs.plain);
      const s = median(runs.sealed);
      results.push({ operation: op, 'plain ops/s': Math.round(p), 'encrypted ops/s': Math.round(s), 'encrypted/plain': Number((s / p).toFixed(2)), spread: `${runs.sealed.map(Math.round).join(',')} vs ${runs.plain.map(Math.round).join(',')}` });
    }
    progressDone();
    console.table(results);
    console.log(`results: ${writeResults('encrypt', { rows: ROWS, fields: 3, seconds, rounds: o.rounds, results })}`);
  } finally {
    await data.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
