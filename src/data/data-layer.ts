// The data capability as a lifecycle Component: opens the configured database, migrates it to the declared
// collections plus those managed over the admin API (under the migration lock) and exposes the records service,
// swapped atomically when the collections change here or on another instance (schema version poll).
import { sql } from 'kysely';
import type { Component, Logger } from '../core/index.js';
import type { CollectionConfig, DataConfig } from '../config/schema-data.js';
import { normalizeCollections, type Collection } from './collection-model.js';
import { openDatabase, type OpenedDatabase } from './database-open.js';
import type { Db, SqlDialect } from './dialects/dialect.js';
import { fullTextFor } from './full-text.js';
import { migrate, type MigrateOptions, type MigrationResult } from './migration-run.js';
import { createRecordsService, type RecordsService } from './record-service.js';
import { tableNames, type TableNames } from './table-names.js';
import { checkFieldKeys, type ValueCipher } from './field-cipher.js';
import { ensureStore, loadStored, schemaVersion } from './admin-collection-store.js';
import { createCollectionAdmin, type CollectionAdmin } from './admin-collections.js';

export interface DataLayerOptions {
  dataDir: string;
  data: DataConfig;
  collections: readonly CollectionConfig[];
  logger?: Logger;
  /** Cipher for fields marked `encrypted` (the composition root passes auth's FieldCipher). */
  cipher?: ValueCipher;
}

export interface DataLayer extends Component {
  /** The records service (after start); a new one after every collection change. */
  readonly records: RecordsService;
  /** Declared plus API-managed collections (API ones appear after start). */
  readonly collections: readonly Collection[];
  /** Create/change/drop collections at run time (the admin API's engine; after start). */
  readonly admin: CollectionAdmin;
  /** Engine handles for capabilities that keep their own tables (after start). */
  readonly db: Db;
  readonly dialect: SqlDialect;
  readonly names: TableNames;
  /** Plans (dryRun) or applies the migration to the declared collections. */
  migrate(opts?: MigrateOptions): Promise<MigrationResult>;
  /** Re-reads API-managed collections if another instance changed them; true when something changed. */
  refresh(): Promise<boolean>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface Schema {
  stored: CollectionConfig[];
  collections: Collection[];
  records: RecordsService;
  version: number;
}

/**
 * @example
 * const data = createDataLayer({ dataDir: config.dataDir, data: config.data, collections: config.collections, logger });
 * await data.start();
 * await data.records.create('posts', { title: 'Hello' });
 */
export function createDataLayer(opts: DataLayerOptions): DataLayer {
  const declared = normalizeCollections(opts.collections);
  const names = tableNames(opts.data.tablePrefix);
  let opened: OpenedDatabase | undefined;
  let schema: Schema | undefined;
  let admin: CollectionAdmin | undefined;
  let poll: NodeJS.Timeout | undefined;
  let refreshing: Promise<boolean> | undefined;
  const need = () => {
    if (!opened) throw new Error('data layer not started');
    return opened;
  };
  const all = (stored: readonly CollectionConfig[]) => normalizeCollections([...opts.collections, ...stored]);

  async function open(): Promise<OpenedDatabase> {
    opened ??= await openDatabase({ url: opts.data.url, dataDir: opts.dataDir, poolSize: opts.data.poolSize, busyTimeout: opts.data.busyTimeout });
    return opened;
  }

  /** Swaps in a records service for `stored`: requests already holding the old one finish on it. */
  function apply(stored: CollectionConfig[], version: number): void {
    const { db, dialect, readNow } = need();
    const collections = all(stored);
    const records = createRecordsService({
      db,
      dialect,
      names,
      collections,
      maxPerPage: opts.data.maxPerPage,
      maxBatch: opts.data.maxBatch,
      maxExpandDepth: opts.data.maxExpandDepth,
      fullText: fullTextFor(dialect, names),
      readNow,
      cipher: opts.cipher,
    });
    schema = { stored, collections, records, version };
  }

  async function refresh(): Promise<boolean> {
    const { db } = need();
    const version = await schemaVersion(db, names);
    if (!schema || version === schema.version) return false;
    apply(await loadStored(db, names), version);
    opts.logger?.info({ version }, 'collections changed on another instance; reloaded');
    return true;
  }

  const layer: DataLayer = {
    name: 'data',
    names,
    get collections() {
      return schema?.collections ?? declared;
    },
    get db() {
      return need().db;
    },
    get dialect() {
      return need().dialect;
    },
    get records() {
      if (!schema) throw new Error('data layer not started');
      return schema.records;
    },
    get admin() {
      if (!admin) throw new Error('data layer not started');
      return admin;
    },
    async migrate(m: MigrateOptions = {}) {
      const { db, dialect } = await open();
      // API-managed collections are part of the target, or a migration would drop them.
      return migrate(db, { dialect, names }, async (conn) => all(await loadStored(conn, names)), { allowDestructive: opts.data.allowDestructive, ...m });
    },
    refresh: () => (refreshing ??= refresh().finally(() => (refreshing = undefined))),
    async start() {
      const { db, dialect } = await open();
      await ensureStore(db, dialect, names);
      if (opts.data.migrateOnStart) {
        const r = await layer.migrate({ onProgress: (n, total, d) => opts.logger?.info({ step: n, total }, `migrate: ${d}`) });
        if (r.applied) opts.logger?.info({ steps: r.plan.length }, 'migration applied');
      }
      const version = await schemaVersion(db, names);
      apply(await loadStored(db, names), version);
      // A lost or wrong key stops start-up here rather than failing every read of an encrypted field. Without a
      // cipher (tools that never touch encrypted fields) such fields fail clearly when used.
      if (opts.cipher && schema!.collections.some((c) => c.fields.some((f) => f.encrypted))) await checkFieldKeys(db, names, schema!.collections, opts.cipher);
      admin = createCollectionAdmin({
        db,
        dialect,
        names,
        declared: opts.collections,
        stored: () => schema!.stored,
        apply,
        logger: opts.logger,
      });
      if (opts.data.schemaPollInterval > 0) {
        poll = setInterval(() => {
          layer.refresh().catch((err) => opts.logger?.warn({ err }, 'collection change poll failed'));
        }, opts.data.schemaPollInterval);
        poll.unref();
      }
    },
    async stop() {
      if (poll) clearInterval(poll);
      poll = undefined;
      await refreshing?.catch(() => undefined);
      const o = opened;
      opened = undefined;
      schema = undefined;
      admin = undefined;
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
