// Backups inside the running server: on a schedule (`backup.schedule`, once across instances sharing the
// cron lock), or on demand from the admin API; one at a time per process; each run then prunes old
// archives (`backup.keep`), is written to the audit log, counted in metrics and remembered for status.
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Cron } from 'croner';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Component, Logger } from '../../core/index.js';
import type { KeySource } from '../../crypto/index.js';
import type { AuditLog } from '../audit/audit-log.js';
import { BackupError } from './archive.js';
import { createBackup, type BackupSource } from './backup.js';
import { archiveTime, pruneArchives, type Keep } from './retention.js';
import { pruneStore, storedArchives, uploadArchive } from './target.js';
import type { BlobStore } from '../../storage/index.js';

export interface BackupRun {
  trigger: 'schedule' | 'api';
  startedAt: string;
  ok: boolean;
  durationMs: number;
  file?: string;
  bytes?: number;
  pruned?: string[];
  error?: string;
}

export interface BackupStatus {
  running: boolean;
  schedule: string | null;
  dir: string;
  /** Whether a key or passphrase is configured (runs need one). */
  keyConfigured: boolean;
  last: BackupRun | null;
  lastSuccess: BackupRun | null;
}

export interface BackupServiceOptions {
  source: BackupSource;
  dir: string;
  schedule: string;
  keep: Keep;
  /** The key (`backup.keyFile`) or passphrase (`STRATA_BACKUP_PASSPHRASE`); read at start. */
  key: () => Promise<KeySource | undefined>;
  version: string;
  log: Logger;
  audit?: () => AuditLog;
  registry?: Registry;
  /** An S3-compatible bucket archives are uploaded to (undefined: they stay in `dir`); opened at start. */
  target?: () => Promise<BlobStore | undefined>;
  /** Once across instances: the cron tick lock (the functions' one). */
  lock?: () => Promise<{ tryLock(key: string, ttlMs: number): Promise<boolean> }>;
}

export interface BackupService extends Component {
  /** Starts a run now unless one is running (then false); it goes on in the background. */
  trigger(by: BackupRun['trigger'], actor?: { id: string; collection: string } | null): { started: boolean };
  status(): BackupStatus;
  archives(): Promise<{ name: string; bytes: number; createdAt: string }[]>;
  /** Resolves when the current run (if any) ends. */
  idle(): Promise<void>;
}

/**
 * @example
 * const backups = backupService({ source: { dataDir, data: config.data }, dir, schedule: '0 3 * * *', keep, key, version, log });
 */
export function backupService(o: BackupServiceOptions): BackupService {
  const dir = resolve(o.dir);
  let key: KeySource | undefined;
  let target: BlobStore | undefined;
  let cron: Cron | undefined;
  let current: Promise<void> | undefined;
  let last: BackupRun | null = null;
  let lastSuccess: BackupRun | null = null;
  const registers = o.registry ? [o.registry] : [];
  const lastOk = new Gauge({ name: 'strata_backup_last_success_timestamp_seconds', help: 'When the last successful backup finished (Unix time).', registers });
  const duration = new Gauge({ name: 'strata_backup_last_duration_seconds', help: 'How long the last backup ran, successful or not.', registers });
  const size = new Gauge({ name: 'strata_backup_last_size_bytes', help: 'Size of the last successful backup archive.', registers });
  const runs = new Counter({ name: 'strata_backup_runs_total', help: 'Backups run, by outcome.', labelNames: ['outcome', 'trigger'], registers });

  async function run(trigger: BackupRun['trigger'], actor: { id: string; collection: string } | null): Promise<void> {
    const t0 = Date.now();
    const r: BackupRun = { trigger, startedAt: new Date(t0).toISOString(), ok: false, durationMs: 0 };
    try {
      if (!key) throw new BackupError('no backup key: set backup.keyFile or STRATA_BACKUP_PASSPHRASE');
      const made = await createBackup(o.source, { outDir: dir, key, version: o.version });
      r.file = target ? await uploadArchive(target, made.file) : made.file;
      r.bytes = made.bytes;
      r.pruned = target ? [...(await pruneStore(target, o.keep)), ...(await pruneArchives(dir, o.keep))] : await pruneArchives(dir, o.keep);
      r.ok = true;
    } catch (e) {
      r.error = (e as Error).message;
    }
    r.durationMs = Date.now() - t0;
    last = r;
    runs.inc({ outcome: r.ok ? 'success' : 'failure', trigger });
    duration.set(r.durationMs / 1000);
    if (r.ok) {
      lastSuccess = r;
      lastOk.set(Date.now() / 1000);
      size.set(r.bytes ?? 0);
      o.log.info({ file: r.file, bytes: r.bytes, ms: r.durationMs, pruned: r.pruned?.length, trigger }, 'backup written');
    } else {
      o.log.error({ err: r.error, trigger }, 'backup failed');
    }
    await o.audit?.().record({ action: 'backup.create', actor, target: r.file ?? dir, outcome: r.ok ? 'success' : 'failure', details: { trigger, bytes: r.bytes, ms: r.durationMs, error: r.error, pruned: r.pruned?.length } }).catch(() => undefined);
  }

  const trigger: BackupService['trigger'] = (by, actor = null) => {
    if (current) return { started: false };
    current = run(by, actor).finally(() => (current = undefined));
    return { started: true };
  };

  return {
    name: 'backups',
    async start() {
      key = await o.key();
      target = await o.target?.();
      if (!o.schedule) return;
      if (!key) throw new BackupError('backup.schedule is set but there is no backup key: set backup.keyFile or STRATA_BACKUP_PASSPHRASE');
      const lock = o.lock ? await o.lock() : undefined;
      try {
        cron = new Cron(o.schedule, { unref: true, protect: true }, async (self: Cron) => {
          const at = self.currentRun() ?? new Date();
          const tick = new Date(Math.round(at.getTime() / 1000) * 1000).toISOString();
          // One instance per tick takes it; the others skip.
          if (lock && !(await lock.tryLock(`backup@${tick}`, 24 * 3600_000))) return;
          trigger('schedule');
        });
      } catch (e) {
        throw new BackupError(`backup.schedule: ${(e as Error).message}`);
      }
    },
    async stop() {
      cron?.stop();
      await current;
      await target?.close();
    },
    trigger,
    // Readiness stays 200 (a failed backup does not make this instance unfit for traffic), but an
    // operator sees the failure in /readyz details until a backup succeeds again. /readyz is public:
    // the error itself (paths, bucket names) is only in the log and GET /api/admin/backups.
    notice: () => (last && !last.ok ? `the last ${last.trigger === 'schedule' ? 'scheduled ' : ''}backup failed at ${last.startedAt} (the error is in the log and GET /api/admin/backups); last success: ${lastSuccess ? lastSuccess.startedAt : 'never'}` : undefined),
    status: () => ({ running: current !== undefined, schedule: o.schedule || null, dir: target ? target.where : dir, keyConfigured: key !== undefined, last, lastSuccess }),
    async archives() {
      if (target) return storedArchives(target);
      const out: { name: string; bytes: number; createdAt: string }[] = [];
      for (const name of await readdir(dir).catch(() => [] as string[])) {
        const t = archiveTime(name);
        if (t === undefined) continue;
        out.push({ name, bytes: (await stat(join(dir, name))).size, createdAt: new Date(t).toISOString() });
      }
      return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1));
    },
    idle: async () => {
      await current;
    },
  };
}

/** The backup key a server uses: `backup.keyFile` (32 bytes, base64), else `STRATA_BACKUP_PASSPHRASE`; undefined without either. */
export async function configuredBackupKey(keyFile: string, env: NodeJS.ProcessEnv = process.env): Promise<KeySource | undefined> {
  if (keyFile) {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(keyFile, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new BackupError(`backup.keyFile: cannot read ${keyFile}: ${e.code ?? e.message}`);
    });
    return { kind: 'key', key: Buffer.from(text.trim(), 'base64') };
  }
  const passphrase = env.STRATA_BACKUP_PASSPHRASE;
  return passphrase ? { kind: 'passphrase', passphrase } : undefined;
}
