// The data capability as a lifecycle Component: opens the configured database, migrates it to
// the declared collections (under the migration lock) and exposes the records service.
import { sql } from 'kysely';
import type { ChangeFeed, Component, Logger } from '../core/index.js';
import type { CollectionConfig, DataConfig } from '../config/schema-data.js';
import { normalizeCollections, type Collection } from './collection-model.js';
import { openDatabase, type OpenedDatabase } from './database-open.js';
import type { Db, SqlDialect } from './dialects/dialect.js';
import { fullTextFor } from './full-text.js';
import { migrate, type MigrateOptions, type MigrationResult } from './migration-run.js';
import { createRecordsService, type RecordsService } from './record-service.js';
import { loadFieldNumbers } from './field-numbers.js';
import { ensureOutbox, outboxFeed, writeOutbox, type OutboxContext } from './event-outbox.js';
import { eventRelay, type EventPublisher, type EventRelay } from './event-relay.js';
import { tableNames, type TableNames } from './table-names.js';

export interface DataLayerOptions {
  dataDir: string;
  data: DataConfig;
  collections: readonly CollectionConfig[];
  logger?: Logger;
}

export interface DataLayer extends Component {
  /** The records service (after start). */
  readonly records: RecordsService;
  readonly collections: readonly Collection[];
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
  let feed: ChangeFeed | undefined;
  const commitListeners = new Set<() => void>();
  const events = opts.data.events;
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
      for (const [name, numbering] of await loadFieldNumbers(db, names, collections)) {
        // not enumerable: collections are also written as migration snapshots
        Object.defineProperty(collections.find((c) => c.name === name)!, 'numbering', { value: numbering, enumerable: false, configurable: true });
      }
      if (events.enabled) {
        await ensureOutbox({ db, dialect, names });
        feed = outboxFeed({ db, dialect, names });
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
        events: events.enabled ? { write: (tx, evs) => writeOutbox(tx, dialect, names, evs), committed: () => commitListeners.forEach((l) => l()) } : undefined,
      });
    },
    async stop() {
      const o = opened;
      opened = undefined;
      records = undefined;
      feed = undefined;
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

/**
 * The relay that publishes the data layer's committed record-change events to the bus; a Component
 * for the composition root, started after messaging and data (a no-op when events are off).
 *
 * @example
 * const relay = recordEventRelay(data, () => messaging.bus, log);
 * await relay.start();
 */
export function recordEventRelay(data: DataLayer, publisher: () => EventPublisher, logger?: Logger): EventRelay {
  const e = data.eventsConfig;
  const relay = eventRelay({
    outbox: () => data.outbox,
    onCommit: (wake) => data.onCommit(wake),
    publisher,
    pollInterval: e.pollInterval,
    batchSize: e.batchSize,
    retention: e.retention,
    maxRows: e.maxRows,
    logger,
  });
  if (e.enabled) return relay;
  return { name: 'events', start: async () => undefined, stop: async () => undefined, drain: async () => undefined };
}
