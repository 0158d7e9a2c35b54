// `strata backup`, `strata backup verify ARCHIVE` and `strata restore ARCHIVE`: argument parsing, the key,
// progress on stderr; the work is ops' createBackup / verifyBackup / restoreBackup.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadedConfig } from '../config/index.js';

export interface BackupCommandDeps {
  load(file: string | undefined, overrides: Record<string, unknown>): LoadedConfig;
  overrides(values: Record<string, unknown>): Record<string, unknown>;
  usage(message: string): Error;
  readStdin(): Promise<string>;
  version: string;
  help: string;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  set: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  'data-dir': { type: 'string', short: 'd' },
  out: { type: 'string', short: 'o' },
  'key-file': { type: 'string' },
  'passphrase-stdin': { type: 'boolean' },
} as const;

type Values = { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { type: 'boolean' } ? boolean : (typeof OPTIONS)[K] extends { multiple: true } ? string[] : string };

async function keyFrom(values: Values, keyFile: string, deps: BackupCommandDeps) {
  const file = values['key-file'] ?? keyFile;
  if (file) {
    const text = (await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw deps.usage(`cannot read the backup key file ${file}: ${e.code ?? e.message}`);
    })).trim();
    return { kind: 'key' as const, key: Buffer.from(text, 'base64') };
  }
  const passphrase = values['passphrase-stdin'] ? await deps.readStdin() : process.env.STRATA_BACKUP_PASSPHRASE;
  if (!passphrase) throw deps.usage('backups are encrypted: give --key-file (or backup.keyFile), --passphrase-stdin, or STRATA_BACKUP_PASSPHRASE');
  return { kind: 'passphrase' as const, passphrase };
}

/**
 * @example
 * await backupCommand('backup', ['--out', '/mnt/backups', '--key-file', '/etc/strata/backup.key'], deps);
 */
export async function backupCommand(cmd: 'backup' | 'restore', args: string[], deps: BackupCommandDeps): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    throw deps.usage(`${(e as Error).message.replace(/\. To specify a positional argument.*$/, '')}. Run 'strata ${cmd} --help' for the options.`);
  }
  const values = parsed.values as Values;
  const positionals = parsed.positionals;
  if (values.help) {
    process.stdout.write(deps.help + '\n');
    return 0;
  }
  const overrides = deps.overrides(values);
  if (values['data-dir'] !== undefined) overrides.dataDir = values['data-dir'];
  const loaded = deps.load(values.config, overrides);
  const { config } = loaded;
  const ops = await import('../ops/index.js');
  const progress = ops.progressWriter(process.stderr, cmd === 'restore' ? 'restore' : positionals[0] === 'verify' ? 'verify' : 'backup');
  const key = () => keyFrom(values, config.backup.keyFile, deps);
  const dataDir = resolve(config.dataDir);
  const say = (line: string) => process.stdout.write(line + '\n');
  // Backups and restores run from here are in the audit log of the database they read or wrote.
  const audit = async (on: { url: string; tablePrefix: string }, action: string, target: string, outcome: 'success' | 'failure', details: Record<string, unknown>) => {
    const { openAuditStore } = await import('../data/index.js');
    const opened = await openAuditStore(dataDir, on).catch(() => undefined);
    if (!opened) return;
    try {
      await ops.createAuditLog({ store: opened.store }).record({ action, actor: null, target, outcome, details: { ...details, via: 'cli' } });
    } finally {
      await opened.close();
    }
  };
  const target = await ops.backupTarget(config.backup.s3);
  // An archive named on the command line: a local file, else (with backup.s3) a name in the bucket, fetched first.
  const { existsSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const fetched: string[] = [];
  const archivePath = async (arg: string): Promise<string> => {
    if (existsSync(arg) || !target) return resolve(arg);
    const dir = mkdtempSync(join(tmpdir(), 'strata-archive-'));
    fetched.push(dir);
    const dest = join(dir, 'archive.sbk');
    progress('download', 0, 1);
    await ops.downloadArchive(target, arg, dest);
    progress('download', 1, 1);
    return dest;
  };
  try {
    if (cmd === 'backup' && positionals.length === 0) {
      const outDir = resolve(values.out ?? (config.backup.dir || join(dataDir, 'backups')));
      const r = await ops.createBackup({ dataDir, data: config.data, configFile: loaded.file }, { outDir, key: await key(), version: deps.version, progress });
      const rows = Object.values(r.manifest.counts).reduce((s, n) => s + n, 0);
      const where = target ? await ops.uploadArchive(target, r.file) : r.file;
      await audit(config.data, 'backup.create', where, 'success', { bytes: r.bytes, tables: Object.keys(r.manifest.counts).length, rows });
      say(`backup: ${where} (${r.bytes} bytes; ${r.manifest.parts.length} parts, ${Object.keys(r.manifest.counts).length} tables, ${rows} rows)`);
      return 0;
    }
    if (cmd === 'backup' && positionals[0] === 'verify' && positionals.length === 2) {
      const r = await ops.verifyBackup(await archivePath(positionals[1]), { key: await key(), version: deps.version, scratchFrom: config.data.url || undefined, progress });
      say(`verify: ok, ${r.manifest.parts.length} parts match their checksums; restored to a scratch copy, ${r.tables} tables and ${r.rows} rows match the manifest (written ${r.manifest.createdAt} by Strata ${r.manifest.strata})`);
      return 0;
    }
    if (cmd === 'restore' && positionals.length === 1) {
      const r = await ops.restoreBackup(await archivePath(positionals[0]), { dataDir, data: config.data }, { key: await key(), version: deps.version, progress });
      say(`restore: ${r.manifest.parts.length} parts checked and restored into ${dataDir}${config.data.url ? ' and the database at data.url' : ''}; ${r.tables} tables, ${r.rows} rows as of ${r.manifest.createdAt}`);
      // An archive from an older Strata is brought forward now, as the server would at its next start.
      const { migrateCommand } = await import('../data/index.js');
      await migrateCommand({ dataDir, data: config.data, collections: config.collections, out: say });
      await audit(config.data, 'backup.restore', positionals[0], 'success', { createdAt: r.manifest.createdAt, strata: r.manifest.strata, tables: r.tables, rows: r.rows });
      return 0;
    }
  } catch (e) {
    if (e instanceof ops.BackupError || ['ArchiveCipherError', 'BackupEngineError', 'StorageError', 'StorageNotFoundError'].includes((e as Error).name)) {
      process.stderr.write(`strata ${cmd}: ${(e as Error).message}\n`);
      if (cmd === 'backup' && positionals.length === 0) await audit(config.data, 'backup.create', '-', 'failure', { error: (e as Error).message }).catch(() => undefined);
      return 1;
    }
    throw e;
  } finally {
    await target?.close();
    for (const d of fetched) rmSync(d, { recursive: true, force: true });
  }
  throw deps.usage(cmd === 'restore' ? `'strata restore' takes one archive. Run 'strata restore --help'.` : `unknown backup command '${positionals.join(' ')}'. Run 'strata backup --help'.`);
}
