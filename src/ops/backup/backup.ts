// `strata backup`, `strata backup verify` and `strata restore`: online copies of the databases, the key
// material and the config into one encrypted archive; checked end to end before anything is restored.
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { TableCounts } from '../../data/index.js';

// The data layer (SQLite, pg) is loaded when a backup runs, not with the ops module (the CLI imports it to log).
const engines = () => import('../../data/index.js');
import type { KeySource } from '../../crypto/index.js';
import { BackupError, extractArchive, readHeader, writeArchive, type Manifest, type Progress } from './archive.js';

export interface BackupSource {
  dataDir: string;
  /** `data.url` ('' = SQLite in the data directory) and `data.tablePrefix`. */
  data: { url: string; tablePrefix: string };
  /** The config file in use, archived beside the data (its secrets are inside the encrypted archive). */
  configFile?: string;
}

type Engine = Manifest['engine'];

function engineOf(url: string): Engine {
  if (url === '' || url.startsWith('sqlite:') || url.startsWith('file:')) return 'sqlite';
  if (/^postgres(ql)?:/.test(url)) return 'postgres';
  if (/^(mysql|mariadb):/.test(url)) return 'mysql';
  throw new BackupError(`backups of ${url.split(':')[0]} databases are not supported (SQLite, PostgreSQL and MariaDB/MySQL are)`);
}

/**
 * Folders of the data directory archived as they are: key material, TLS certificates, and the files of
 * file fields on local storage (`files.dir` unset: `<dataDir>/files`), copied after the database snapshot.
 */
const FOLDERS = ['keys', 'tls', 'files'];

async function filesUnder(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true }).catch(() => [])) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

const stamp = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');

/**
 * Backs up while the server runs; returns the archive's path and manifest.
 * @example
 * const { file } = await createBackup({ dataDir, data: config.data }, { outDir: '/backups', key: { kind: 'passphrase', passphrase }, version: '0.1.0' });
 */
export async function createBackup(src: BackupSource, o: { outDir: string; key: KeySource; version: string; now?: Date; progress?: Progress }): Promise<{ file: string; bytes: number; manifest: Manifest }> {
  const engine = engineOf(src.data.url);
  const e = await engines();
  const now = o.now ?? new Date();
  await mkdir(o.outDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(o.outDir, '.staging-'));
  try {
    const parts: { path: string; file: string }[] = [];
    const counts: TableCounts = {};
    await mkdir(join(staging, 'db'), { mode: 0o700 });
    const files = await e.sqliteFilesIn(src.dataDir);
    if (engine === 'sqlite' && !files.includes('data.db')) throw new BackupError(`no data.db in ${src.dataDir}: nothing to back up (is the data directory right?)`);
    for (const f of files) {
      const dest = join(staging, 'db', f);
      await e.backupSqliteFile(join(src.dataDir, f), dest, f, counts, (done, total) => o.progress?.(`copy ${f}`, done, total));
      parts.push({ path: `db/${f}`, file: dest });
    }
    if (engine === 'postgres') {
      const dest = join(staging, 'db', 'postgres.dump');
      o.progress?.('pg_dump', 0, 1);
      Object.assign(counts, await e.dumpPostgres(src.data.url, src.data.tablePrefix, dest));
      o.progress?.('pg_dump', 1, 1);
      parts.push({ path: 'db/postgres.dump', file: dest });
    }
    if (engine === 'mysql') {
      const dest = join(staging, 'db', 'mysql.sql');
      o.progress?.('export', 0, 1);
      Object.assign(counts, await e.dumpMysql(src.data.url, src.data.tablePrefix, dest));
      o.progress?.('export', 1, 1);
      parts.push({ path: 'db/mysql.sql', file: dest });
    }
    for (const folder of FOLDERS) {
      for (const rel of await filesUnder(join(src.dataDir, folder))) parts.push({ path: `${folder}/${rel}`, file: join(src.dataDir, folder, ...rel.split('/')) });
    }
    if (src.configFile) parts.push({ path: `config/${basename(src.configFile).replace(/[^A-Za-z0-9._-]/g, '_')}`, file: src.configFile });
    const file = join(o.outDir, `strata-backup-${stamp(now)}.sbk`);
    const manifest = await writeArchive(file, parts, { format: 1, strata: o.version, createdAt: now.toISOString(), engine, tablePrefix: src.data.tablePrefix, counts }, o.key, o.progress);
    return { file, bytes: (await stat(file)).size, manifest };
  } finally {
    await rm(staging, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  }
}

/** -1, 0, 1 for dotted numeric versions (`0.10.0` > `0.9.3`); pre-release tags are ignored. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/).slice(0, 3).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.+-]/).slice(0, 3).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  return 0;
}

async function refuseNewer(file: string, version: string): Promise<void> {
  const { header } = await readHeader(file);
  if (compareVersions(header.strata, version) > 0) throw new BackupError(`this archive was written by Strata ${header.strata}, newer than this one (${version}); restore it with Strata ${header.strata} or later`);
}

function compareCounts(want: Record<string, number>, got: TableCounts, keys: string[]): string[] {
  const bad: string[] = [];
  for (const k of keys) if (want[k] !== got[k]) bad.push(`${k}: ${String(want[k])} in the manifest, ${String(got[k])} restored`);
  return bad;
}

export interface VerifyReport {
  manifest: Manifest;
  /** Tables compared and how many rows each held. */
  tables: number;
  rows: number;
}

/**
 * Restores an archive to a scratch place (a temp folder; a scratch PostgreSQL database next to `scratchFrom`)
 * and compares every part's checksum and every table's row count with the manifest.
 */
export async function verifyBackup(file: string, o: { key: KeySource; version: string; scratchFrom?: string; progress?: Progress }): Promise<VerifyReport> {
  await refuseNewer(file, o.version);
  const e = await engines();
  const dir = await mkdtemp(join(tmpdir(), 'strata-verify-'));
  try {
    const manifest = await extractArchive(file, o.key, join(dir, 'x'), o.progress);
    const got: TableCounts = {};
    for (const p of manifest.parts.filter((x) => x.path.startsWith('db/') && x.path.endsWith('.db'))) {
      const name = p.path.slice(3);
      Object.assign(got, e.countSqliteFile(join(dir, 'x', 'db', name), name));
    }
    if (manifest.engine !== 'sqlite') {
      const pgBackup = manifest.engine === 'postgres';
      if (!o.scratchFrom || engineOf(o.scratchFrom) !== manifest.engine) throw new BackupError(`verifying a ${pgBackup ? 'PostgreSQL' : 'MariaDB/MySQL'} backup needs a server of that kind to restore it to (data.url)`);
      const name = `strata_verify_${randomBytes(6).toString('hex')}`;
      const scratch = pgBackup ? e.scratchPostgres : e.scratchMysql;
      const url = await scratch(o.scratchFrom, name);
      try {
        const dump = join(dir, 'x', 'db', pgBackup ? 'postgres.dump' : 'mysql.sql');
        Object.assign(got, await (pgBackup ? e.restorePostgres : e.restoreMysql)(url, manifest.tablePrefix, dump));
      } finally {
        await scratch(o.scratchFrom, name, true);
      }
    }
    const keys = Object.keys(manifest.counts);
    const bad = compareCounts(manifest.counts, got, keys);
    if (bad.length > 0) throw new BackupError(`the restored copy differs from the manifest: ${bad.slice(0, 5).join('; ')}`);
    return { manifest, tables: keys.length, rows: keys.reduce((s, k) => s + manifest.counts[k], 0) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Restores an archive into a fresh data directory (and, for a PostgreSQL backup, an empty database at
 * `target.data.url`). Every checksum is checked before anything is written to the target.
 */
export async function restoreBackup(file: string, target: BackupSource, o: { key: KeySource; version: string; progress?: Progress }): Promise<VerifyReport> {
  await refuseNewer(file, o.version);
  const e = await engines();
  const existing = (await e.sqliteFilesIn(target.dataDir)).concat((await filesUnder(join(target.dataDir, 'keys'))).map((k) => `keys/${k}`));
  if (existing.length > 0) throw new BackupError(`${target.dataDir} is not empty (${existing.slice(0, 3).join(', ')}); restore into a fresh data directory`);
  await mkdir(target.dataDir, { recursive: true, mode: 0o700 });
  const staging = await mkdtemp(join(target.dataDir, '.restore-'));
  try {
    const manifest = await extractArchive(file, o.key, staging, o.progress);
    const names = { sqlite: 'SQLite', postgres: 'PostgreSQL', mysql: 'MariaDB/MySQL' } as const;
    if (engineOf(target.data.url) !== manifest.engine) {
      throw new BackupError(manifest.engine === 'sqlite' ? 'this is a SQLite backup: restore it with data.url unset (SQLite in the data directory)' : `this is a ${names[manifest.engine]} backup: give the ${names[manifest.engine]} database to restore into (data.url)`);
    }
    const got: TableCounts = {};
    if (manifest.engine !== 'sqlite') {
      o.progress?.('load', 0, 1);
      const dump = join(staging, 'db', manifest.engine === 'postgres' ? 'postgres.dump' : 'mysql.sql');
      Object.assign(got, await (manifest.engine === 'postgres' ? e.restorePostgres : e.restoreMysql)(target.data.url, manifest.tablePrefix, dump));
      o.progress?.('load', 1, 1);
    }
    for (const p of manifest.parts) {
      if (p.path === 'db/postgres.dump' || p.path === 'db/mysql.sql' || p.path.startsWith('config/')) continue;
      const dest = join(target.dataDir, ...p.path.replace(/^db\//, '').split('/'));
      await mkdir(join(dest, '..'), { recursive: true, mode: 0o700 });
      await rename(join(staging, ...p.path.split('/')), dest);
      if (p.path.startsWith('db/') && p.path.endsWith('.db')) Object.assign(got, e.countSqliteFile(dest, p.path.slice(3)));
    }
    const config = manifest.parts.find((p) => p.path.startsWith('config/'));
    if (config) {
      // The archived config is put beside the data for the operator to compare; it is not made live.
      const dest = join(target.dataDir, `restored-${config.path.slice(7)}`);
      await copyFile(join(staging, ...config.path.split('/')), dest);
      await chmod(dest, 0o600);
    }
    const keys = Object.keys(manifest.counts);
    const bad = compareCounts(manifest.counts, got, keys);
    if (bad.length > 0) throw new BackupError(`the restored data differs from the manifest: ${bad.slice(0, 5).join('; ')}`);
    return { manifest, tables: keys.length, rows: keys.reduce((s, k) => s + manifest.counts[k], 0) };
  } finally {
    await rm(staging, { recursive: true, force: true, maxRetries: 3, retryDelay: 50 });
  }
}
