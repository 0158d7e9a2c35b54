// The data capability as a lifecycle Component: opens the configured database, migrates it to the declared
// collections plus those managed over the admin API (under the migration lock) and exposes the records service,
// swapped atomically when the collections change here or on another instance (schema version poll).
import { sql } from 'kysely';
import type { ChangeFeed, Component, EventHandoffs, Logger } from '../core/index.js';
import type { CollectionConfig, DataConfig } from '../config/schema-data.js';
import { normalizeCollections, type Collection } from './collection-model.js';
import { openDatabase, type OpenedDatabase } from './database-open.js';
import type { Db, SqlDialect } from './dialects/dialect.js';
import { fullTextFor } from './full-text.js';
import { migrate, type MigrateOptions, type MigrationResult } from './migration-run.js';
import { createRecordsService, type RecordHooks, type RecordsService } from './record-service.js';
import type { WriteStatements } from './record-write.js';
import { compiledRunner, insertStatements, insertWithStatements } from './write-statements.js';
import { loadFieldNumbers } from './field-numbers.js';
import { ensureOutbox, outboxFeed, outboxRow, writeOutbox, type OutboxContext } from './event-outbox.js';
import { eventRelay, type EventPublisher, type EventRelay } from './event-relay.js';
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
  /** Checks collections changed over the admin API before they are applied (the access rules compile). */
  checkCollections?: (collections: readonly Collection[]) => void;
  /** Record hooks (the functions capability): before-hooks inside each write, after-hooks after commit. */
  hooks?: RecordHooks;
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
  /** Replay of retained record-change events (after start; needs data.events.enabled). */
  readonly changes: ChangeFeed;
  /** The record-change event settings (`data.events`). */
  readonly eventsConfig: DataConfig['events'];
  /** The outbox tables' engine handles (after start). */
  readonly outbox: OutboxContext;
  /** Registers a listener called after every committed write that wrote events; returns its removal. */
  onCommit(listener: () => void): () => void;
  /** Plans (dryRun) or applies the migration to the declared collections. */
  migrate(opts?: MigrateOptions): Promise<MigrationResult>;
  /** Re-reads API-managed collections if another instance changed them; true when something changed. */
  refresh(): Promise<boolean>;
  /** Rewrites one row of a small table of its own in a transaction: throws when the database cannot take a write (a full disk). */
  writeProbe(): Promise<void>;
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
  let feed: ChangeFeed | undefined;
  const commitListeners = new Set<() => void>();
  const events = opts.data.events;
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
    const { db, dialect, readNow, runInTx, writeNow } = need();
    const collections = all(stored);
    const statements: WriteStatements = { run: compiledRunner(runInTx), insert: insertStatements(db), insertWith: dialect.name === 'postgres' ? insertWithStatements(db) : undefined, writeNow };
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
      statements,
      cipher: opts.cipher,
      hooks: opts.hooks,
      events: events.enabled ? { write: (tx, evs) => writeOutbox(tx, names, evs, statements), committed: () => commitListeners.forEach((l) => l()), outbox: { table: names.outbox, row: (ev) => outboxRow(ev) } } : undefined,
    });
    schema = { stored, collections, records, version };
    void number(collections);
  }

  /** Stable protobuf field numbers (written by migrations), attached to the collections. */
  async function number(collections: Collection[]): Promise<void> {
    const { db } = need();
    for (const [name, numbering] of await loadFieldNumbers(db, names, collections)) {
      // not enumerable: collections are also written as migration snapshots
      Object.defineProperty(collections.find((c) => c.name === name)!, 'numbering', { value: numbering, enumerable: false, configurable: true });
    }
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
    eventsConfig: events,
    get changes() {
      if (!feed) throw new Error(events.enabled ? 'data layer not started' : 'record-change events are off (data.events.enabled)');
      return feed;
    },
    get outbox() {
      const { db, dialect } = need();
      return { db, dialect, names };
    },
    onCommit(listener) {
      commitListeners.add(listener);
      return () => void commitListeners.delete(listener);
    },
    refresh: () => (refreshing ??= refresh().finally(() => (refreshing = undefined))),
    async start() {
      const { db, dialect } = await open();
      await ensureStore(db, dialect, names);
      if (opts.data.migrateOnStart) {
        const r = await layer.migrate({ onProgress: (n, total, d) => opts.logger?.info({ step: n, total }, `migrate: ${d}`) });
        if (r.applied) opts.logger?.info({ steps: r.plan.length }, 'migration applied');
      }
      if (events.enabled) {
        await ensureOutbox({ db, dialect, names });
        feed = outboxFeed({ db, dialect, names });
      }
      const version = await schemaVersion(db, names);
      apply(await loadStored(db, names), version);
      await number(schema!.collections);
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
        check: opts.checkCollections,
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
      feed = undefined;
      await o?.db.destroy();
    },
    async writeProbe() {
      const { db } = need();
      const t = names.writeProbe;
      await db.schema.createTable(t).ifNotExists().addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('at', 'varchar(40)').execute();
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom(t).execute();
        await trx.insertInto(t).values({ id: 1, at: new Date().toISOString() }).execute();
      });
    },
    async ready() {
      if (!opened) return false;
      await sql`SELECT 1`.execute(opened.db);
      return true;
    },
  };
  return layer;
}

/**
 * The relay that publishes the data layer's committed record-change events to the bus; a Component
 * for the composition root, started after messaging and data (a no-op when events are off).
 *
 * @example
 * const relay = recordEventRelay(data, () => messaging.bus, log, handoffs); // handoffs: durable consumers (webhooks, subscribers)
 * await relay.start();
 */
export function recordEventRelay(data: DataLayer, publisher: () => EventPublisher, logger?: Logger, handoffs?: EventHandoffs): EventRelay {
  const e = data.eventsConfig;
  const relay = eventRelay({
    outbox: () => data.outbox,
    onCommit: (wake) => data.onCommit(wake),
    publisher,
    handoffs: handoffs ? () => handoffs.list() : undefined,
    pollInterval: e.pollInterval,
    batchSize: e.batchSize,
    retention: e.retention,
    maxRows: e.maxRows,
    logger,
  });
  if (e.enabled) return relay;
  return { name: 'events', start: async () => undefined, stop: async () => undefined, drain: async () => undefined };
}
