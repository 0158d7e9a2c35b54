// The data capability as a lifecycle Component: opens the configured database, migrates it to
// the declared collections (under the migration lock) and exposes the records service.
import { sql } from 'kysely';
import type { Component, Logger } from '../core/index.js';
import type { CollectionConfig, DataConfig } from '../config/schema-data.js';
import { normalizeCollections, type Collection } from './collection-model.js';
import { openDatabase, type OpenedDatabase } from './database-open.js';
import type { Db, SqlDialect } from './dialects/dialect.js';
import { fullTextFor } from './full-text.js';
import { migrate, type MigrateOptions, type MigrationResult } from './migration-run.js';
import { createRecordsService, type RecordHooks, type RecordsService } from './record-service.js';
import { tableNames, type TableNames } from './table-names.js';

export interface DataLayerOptions {
  dataDir: string;
  data: DataConfig;
  collections: readonly CollectionConfig[];
  logger?: Logger;
  /** Record hooks (the functions capability): before-hooks inside each write, after-hooks after commit. */
  hooks?: RecordHooks;
}

export interface DataLayer extends Component {
  /** The records service (after start). */
  readonly records: RecordsService;
  readonly collections: readonly Collection[];
  /** Engine handles for capabilities that keep their own tables (after start). */
  readonly db: Db;
  readonly dialect: SqlDialect;
  readonly names: TableNames;
  /** Plans (dryRun) or applies the migration to the declared collections. */
  migrate(opts?: MigrateOptions): Promise<MigrationResult>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * @example
 * const data = createDataLayer({ dataDir: config.dataDir, data: config.data, collections: config.collections, logger });
 * await data.start();
 * await data.records.create('posts', { title: 'Hello' });
 */
export function createDataLayer(opts: DataLayerOptions): DataLayer {
  const collections = normalizeCollections(opts.collections);
  const names = tableNames(opts.data.tablePrefix);
  let opened: OpenedDatabase | undefined;
  let records: RecordsService | undefined;
  const need = () => {
    if (!opened) throw new Error('data layer not started');
    return opened;
  };

  async function open(): Promise<OpenedDatabase> {
    opened ??= await openDatabase({ url: opts.data.url, dataDir: opts.dataDir, poolSize: opts.data.poolSize, busyTimeout: opts.data.busyTimeout });
    return opened;
  }

  const layer: DataLayer = {
    name: 'data',
    collections,
    names,
    get db() {
      return need().db;
    },
    get dialect() {
      return need().dialect;
    },
    get records() {
      if (!records) throw new Error('data layer not started');
      return records;
    },
    async migrate(m: MigrateOptions = {}) {
      const { db, dialect } = await open();
      return migrate(db, { dialect, names }, collections, { allowDestructive: opts.data.allowDestructive, ...m });
    },
    async start() {
      const { db, dialect, readNow } = await open();
      if (opts.data.migrateOnStart) {
        const r = await layer.migrate({ onProgress: (n, total, d) => opts.logger?.info({ step: n, total }, `migrate: ${d}`) });
        if (r.applied) opts.logger?.info({ steps: r.plan.length }, 'migration applied');
      }
      records = createRecordsService({
        db,
        dialect,
        names,
        collections,
        maxPerPage: opts.data.maxPerPage,
        maxBatch: opts.data.maxBatch,
        maxExpandDepth: opts.data.maxExpandDepth,
        fullText: fullTextFor(dialect, names),
        readNow,
        hooks: opts.hooks,
      });
    },
    async stop() {
      const o = opened;
      opened = undefined;
      records = undefined;
      await o?.db.destroy();
    },
    async ready() {
      if (!opened) return false;
      await sql`SELECT 1`.execute(opened.db);
      return true;
    },
  };
  return layer;
}
