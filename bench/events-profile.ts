// A CPU profile of record creates with events on (or off): `node --cpu-prof --cpu-prof-dir DIR --import tsx bench/events-profile.ts on|off [seconds] [pg]`,
// then `node --import tsx bench/events-profile.ts --show DIR/*.cpuprofile` for the top self time.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { DataSchema, type DataConfig } from '../src/config/schema-data.js';
import { createDataLayer, dropAll, normalizeCollections, recordEventRelay } from '../src/data/index.js';
import { memoryBus } from '../src/messaging/index.js';
import { selfTimes } from './records-profile-lib.js';

const args = process.argv.slice(2);
if (args[0] === '--show') {
  const { busy, byFn, byArea } = selfTimes(args[1]);
  for (const [title, m] of [['area', byArea], ['function', byFn]] as const) {
    console.log(`-- self time by ${title}`);
    for (const [fn, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${((100 * t) / busy).toFixed(1).padStart(5)}%  ${fn}`);
  }
} else {
  const events = args[0] !== 'off';
  const seconds = Number(args[1] ?? 4);
  const url = args[2] === 'pg' ? (process.env.STRATA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test') : '';
  const dir = mkdtempSync(join(tmpdir(), 'strata-events-prof-'));
  const collections = [{ name: 'posts', fields: [{ name: 'title', type: 'text' as const }, { name: 'views', type: 'integer' as const }] }];
  const data = Value.Default(DataSchema, { url, tablePrefix: `bevp${process.pid}_`, events: { enabled: events } }) as DataConfig;
  const layer = createDataLayer({ dataDir: dir, data, collections });
  await layer.start();
  const bus = memoryBus();
  let seen = 0;
  await bus.subscribe('records.>', () => void seen++);
  const relay = recordEventRelay(layer, () => bus);
  await relay.start();
  let creates = 0;
  const until = performance.now() + seconds * 1000;
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (performance.now() < until) {
        await layer.records.create('posts', { title: `bench ${creates++}`, views: 7 });
        await new Promise((r) => setImmediate(r));
      }
    }),
  );
  await relay.drain();
  const cpu = process.cpuUsage(cpu0);
  console.log(`events ${events ? 'on' : 'off'}: ${creates} creates, ${seen} seen, ${((cpu.user + cpu.system) / creates).toFixed(1)} µs CPU/create`);
  if (process.env.SQLPROF) for (const [t, e] of [...((globalThis as any).__sqlprof as Map<string, { n: number; ns: bigint }>)].sort((a, b) => Number(b[1].ns - a[1].ns)).slice(0, 12)) console.log(`${(Number(e.ns) / 1000 / creates).toFixed(1).padStart(6)} µs/create  n=${e.n}  ${t.slice(0, 150)}`);
  await relay.stop();
  await bus.close();
  await dropAll(layer.db, { dialect: layer.dialect, names: layer.names }, normalizeCollections(collections));
  await layer.stop();
  rmSync(dir, { recursive: true, force: true });
}
