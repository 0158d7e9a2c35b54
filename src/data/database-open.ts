// Chooses the SQL dialect from `data.url` and opens it (sqlite: default file in dataDir).
import { join, resolve } from 'node:path';
import { ValidationError } from '../core/index.js';
import type { Db, ReadNow, RunInTx, SqlDialect, WriteNow } from './dialects/dialect.js';

export interface OpenedDatabase {
  db: Db;
  dialect: SqlDialect;
  readNow?: ReadNow;
  runInTx?: RunInTx;
  writeNow?: WriteNow;
}

export interface DatabaseOptions {
  url: string;
  dataDir: string;
  poolSize: number;
  busyTimeout: number;
}

/** Which dialect a URL names; an empty URL is the SQLite file `<dataDir>/data.db`. */
export async function dialectFor(url: string): Promise<SqlDialect> {
  if (url === '' || url.startsWith('sqlite:')) return (await import('./dialects/sqlite.js')).sqliteDialect;
  if (/^postgres(ql)?:\/\//.test(url)) return (await import('./dialects/postgres.js')).postgresDialect;
  if (/^(mysql|mariadb):\/\//.test(url)) return (await import('./dialects/mysql.js')).mysqlDialect;
  throw new ValidationError('data.url must start with sqlite:, postgres://, postgresql://, mysql:// or mariadb://', [
    { field: 'data.url', message: 'unsupported scheme' },
  ]);
}

export async function openDatabase(opts: DatabaseOptions): Promise<OpenedDatabase> {
  const dialect = await dialectFor(opts.url);
  let url = opts.url;
  if (url === '') url = 'sqlite:' + join(resolve(opts.dataDir), 'data.db');
  if (url.startsWith('mariadb://')) url = 'mysql://' + url.slice('mariadb://'.length);
  const { db, readNow, runInTx, writeNow } = await dialect.open({ url, poolSize: opts.poolSize, busyTimeout: opts.busyTimeout });
  return { db, dialect, readNow, runInTx, writeNow };
}
