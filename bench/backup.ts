// Scenario backup: `strata backup` and `strata restore` (archive: online copy, tar, gzip, AES-256-GCM frames,
// checksums) beside the plain tools on the same data: `sqlite3 .backup` / `.restore` for SQLite, `pg_dump -Fc`
// / `pg_restore` for PostgreSQL. MB/s of the database size; rounds alternate.
// `npm run bench -- backup [sqlite] [pg] [mb=1024] [--rounds 2]`
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { createBackup, restoreBackup } from '../src/ops/index.js';
import { progress, progressDone, writeResults, type BenchOptions } from './lib.js';

const PG_URL = process.env.STRATA_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = { kind: 'key' as const, key: randomBytes(32) };

/** Rows of realistic, compressible records (text and JSON) until the file reaches `mb`. */
function fillSqlite(file: string, mb: number): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE posts (id TEXT PRIMARY KEY, created TEXT, title TEXT, body TEXT, meta TEXT, views INTEGER)');
  const ins = db.prepare('INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?)');
  const words = 'strata backup restore archive records events queue cache gateway realtime function field index'.split(' ');
  const text = (n: number) => Array.from({ length: n }, (_, i) => words[(i * 7 + n) % words.length]).join(' ');
  let i = 0;
  while (statSync(file).size < mb * 1024 * 1024) {
    db.transaction(() => {
      for (let k = 0; k < 5000; k++, i++) ins.run(randomBytes(10).toString('hex'), new Date(1_700_000_000_000 + i * 1000).toISOString(), `post ${i} ${text(6)}`, `${text(120)} ${randomBytes(16).toString('hex')}`, JSON.stringify({ i, tags: [words[i % 13], words[(i + 3) % 13]] }), i % 1000);
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
    progress(`filling data.db: ${(statSync(file).size / 1048576).toFixed(0)} / ${mb} MB`);
  }
  db.close();
  progressDone();
}

const secs = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

interface Row { engine: string; tool: string; op: string; mbPerSec: number; seconds: number; archiveMb: number }

async function sqliteRounds(mb: number, rounds: number): Promise<Row[]> {
  const root = mkdtempSync(join(tmpdir(), 'strata-bench-backup-'));
  const rows: Row[] = [];
  try {
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    fillSqlite(join(dataDir, 'data.db'), mb);
    const size = statSync(join(dataDir, 'data.db')).size / 1048576;
    for (let r = 0; r < rounds; r++) {
      progress(`sqlite round ${r + 1}/${rounds}: strata backup`);
      let t0 = process.hrtime.bigint();
      const made = await createBackup({ dataDir, data: { url: '', tablePrefix: '' } }, { outDir: join(root, `out${r}`), key: KEY, version: '0.0.0' });
      let s = secs(t0);
      rows.push({ engine: 'sqlite', tool: 'strata', op: 'backup', mbPerSec: size / s, seconds: s, archiveMb: made.bytes / 1048576 });
      progress(`sqlite round ${r + 1}/${rounds}: sqlite3 .backup`);
      const copy = join(root, `copy${r}.db`);
      t0 = process.hrtime.bigint();
      execFileSync('sqlite3', [join(dataDir, 'data.db'), `.backup '${copy}'`]);
      s = secs(t0);
      rows.push({ engine: 'sqlite', tool: 'sqlite3', op: 'backup', mbPerSec: size / s, seconds: s, archiveMb: statSync(copy).size / 1048576 });
      progress(`sqlite round ${r + 1}/${rounds}: strata restore`);
      t0 = process.hrtime.bigint();
      await restoreBackup(made.file, { dataDir: join(root, `restored${r}`), data: { url: '', tablePrefix: '' } }, { key: KEY, version: '0.0.0' });
      s = secs(t0);
      rows.push({ engine: 'sqlite', tool: 'strata', op: 'restore', mbPerSec: size / s, seconds: s, archiveMb: made.bytes / 1048576 });
      progress(`sqlite round ${r + 1}/${rounds}: sqlite3 .restore`);
      const back = join(root, `back${r}.db`);
      t0 = process.hrtime.bigint();
      execFileSync('sqlite3', [back, `.restore '${copy}'`]);
      s = secs(t0);
      rows.push({ engine: 'sqlite', tool: 'sqlite3', op: 'restore', mbPerSec: size / s, seconds: s, archiveMb: statSync(copy).size / 1048576 });
      for (const p of [`out${r}`, `copy${r}.db`, `restored${r}`, `back${r}.db`]) rmSync(join(root, p), { recursive: true, force: true });
    }
  } finally {
    progressDone();
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

async function pgRounds(mb: number, rounds: number): Promise<Row[]> {
  const root = mkdtempSync(join(tmpdir(), 'strata-bench-backup-pg-'));
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  const prefix = `bk${randomBytes(3).toString('hex')}_`;
  const rows: Row[] = [];
  const dbs: string[] = [];
  try {
    await admin.query(`CREATE TABLE ${prefix}posts (id text primary key, created text, title text, body text, meta jsonb, views bigint)`);
    let size = 0;
    for (let i = 0; size < mb; i += 20_000) {
      await admin.query(`INSERT INTO ${prefix}posts SELECT md5(g::text || random()::text), now()::text, 'post ' || g, repeat('strata backup restore archive ', 20) || md5(g::text), jsonb_build_object('i', g), g % 1000 FROM generate_series($1::int, $2::int) g`, [i, i + 19_999]);
      size = Number((await admin.query(`SELECT pg_total_relation_size('${prefix}posts') AS n`)).rows[0].n) / 1048576;
      progress(`filling ${prefix}posts: ${size.toFixed(0)} / ${mb} MB`);
    }
    const dataDir = join(root, 'data');
    mkdirSync(dataDir);
    const fresh = async () => {
      const name = `strata_bench_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${name}`);
      dbs.push(name);
      const u = new URL(PG_URL);
      u.pathname = `/${name}`;
      return u.toString();
    };
    for (let r = 0; r < rounds; r++) {
      progress(`pg round ${r + 1}/${rounds}: strata backup`);
      let t0 = process.hrtime.bigint();
      const made = await createBackup({ dataDir, data: { url: PG_URL, tablePrefix: prefix } }, { outDir: join(root, `out${r}`), key: KEY, version: '0.0.0' });
      let s = secs(t0);
      rows.push({ engine: 'postgres', tool: 'strata', op: 'backup', mbPerSec: size / s, seconds: s, archiveMb: made.bytes / 1048576 });
      progress(`pg round ${r + 1}/${rounds}: pg_dump -Fc`);
      const dump = join(root, `dump${r}`);
      t0 = process.hrtime.bigint();
      execFileSync('pg_dump', ['--format=custom', '--no-owner', '--table', `${prefix}*`, '--file', dump, '--dbname', PG_URL]);
      s = secs(t0);
      rows.push({ engine: 'postgres', tool: 'pg_dump', op: 'backup', mbPerSec: size / s, seconds: s, archiveMb: statSync(dump).size / 1048576 });
      progress(`pg round ${r + 1}/${rounds}: strata restore`);
      const target = await fresh();
      t0 = process.hrtime.bigint();
      await restoreBackup(made.file, { dataDir: join(root, `restored${r}`), data: { url: target, tablePrefix: prefix } }, { key: KEY, version: '0.0.0' });
      s = secs(t0);
      rows.push({ engine: 'postgres', tool: 'strata', op: 'restore', mbPerSec: size / s, seconds: s, archiveMb: made.bytes / 1048576 });
      progress(`pg round ${r + 1}/${rounds}: pg_restore`);
      const target2 = await fresh();
      t0 = process.hrtime.bigint();
      execFileSync('pg_restore', ['--no-owner', '--single-transaction', '--dbname', target2, dump]);
      s = secs(t0);
      rows.push({ engine: 'postgres', tool: 'pg_restore', op: 'restore', mbPerSec: size / s, seconds: s, archiveMb: statSync(dump).size / 1048576 });
    }
  } finally {
    progressDone();
    await admin.query(`DROP TABLE IF EXISTS ${prefix}posts`).catch(() => undefined);
    for (const d of dbs) await admin.query(`DROP DATABASE IF EXISTS ${d} WITH (FORCE)`).catch(() => undefined);
    await admin.end();
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

export async function run(o: BenchOptions): Promise<void> {
  const mb = Number(o.args.find((a) => a.startsWith('mb='))?.slice(3) ?? 1024);
  const parts = new Set(o.args.filter((a) => !a.startsWith('mb=')));
  if (parts.size === 0) parts.add('sqlite');
  if (spawnSync('sh', ['-c', 'command -v sqlite3']).status !== 0 && parts.has('sqlite')) throw new Error('sqlite3 is needed (apt-get install sqlite3)');
  console.log(`backup: ${mb} MB of records, ${o.rounds} rounds; Strata's archive is compressed, encrypted and checksummed, the peers' copies are not`);
  const rows = [...(parts.has('sqlite') ? await sqliteRounds(mb, o.rounds) : []), ...(parts.has('pg') ? await pgRounds(mb, o.rounds) : [])];
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const table: Record<string, string | number>[] = [];
  for (const engine of [...new Set(rows.map((r) => r.engine))]) {
    for (const op of ['backup', 'restore']) {
      const mine = rows.filter((r) => r.engine === engine && r.op === op && r.tool === 'strata');
      const peer = rows.filter((r) => r.engine === engine && r.op === op && r.tool !== 'strata');
      if (!mine.length || !peer.length) continue;
      const a = median(mine.map((r) => r.mbPerSec));
      const b = median(peer.map((r) => r.mbPerSec));
      table.push({ engine, op, peer: peer[0].tool, 'strata MB/s': Number(a.toFixed(1)), 'peer MB/s': Number(b.toFixed(1)), 'strata/peer': Number((a / b).toFixed(2)), 'archive MB': Number(mine[0].archiveMb.toFixed(1)), 'peer file MB': Number(peer[0].archiveMb.toFixed(1)) });
    }
  }
  console.table(table);
  writeResults('backup', { mb, rounds: o.rounds, rows, table });
}
