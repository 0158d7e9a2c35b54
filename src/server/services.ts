// Step 1 of the composition root: build every service from config — engines first, then the
// capabilities on them — in the order they start. Nothing here registers a route or listens.
import cluster from 'node:cluster';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import { EventHandoffs, type Component } from '../core/index.js';
import type { StrataConfig } from '../config/index.js';
import { Edge } from '../edge/index.js';
import { filesComponent, recordFileService, type FilesComponent, type RecordFileService } from '../api/files/index.js';
import { accessRing, backupService, backupTarget, configuredBackupKey, createMetrics, Readiness, type AccessRing, StorageFaults, type BackupService, type HttpMetrics } from '../ops/index.js';
import { busInvalidation, cacheComponent } from '../cache/index.js';
import { messagingComponent, redisLock, sqliteLock, sqliteWebhookStore, webhooks, type Consumer, type TargetPolicy, type WebhookStore } from '../messaging/index.js';
import { createAccessControl, createAccounts, createDataLayer, createRecordAccess, recordEventRelay, sqlAuthStorage, sqlFileUsageStore, sqlWafExclusionStore, type Accounts, type FileUsageStore, type DataLayer, type RecordAccess } from '../data/index.js';
import { createWaf, type WafComponent } from '../waf/index.js';
import { createGateway, type Gateway } from '../gateway/index.js';
import { authComponent, hasScope, principalOf } from '../auth/index.js';
import { setupToken } from '../api/index.js';
import { fieldKeyFile, keyDirectory, loadFieldCipher } from '../crypto/index.js';
import { createFunctions, etaRenderer, type Functions } from '../functions/index.js';
import { createEngines, type Engines } from '../engines/index.js';
import { sharedTopic, workerBusLink } from './cluster-bus.js';
import { wafExclusionSync, type WafExclusionSync } from './waf-exclusions-sync.js';

/** Accounts of the auth collections and the first-superuser link: made once the data layer and auth run. */
export interface AccountsSetup extends Component {
  /** Throws before start(). */
  readonly accounts: Accounts;
  /** The one-time link token to create the first superuser, when none exists. */
  readonly setupToken: string | undefined;
}

export interface Services {
  readonly config: StrataConfig;
  readonly log: Logger;
  readonly dataDir: string;
  readonly metrics?: HttpMetrics;
  /** This process's recent access lines for the admin log viewer (`log.recent`; absent at 0). */
  readonly recentAccess?: AccessRing;
  readonly readiness: Readiness;
  readonly edge: Edge;
  readonly engines: Engines;
  readonly messaging: ReturnType<typeof messagingComponent>;
  readonly cache: ReturnType<typeof cacheComponent>;
  readonly webhookStore: WebhookStore;
  readonly functions: Functions;
  readonly data: DataLayer;
  readonly access: ReturnType<typeof createAccessControl>;
  /** The one enforcement point for records: every transport reads and writes through it as the caller. */
  readonly recordAccess: RecordAccess;
  readonly auth: ReturnType<typeof authComponent>;
  readonly waf: WafComponent;
  /** Runtime WAF exclusions (admin API) kept in the data database and applied to the WAF's live list. */
  readonly wafExclusions: WafExclusionSync;
  readonly gateway: Gateway;
  readonly setup: AccountsSetup;
  /** Backups the server takes (backup.schedule, the admin API). */
  readonly backups: BackupService;
  /** Storage of file fields (files.storage), file tokens, the orphan sweeper. */
  readonly files: FilesComponent;
  /** Started in this order, stopped in reverse; the edge listens after them (and after the routes are mounted). */
  readonly components: readonly Component[];
}

/**
 * @example
 * const services = await buildServices(config, log);
 */
export async function buildServices(config: StrataConfig, log: Logger): Promise<Services> {
  const dataDir = resolve(config.dataDir);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new Error(`dataDir: cannot create ${dataDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const metrics = config.metrics.enabled ? createMetrics() : undefined;
  const registry = metrics?.registry;
  const readiness = new Readiness();
  // Storage faults requests run into: logged once per interval; /readyz is not ready while the disk
  // is full and tries a write to the data database (which exists once it started) to see it recover.
  const storage = new StorageFaults({ probe: () => data.writeProbe() });
  readiness.track(storage.check());
  const recentAccess = config.log.recent > 0 ? accessRing(config.log.recent) : undefined;
  const edge = await Edge.create({ config, log, metrics, storage, recentAccess });
  // One client per external engine and purpose, shared by the capabilities below; closed after they all stop.
  const engines = createEngines(config.engines, { log });

  // Cluster workers on the in-process bus share record-change events through the primary.
  const messaging = messagingComponent(config.messaging, { dataDir, engines, busLink: cluster.isWorker ? { link: workerBusLink(), share: sharedTopic } : undefined });
  // Tiered caches evict other instances' memory tiers through the bus.
  const cache = cacheComponent(config.cache, { dataDir, channel: () => busInvalidation(messaging.bus), engines });
  const webhookStore = sqliteWebhookStore(join(dataDir, 'webhooks.db'));
  // One target policy (messaging.webhooks) for the admin API's checks and every delivery.
  const webhookPolicy: TargetPolicy = { ...config.messaging.webhooks };
  // Durable consumers of record-change events (webhook deliveries, function subscribers): the relay
  // hands each event to every one of them before it marks the event published.
  const handoffs = new EventHandoffs();
  const webhookDelivery = webhookComponent(messaging, webhookStore, webhookPolicy, handoffs);

  // Functions and the data layer need each other: records run the functions' hooks, and a function's
  // ctx reads records. Functions are built first and reach the data layer through the thunks below,
  // which are only called once everything has started.
  const functionsDir = resolve(config.functions.dir);
  const services = (): { data: DataLayer; recordAccess: RecordAccess } => ({ data, recordAccess });
  let fileService: RecordFileService | undefined;
  const functions = await createFunctions({
    dir: functionsDir,
    watch: config.functions.watch,
    timeout: config.functions.timeout,
    undeclared: config.functions.undeclaredProperties,
    log,
    // ctx.records applies the caller's access rules (the same compiled rules as REST).
    services: {
      records: () => services().data.records,
      db: () => services().data.db,
      cache: () => cache.cache,
      queue: () => messaging.queue,
      bus: () => messaging.bus,
      access: () => services().recordAccess,
      // ctx.files: the same checks and rules as uploads (files is built below; called only once started).
      files: () => (fileService ??= recordFileService({ store: () => files.store(), records: () => data.records, access: () => recordAccess, quota: (...a) => files.quota(...a) })),
    },
    // Cron ticks fire once across instances sharing this lock (Redis when queues are on Redis, else a file in dataDir).
    lock: async () => (config.messaging.queue.backend === 'redis' ? redisLock({ client: await engines.redis('commands') }) : sqliteLock(join(dataDir, 'locks.db'))),
    render: etaRenderer(resolve(functionsDir, config.functions.templates), { cache: !config.functions.watch }),
    handoffs,
  });

  // One field cipher, for the data layer's encrypted fields and for auth (accounts seal TOTP secrets with it).
  const fieldCipher = await loadFieldCipher({ keyFile: fieldKeyFile(config), env: process.env.STRATA_ENCRYPTION_KEY });
  const data: DataLayer = createDataLayer({
    dataDir,
    data: config.data,
    collections: config.collections,
    logger: log,
    cipher: fieldCipher,
    hooks: functions.hooks,
    checkCollections: (cs) => access.check(cs),
  });
  // Access rules compile against the live schema (collections can change at run time).
  const access = createAccessControl({ data: () => ({ collections: data.records.collections, dialect: data.dialect, names: data.names }) });
  const recordAccess = createRecordAccess({ rules: access, data: () => data, cipher: fieldCipher });
  // Auth keeps its tables (tokens, API keys, MFA, email outbox, audit log) on the data layer's database.
  const auth = authComponent(config.auth, {
    keyDir: keyDirectory(config),
    fieldCipher,
    storage: sqlAuthStorage({ dataDir, data: () => ({ db: data.db, dialect: data.dialect, names: data.names }) }),
    get cache() {
      return cache.cache;
    },
    logger: log,
    engines,
  });
  const waf = createWaf({
    config: config.waf,
    engines,
    registry,
    logger: log,
    // For `by: user` / `by: apiKey` limits: whoever the auth hook found (anonymous requests carry none).
    identity: (request) => {
      const a = request.auth;
      if (!a) return undefined;
      return a.kind === 'apiKey' ? { user: a.userId, apiKey: a.keyId } : { user: a.userId };
    },
    // Strata-aware inspection: records filters parsed, typed fields skipped, against the live schema
    schema: { collections: () => data.records.collections },
    // the admin guard's own test: admin routes' declared URL fields are not SSRF for a superuser
    superuser: (request) => {
      const p = principalOf(request.auth);
      return p !== null && p !== undefined && p.superuser === true && hasScope(p.scopes, 'admin');
    },
  });
  // After the data layer (its database) and before traffic: exclusions added from the admin UI survive restarts.
  const wafExclusions = wafExclusionSync({ store: sqlWafExclusionStore(() => ({ db: data.db, dialect: data.dialect, names: data.names })), live: waf.exclusions, log });
  const gateway = createGateway({
    config: config.gateway,
    logger: log,
    registry,
    reservedPrefixes: ['/_strata', '/healthz', '/readyz', config.metrics.path, '/api/'],
    sharedCache: () => cache.cache,
    // Bodies of proxied, static and redirect routes are inspected before they are answered.
    bodyGate: (request, reply) => waf.bodyGate(request, reply),
  });
  const setup = accountsSetup(data, access, auth, fieldCipher);
  // The outbox relay publishes committed writes to the bus, after messaging and data.
  const recordEvents = recordEventRelay(data, () => messaging.bus, log, handoffs);
  // Auth needs the data layer's database; webhooks and the WAF use auth only per request (request.auth), never at start.
  // The relay starts after every durable consumer (webhooks, functions) has registered its hand-off:
  // its first pass publishes what a crashed run left, and each of them must get those events too.
  // Scheduled and on-demand backups; once per schedule tick across instances sharing the cron lock.
  const backups = backupService({
    source: { dataDir, data: config.data, configFile: config.backup.configFile || undefined },
    dir: config.backup.dir || join(dataDir, 'backups'),
    schedule: config.backup.schedule,
    keep: config.backup.keep,
    key: () => configuredBackupKey(config.backup.keyFile),
    target: () => backupTarget(config.backup.s3),
    version: strataVersion(),
    log: log.child({ component: 'backups' }),
    audit: () => auth.services.audit,
    registry,
    lock: async () => (config.messaging.queue.backend === 'redis' ? redisLock({ client: await engines.redis('commands') }) : sqliteLock(join(dataDir, 'locks.db'))),
  });
  // After the data layer: its sweep reads records.
  let fileUsage: FileUsageStore | undefined;
  const files = filesComponent(config.files, { dataDir, records: () => data.records, usage: () => (fileUsage ??= sqlFileUsageStore(() => ({ db: data.db, dialect: data.dialect, names: data.names }))), log: log.child({ component: 'files' }) });
  const components: Component[] = [messaging, cache, data, auth, webhookDelivery, setup, functions, recordEvents, waf, wafExclusions, gateway, backups, files];
  return { config, log, dataDir, metrics, recentAccess, readiness, edge, engines, messaging, cache, webhookStore, functions, data, access, recordAccess, auth, waf, wafExclusions, gateway, setup, backups, files, components };
}

/** Bus events become signed deliveries (queue jobs) for matching webhook subscriptions. */
function webhookComponent(messaging: ReturnType<typeof messagingComponent>, store: WebhookStore, policy: TargetPolicy, handoffs: EventHandoffs): Component {
  let worker: { consumer: Consumer; unlisten: () => Promise<void>; close: () => Promise<void> } | undefined;
  let removeHandoff: (() => void) | undefined;
  return {
    name: 'webhooks',
    async start() {
      const hooks = webhooks({ queue: messaging.queue, subscriptions: store, log: store, policy });
      // record-change events come durably from the outbox relay; other bus topics at most once
      removeHandoff = handoffs.add({ name: 'webhooks', handoff: async (events) => void (await hooks.handoff(events)) });
      const unlisten = await hooks.listen(messaging.bus, '>', (topic) => topic.startsWith('records.'));
      worker = { consumer: await hooks.work({ concurrency: 4 }), unlisten, close: hooks.close };
    },
    async stop() {
      removeHandoff?.();
      await worker?.consumer.stop(5_000);
      await worker?.unlisten();
      await worker?.close();
      await store.close();
    },
  };
}

/** Accounts keep credentials next to the auth collections; every rule is compiled once before traffic. */
function accountsSetup(data: DataLayer, access: ReturnType<typeof createAccessControl>, auth: ReturnType<typeof authComponent>, cipher: Parameters<typeof createAccounts>[0]['cipher']): AccountsSetup {
  let accounts: Accounts | undefined;
  let token: string | undefined;
  return {
    name: 'accounts',
    get accounts(): Accounts {
      if (!accounts) throw new Error('accounts used before start()');
      return accounts;
    },
    get setupToken() {
      return token;
    },
    async start() {
      // records read per use: the data layer swaps in a new records service when collections change
      // at run time (an auth collection made through the admin API must sign up and log in at once).
      accounts = createAccounts({
        db: data.db,
        dialect: data.dialect,
        names: data.names,
        get records() {
          return data.records;
        },
        cipher,
      });
      await accounts.ensureSchema();
      access.check(data.records.collections.values());
      // One process prints the setup link (cluster workers share the token store).
      if (!cluster.isWorker || cluster.worker?.id === 1) token = await setupToken({ services: auth.services, accounts, records: data.records });
    },
  };
}

/** This Strata's version (package.json), written into backup archives. */
function strataVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
