// Consistent copies of Strata's databases for backups, taken while the server writes: SQLite files through
// SQLite's online backup API (one consistent copy per file), PostgreSQL through pg_dump inside an exported
// snapshot (the row counts read in the same snapshot as the dump). And their way back into a fresh place.
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export class BackupEngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupEngineError';
  }
}

/** Row counts per table, keyed `<file or engine>:<table>`. */
export type TableCounts = Record<string, number>;

/** The SQLite files of a data directory (`data.db`, `queues.db`, ...), not their -wal/-shm companions. */
export async function sqliteFilesIn(dataDir: string): Promise<string[]> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const n of names.sort()) {
    if (!n.endsWith('.db')) continue;
    if ((await stat(join(dataDir, n))).isFile()) out.push(n);
  }
  return out;
}

function countTables(db: Database.Database, key: string, counts: TableCounts): void {
  const tables = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`).all() as { name: string }[];
  for (const { name } of tables) {
    // FTS5 shadow tables are counted through their owner; virtual tables are skipped by name check below.
    const row = db.prepare(`SELECT COUNT(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number } | undefined;
    counts[`${key}:${name}`] = Number(row?.n ?? 0);
  }
}

/**
 * Copies one SQLite file with the online backup API (other connections keep writing) to `dest`, and
 * counts the rows of each table in the copy.
 */
export async function backupSqliteFile(src: string, dest: string, key: string, counts: TableCounts, onProgress?: (done: number, total: number) => void): Promise<void> {
  const db = new Database(src, { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    const r = await db.backup(dest, {
      progress: ({ totalPages, remainingPages }) => {
        onProgress?.(totalPages - remainingPages, totalPages);
        return 4096;
      },
    });
    onProgress?.(r.totalPages, r.totalPages);
  } finally {
    db.close();
  }
  const copy = new Database(dest, { readonly: true, fileMustExist: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupEngineError(`the copy of ${key} fails SQLite's check: ${String(check)}`);
    countTables(copy, key, counts);
  } finally {
    copy.close();
  }
}

/** Row counts of a SQLite file (a restored copy, to compare with the manifest). */
export function countSqliteFile(file: string, key: string): TableCounts {
  const counts: TableCounts = {};
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupEngineError(`${key} fails SQLite's check: ${String(check)}`);
    countTables(db, key, counts);
  } finally {
    db.close();
  }
  return counts;
}

function run(cmd: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let err = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < 4000) err += d.toString();
    });
    child.on('error', (e) => reject(new BackupEngineError(`${what}: cannot run ${cmd} (${(e as NodeJS.ErrnoException).code ?? e.message}); install the PostgreSQL client tools`)));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new BackupEngineError(`${what}: ${cmd} exited ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`))));
  });
}

async function pgClient(url: string) {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function pgTables(client: Awaited<ReturnType<typeof pgClient>>, prefix: string): Promise<string[]> {
  const r = await client.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND starts_with(table_name, $1) ORDER BY table_name`,
    [prefix],
  );
  return r.rows.map((x) => x.table_name);
}

const quoteIdent = (s: string) => `"${s.replace(/"/g, '""')}"`;

/**
 * pg_dump (custom format) of Strata's tables (those starting with `prefix`, all of the schema without one)
 * inside one exported snapshot; the row counts are read in that snapshot too.
 */
export async function dumpPostgres(url: string, prefix: string, dest: string): Promise<TableCounts> {
  const client = await pgClient(url);
  const counts: TableCounts = {};
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snap = (await client.query<{ s: string }>('SELECT pg_export_snapshot() AS s')).rows[0].s;
    const schema = (await client.query<{ s: string }>('SELECT current_schema() AS s')).rows[0].s;
    const tables = await pgTables(client, prefix);
    if (tables.length === 0) throw new BackupEngineError(`no Strata tables${prefix ? ` starting with "${prefix}"` : ''} in this PostgreSQL database`);
    for (const t of tables) counts[`postgres:${t}`] = Number((await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${quoteIdent(t)}`)).rows[0].n);
    const only = prefix ? ['--table', `${schema}.${prefix.replace(/[*?"]/g, (c) => `"${c}"`)}*`] : ['--schema', schema];
    await run('pg_dump', ['--format=custom', '--no-owner', '--no-privileges', `--snapshot=${snap}`, ...only, '--file', dest, '--dbname', url], 'pg_dump');
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    await client.end();
  }
  return counts;
}

/** Restores a pg_dump into `url`, which must hold none of the archive's tables yet; returns the counts after. */
export async function restorePostgres(url: string, prefix: string, dump: string): Promise<TableCounts> {
  const client = await pgClient(url);
  try {
    const there = await pgTables(client, prefix);
    if (there.length > 0) throw new BackupEngineError(`the target database already has Strata tables (${there.slice(0, 3).join(', ')}${there.length > 3 ? ', ...' : ''}); restore into an empty database`);
    await run('pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error', '--single-transaction', '--dbname', url, dump], 'pg_restore');
    const counts: TableCounts = {};
    for (const t of await pgTables(client, prefix)) counts[`postgres:${t}`] = Number((await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${quoteIdent(t)}`)).rows[0].n);
    return counts;
  } finally {
    await client.end();
  }
}

/** Creates (or drops) a scratch database next to `url`'s, for `backup verify`; returns its URL. */
export async function scratchPostgres(url: string, name: string, drop = false): Promise<string> {
  const client = await pgClient(url);
  try {
    if (!/^[a-z0-9_]{1,60}$/.test(name)) throw new BackupEngineError('bad scratch database name');
    await client.query(drop ? `DROP DATABASE IF EXISTS ${quoteIdent(name)}` : `CREATE DATABASE ${quoteIdent(name)}`);
  } finally {
    await client.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

// ---- MariaDB / MySQL: a logical export in one consistent snapshot (the counts are read in it too) ----

type MyConn = import('mysql2/promise').Connection;

async function myConnect(url: string): Promise<MyConn> {
  const mysql = await import('mysql2/promise');
  // Rows come back as stored (dates as text, JSON as text, big numbers exact) and go back the same way.
  return mysql.createConnection({
    uri: url,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    charset: 'utf8mb4',
    // JSON columns (MySQL's JSON type, MariaDB's checked LONGTEXT) as their text, never parsed.
    typeCast: (field, next) => (field.type === 'JSON' || (field as { extendedFormat?: string }).extendedFormat === 'json' ? field.string('utf8') : next()),
  });
}

async function myTables(c: MyConn, prefix: string): Promise<string[]> {
  const [rows] = await c.query(
    'SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = ? AND LEFT(table_name, ?) = ? ORDER BY table_name',
    ['BASE TABLE', prefix.length, prefix],
  );
  return (rows as { t: string }[]).map((r) => r.t);
}

const ROWS_PER_INSERT = 200;

/**
 * Exports Strata's tables (those starting with `prefix`) in one `START TRANSACTION WITH CONSISTENT SNAPSHOT`:
 * one SQL statement per line (CREATE TABLE as the server shows it, then INSERTs of the stored, non-generated
 * columns, values escaped by mysql2), and the rows counted as they are written.
 */
export async function dumpMysql(url: string, prefix: string, dest: string): Promise<TableCounts> {
  const { createWriteStream } = await import('node:fs');
  const c = await myConnect(url);
  const out = createWriteStream(dest, { mode: 0o600 });
  const write = (line: string) => (out.write(line + '\n') ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  const counts: TableCounts = {};
  try {
    await c.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    await c.query('START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    const tables = await myTables(c, prefix);
    if (tables.length === 0) throw new BackupEngineError(`no Strata tables${prefix ? ` starting with "${prefix}"` : ''} in this MariaDB/MySQL database`);
    await write('SET FOREIGN_KEY_CHECKS=0;');
    for (const t of tables) {
      const [ddl] = await c.query(`SHOW CREATE TABLE ${c.escapeId(t)}`);
      await write(`${String((ddl as Record<string, string>[])[0]['Create Table']).replace(/\r?\n/g, ' ')};`);
      const [cols] = await c.query('SELECT column_name AS c FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? AND extra NOT LIKE ? ORDER BY ordinal_position', [t, '%GENERATED%']);
      const names = (cols as { c: string }[]).map((x) => x.c);
      const list = names.map((n) => c.escapeId(n)).join(', ');
      let n = 0;
      let batch: unknown[][] = [];
      const flush = async () => {
        if (batch.length === 0) return;
        await write(c.format(`INSERT INTO ${c.escapeId(t)} (${list}) VALUES ?;`, [batch]));
        batch = [];
      };
      // Streamed: a table is never held whole in memory.
      const core = (c as unknown as { connection: { query(o: { sql: string; rowsAsArray: boolean }): { stream(o?: { highWaterMark?: number }): AsyncIterable<unknown[]> } } }).connection;
      for await (const r of core.query({ sql: `SELECT ${list} FROM ${c.escapeId(t)}`, rowsAsArray: true }).stream({ highWaterMark: ROWS_PER_INSERT })) {
        for (let i = 0; i < r.length; i++) {
          const v = r[i];
          if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) throw new BackupEngineError(`${t}.${names[i]}: a value came back as an object; refusing to export it altered`);
        }
        batch.push(r);
        n++;
        if (batch.length >= ROWS_PER_INSERT) await flush();
      }
      await flush();
      counts[`mysql:${t}`] = n;
    }
    await c.query('COMMIT');
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  } catch (e) {
    out.destroy();
    throw e;
  } finally {
    await c.end();
  }
  return counts;
}

/** Restores an export of `dumpMysql` into `url`, which must hold none of the archive's tables yet; returns the counts after. */
export async function restoreMysql(url: string, prefix: string, dump: string): Promise<TableCounts> {
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  const c = await myConnect(url);
  try {
    const there = await myTables(c, prefix);
    if (there.length > 0) throw new BackupEngineError(`the target database already has Strata tables (${there.slice(0, 3).join(', ')}${there.length > 3 ? ', ...' : ''}); restore into an empty database`);
    for await (const line of createInterface({ input: createReadStream(dump, 'utf8'), crlfDelay: Infinity })) {
      if (line.trim() !== '') await c.query(line);
    }
    await c.query('SET FOREIGN_KEY_CHECKS=1');
    const counts: TableCounts = {};
    for (const t of await myTables(c, prefix)) {
      const [r] = await c.query(`SELECT COUNT(*) AS n FROM ${c.escapeId(t)}`);
      counts[`mysql:${t}`] = Number((r as { n: number | string }[])[0].n);
    }
    return counts;
  } finally {
    await c.end();
  }
}

/** Creates (or drops) a scratch database on `url`'s server, for `backup verify`; returns its URL. */
export async function scratchMysql(url: string, name: string, drop = false): Promise<string> {
  if (!/^[a-z0-9_]{1,60}$/.test(name)) throw new BackupEngineError('bad scratch database name');
  const c = await myConnect(url);
  try {
    await c.query(drop ? `DROP DATABASE IF EXISTS ${c.escapeId(name)}` : `CREATE DATABASE ${c.escapeId(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await c.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
