// The file storage of file fields as a started component: the blob store chosen by config (`files.storage`),
// the file-token key, and the periodic sweep (at start, then every `files.sweepInterval` seconds).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Component, Logger } from '../../core/index.js';
import type { FileUsageStore, RecordsService } from '../../data/index.js';
import { localBlobStore, s3BlobStore, type BlobStore } from '../../storage/index.js';
import { fileTokens, type FileTokens } from './file-token.js';
import { sweepFiles } from './file-sweeper.js';
import { sweepStagedUploads } from './tus-uploads.js';
import { fileQuotas, type FileQuota, type QuotaCheck } from './file-quota.js';
import { blobStaging, fileStaging, type UploadStaging } from './upload-staging.js';

export interface FilesConfig {
  storage: 'local' | 's3';
  dir: string;
  s3: { bucket: string; prefix: string; endpoint: string; region: string; forcePathStyle: boolean; accessKeyId: string; secretAccessKey: string };
  tokenTtl: number;
  tokenKeyFile: string;
  sweepInterval: number;
  sweepGrace: number;
  uploadTtl: number;
  quotas?: readonly FileQuota[];
}

export interface FilesComponent extends Component {
  /** The blob store (record files put into a collection with a quota count once their write's quota check admits them). */
  store(): BlobStore;
  /** Per-collection quotas (files.quotas), counted in the data database for every instance (see file-quota.ts). */
  readonly quota: QuotaCheck;
  readonly tokens: FileTokens;
  /** Where resumable (tus) uploads are staged until their last byte: `<dataDir>/uploads`, or the S3 bucket with S3 storage. */
  staging(): UploadStaging;
  /** Deletes unreferenced files (see file-sweeper.ts) and staged uploads older than `files.uploadTtl`. */
  sweep(): Promise<{ checked: number; deleted: string[]; uploads: number; quota: { released: number; added: number } }>;
}

function tokenKey(file: string): Buffer {
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length < 32) throw new Error(`files.tokenKeyFile: ${file} must hold at least 32 bytes in base64`);
  return key;
}

/**
 * @example
 * const files = filesComponent(config.files, { dataDir, records: () => data.records, usage: () => usageStore, log });
 */
export function filesComponent(cfg: FilesConfig, deps: { dataDir: string; records: () => RecordsService; usage: () => FileUsageStore; log: Logger }): FilesComponent {
  if (cfg.storage === 's3' && !cfg.s3.bucket) throw new Error('files.s3.bucket: required with files.storage: s3');
  let store: BlobStore | undefined;
  let staging: UploadStaging | undefined;
  let timer: NodeJS.Timeout | undefined;
  const quotas = fileQuotas(cfg.quotas ?? [], deps.usage);
  const tokens = fileTokens(tokenKey(cfg.tokenKeyFile || join(deps.dataDir, 'file-token.key')), cfg.tokenTtl);
  const self: FilesComponent = {
    name: 'files',
    tokens,
    quota: quotas.check,
    store() {
      if (!store) throw new Error('file storage is not started');
      return store;
    },
    staging() {
      if (!staging) throw new Error('file storage is not started');
      return staging;
    },
    async sweep() {
      const uploads = await sweepStagedUploads(self.staging(), cfg.uploadTtl * 1000);
      const r = await sweepFiles(self.store(), deps.records(), cfg.sweepGrace * 1000);
      const quota = await quotas.reconcile(cfg.sweepGrace * 1000);
      if (r.deleted.length > 0 || uploads > 0 || quota.released > 0 || quota.added > 0) deps.log.info({ deleted: r.deleted.length, checked: r.checked, uploads, quota }, 'files: swept unreferenced files and expired uploads');
      return { ...r, uploads, quota };
    },
    async start() {
      const s = cfg.s3;
      if ((cfg.quotas ?? []).some((q) => q.maxBytes > 0 || q.maxFiles > 0)) await deps.usage().ensure();
      store = quotas.track(
        cfg.storage === 's3'
          ? await s3BlobStore({ bucket: s.bucket, prefix: s.prefix, endpoint: s.endpoint, region: s.region, forcePathStyle: s.forcePathStyle, accessKeyId: s.accessKeyId || undefined, secretAccessKey: s.secretAccessKey || undefined })
          : localBlobStore(cfg.dir || join(deps.dataDir, 'files')),
      );
      const dir = join(deps.dataDir, 'uploads');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      if (cfg.storage === 's3') {
        // Staged in the bucket, so every instance sees every upload; `dir` only holds a PATCH's bytes in flight.
        staging = await blobStaging(store, join(dir, '.incoming'), cfg.uploadTtl * 1000);
      } else {
        const { FileStore } = await import('@tus/file-store');
        staging = fileStaging(new FileStore({ directory: dir, expirationPeriodInMilliseconds: cfg.uploadTtl * 1000 }));
      }
      if (cfg.sweepInterval > 0) {
        const run = () => void self.sweep().catch((e: unknown) => deps.log.warn({ err: String(e) }, 'files: sweep failed'));
        setImmediate(run);
        timer = setInterval(run, cfg.sweepInterval * 1000);
        timer.unref();
      }
    },
    async stop() {
      if (timer) clearInterval(timer);
      await store?.close();
      store = undefined;
    },
  };
  return self;
}
