// The composition root: builds every capability from config, starts them in
// order, and on shutdown drains the edge and stops everything in reverse.
import cluster from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { SUPERUSERS, UnauthorizedError, type Component } from '../core/index.js';
import type { StrataConfig } from '../config/index.js';
import { Edge } from '../edge/index.js';
import { createMetrics, Readiness, type HttpMetrics } from '../ops/index.js';
import { join } from 'node:path';
import { busInvalidation, cacheComponent } from '../cache/index.js';
import { messagingComponent, sqliteWebhookStore, webhooks, type Consumer } from '../messaging/index.js';
import { createDataLayer, recordEventRelay, type DataLayer } from '../data/index.js';
import { ConnectionLimiter, createWaf, type WafComponent } from '../waf/index.js';
import { createGateway, type Gateway } from '../gateway/index.js';
import { authComponent, principalOf } from '../auth/index.js';
import { adminRoutes, authHooks, authRoutes, authWriteHook, jwksRoutes, opsRoutes, recordsRoutes, requireSuperuser, setupRoutes, setupToken, superuserAudit, type AuthRoutesDeps } from '../api/index.js';
import { createAccessControl, createAccounts, createRecordAccess, sqlAuthStorage, type Accounts } from '../data/index.js';
import { fieldKeyFile, keyDirectory, loadFieldCipher } from '../crypto/index.js';
import { realtimeRoutes } from '../api/realtime/index.js';
import { workerMetrics } from './cluster-metrics.js';
import { createRpc, recordWatch, type Rpc } from '../api/rpc/index.js';
import { createFunctions, etaRenderer, type Functions } from '../functions/index.js';
import { redisLock, sqliteLock } from '../messaging/index.js';
import { createEngines } from '../engines/index.js';

/**
 * An object whose properties are read from `target()` at the moment they are
 * used: routes registered before start() reach services made by start().
 */
function lateBound<T extends object>(target: () => T): T {
  return new Proxy({} as T, { get: (_o, key) => Reflect.get(target(), key) });
}

export interface StrataServer {
  readonly config: StrataConfig;
  readonly edge: Edge;
  readonly readiness: Readiness;
  readonly metrics?: HttpMetrics;
  readonly data: DataLayer;
  readonly cache: ReturnType<typeof cacheComponent>;
  readonly messaging: ReturnType<typeof messagingComponent>;
  readonly waf: WafComponent;
  readonly gateway: Gateway;
  readonly auth: ReturnType<typeof authComponent>;
  /** Accounts of auth collections (after start). */
  readonly accounts: Accounts;
  /** The one-time link token to create the first superuser, when none exists (after start). */
  readonly setupToken: string | undefined;
  readonly functions: Functions;
  start(): Promise<void>;
  /** Drains in-flight requests (bounded by server.shutdownGrace) and stops every component in reverse order. */
  stop(): Promise<void>;
}

/**
 * Builds a Strata server from a loaded config. Nothing listens until start().
 *
 * @example
 * const server = await createServer(loadConfig().config, log);
 * await server.start();
 */
export async function createServer(config: StrataConfig, log: Logger): Promise<StrataServer> {
  const dataDir = resolve(config.dataDir);
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new Error(`dataDir: cannot create ${dataDir}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const metrics = config.metrics.enabled ? createMetrics() : undefined;
  const registry = metrics?.registry;
  const readiness = new Readiness();
  const edge = await Edge.create({ config, log, metrics });
  const app = edge.app;
  // One client per external engine and purpose, shared by the capabilities below; closed after they all stop.
  const engines = createEngines(config.engines, { log });

  const messaging = messagingComponent(config.messaging, { dataDir, engines });
  // Tiered caches evict other instances' memory tiers through the bus.
  const cache = cacheComponent(config.cache, { dataDir, channel: () => busInvalidation(messaging.bus), engines });
  const webhookStore = sqliteWebhookStore(join(dataDir, 'webhooks.db'));
  let webhookWorker: { consumer: Consumer; unlisten: () => Promise<void>; close: () => Promise<void> } | undefined;
  // Bus events become signed deliveries (queue jobs) for matching subscriptions.
  const webhookDelivery: Component = {
    name: 'webhooks',
    async start() {
      const hooks = webhooks({ queue: messaging.queue, subscriptions: webhookStore, log: webhookStore });
      const unlisten = await hooks.listen(messaging.bus);
      webhookWorker = { consumer: await hooks.work({ concurrency: 4 }), unlisten, close: hooks.close };
    },
    async stop() {
      await webhookWorker?.consumer.stop(5_000);
      await webhookWorker?.unlisten();
      await webhookWorker?.close();
      await webhookStore.close();
    },
  };
  // ---- functions (issue 9): the user's functions/ folder as routes, consumers, subscribers, cron and record hooks.
  // ctx.records applies the caller's access rules (the same compiled rules as REST).
  const functionsDir = resolve(config.functions.dir);
  const functions = await createFunctions({
    dir: functionsDir,
    watch: config.functions.watch,
    timeout: config.functions.timeout,
    log,
    services: { records: () => data.records, db: () => data.db, cache: () => cache.cache, queue: () => messaging.queue, bus: () => messaging.bus, access: () => recordAccess },
    // Cron ticks fire once across instances sharing this lock (Redis when queues are on Redis, else a file in dataDir).
    lock: async () => (config.messaging.queue.backend === 'redis' ? redisLock({ client: await engines.redis('commands') }) : sqliteLock(join(dataDir, 'locks.db'))),
    render: etaRenderer(resolve(functionsDir, config.functions.templates), { cache: !config.functions.watch }),
  });
  // ---- end functions
  // One field cipher, for the data layer's encrypted fields and for auth (accounts seal TOTP secrets with it).
  const fieldCipher = await loadFieldCipher({ keyFile: fieldKeyFile(config), env: process.env.STRATA_ENCRYPTION_KEY });
  const data = createDataLayer({ dataDir, data: config.data, collections: config.collections, logger: log, cipher: fieldCipher, hooks: functions.hooks, checkCollections: (cs) => access.check(cs) });
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
    // For `by: user` / `by: apiKey` limits: whoever authHooks found (anonymous requests carry none).
    identity: (request) => {
      const a = request.auth;
      if (!a) return undefined;
      return a.kind === 'apiKey' ? { user: a.userId, apiKey: a.keyId } : { user: a.userId };
    },
  });
  const gateway = createGateway({
    config: config.gateway,
    logger: log,
    registry,
    reservedPrefixes: ['/_strata', '/healthz', '/readyz', config.metrics.path, '/api/'],
    sharedCache: () => cache.cache,
  });

  // Access rules compile against the live schema; accounts keep credentials next to the auth collections.
  const access = createAccessControl({ data: () => ({ collections: data.records.collections, dialect: data.dialect, names: data.names }) });
  // The one enforcement point for records: every transport below reads and writes through it as the caller.
  const recordAccess = createRecordAccess({ rules: access, data: () => data, cipher: fieldCipher });
  let accounts: Accounts | undefined;
  let firstSetupToken: string | undefined;
  const needAccounts = (): Accounts => {
    if (!accounts) throw new Error('accounts used before start()');
    return accounts;
  };
  const accountsComponent: Component = {
    name: 'accounts',
    async start() {
      accounts = createAccounts({ db: data.db, dialect: data.dialect, names: data.names, records: data.records, cipher: fieldCipher });
      await accounts.ensureSchema();
      access.check(data.records.collections.values());
      // One process prints the setup link (cluster workers share the token store).
      if (!cluster.isWorker || cluster.worker?.id === 1) firstSetupToken = await setupToken({ services: auth.services, accounts, records: data.records });
    },
  };

  // Order matters: the WAF inspects everything (gateway routes included), the
  // gateway's routes come before Strata's own.
  await app.register(waf.plugin());
  // Who is calling (bearer JWT, API key or session cookie) and the CSRF check, before any route.
  await app.register(authHooks({ services: lateBound(() => auth.services), trustedOrigins: config.auth.sessions.trustedOrigins }));
  await app.register(gateway.plugin);
  await app.register(jwksRoutes(lateBound(() => auth.services.keys)));
  const authDeps: AuthRoutesDeps = {
    services: lateBound(() => auth.services),
    accounts: needAccounts,
    records: () => data.records,
    email: config.auth.email,
    log,
    // Every auth event goes to the audit log (details never hold secrets: the log redacts them too).
    audit: (request, action, e) =>
      auth.services.audit.record({
        action,
        actor: request.auth ? { id: request.auth.userId, collection: request.auth.collection ?? 'users' } : e.subject ? { id: e.subject, collection: e.collection } : null,
        target: e.subject ? `${e.collection}/${e.subject}` : e.collection,
        ip: request.ip,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'].slice(0, 512) : undefined,
        outcome: e.outcome,
        details: e.details,
      }),
  };
  const renderMetrics = metrics && cluster.isWorker ? workerMetrics(metrics.registry) : undefined;
  await app.register(opsRoutes({ readiness, metrics, metricsPath: config.metrics.path, renderMetrics }));
  // The records service exists once the data layer has started; routes read it per request.
  await app.register(
    recordsRoutes({
      get records() {
        return data.records;
      },
      bodyLimit: config.server.bodyLimit,
      info: { title: 'Strata', version: '0.1.0' },
      access: () => recordAccess,
      principal: (request) => principalOf(request.auth),
      writes: authWriteHook(authDeps),
      extraPaths: () => functions.openapiPaths(),
    }),
  );
  await app.register(functions.plugin);
  await app.register(authRoutes(authDeps));
  superuserAudit(app, () => auth.services.audit, log);
  await app.register(setupRoutes(() => ({ services: auth.services, accounts: needAccounts(), records: data.records })));
  // --- rpc: gRPC, gRPC-Web and Connect services from the collections (src/rpc) ---
  let rpc: Rpc | undefined;
  if (config.rpc.enabled) {
    rpc = createRpc({
      collections: () => data.collections,
      access: () => recordAccess,
      auth: lateBound(() => auth.services),
      watch: recordWatch({ bus: () => messaging.bus, access: () => recordAccess, maxBuffered: config.rpc.watchBuffer }),
      maxMessageBytes: config.rpc.maxMessageBytes,
      reflection: config.rpc.reflection,
      watchHeartbeatMs: config.rpc.watchHeartbeat,
      ready: () => readiness.phase === 'ready',
    });
    await app.register(rpc.plugin);
  }
  // --- end rpc ---
  // The superuser admin API: collections (applied under the migration lock), audit log, queues, webhooks, WAF events, cache purge.
  await app.register(
    adminRoutes({
      guard: requireSuperuser,
      collections: () => data.admin,
      audit: () => auth.services.audit,
      queue: () => messaging.queue,
      webhooks: webhookStore,
      wafEvents: waf.events,
      responseCache: gateway.cache,
      bodyLimit: config.server.bodyLimit,
      legacy: { purgePath: config.gateway.cache.purgePath },
    }),
  );

  // --- realtime: WebSocket + SSE subscriptions (src/realtime) ---
  // Events reach a subscriber only when its view rule allows the record (the same rules as REST).
  const realtime = config.realtime.enabled
    ? realtimeRoutes({
        bus: lateBound(() => messaging.bus),
        access: () => recordAccess,
        feed: lateBound(() => data.changes),
        auth: lateBound(() => auth.services),
        config: config.realtime,
        trustedOrigins: config.auth.sessions.trustedOrigins,
        log,
      })
    : undefined;
  if (realtime) await app.register(realtime);
  // --- end realtime ---

  // Listeners other than Fastify's own server: WebSocket upgrades and the
  // per-IP connection limit (the WAF attaches it to app.server itself).
  for (const l of edge.listeners) {
    if (l.server === app.server) continue;
    l.server.on('upgrade', (req, socket, head) => {
      if (gateway.upgrade(req, socket, head)) return;
      // Everything else goes where Fastify's own server sends it (@fastify/websocket: /api/realtime).
      if (!app.server.emit('upgrade', req, socket, head)) socket.destroy();
    });
    if (config.waf.ip.maxConnectionsPerIp > 0) new ConnectionLimiter(config.waf.ip.maxConnectionsPerIp).attach(l.server as import('node:net').Server);
  }

  // Started in this order, stopped in reverse; the edge listens last. Auth needs the data layer's database;
  // webhooks and the WAF use auth only per request (request.auth), never at start.
  // The outbox relay publishes committed writes to the bus, after messaging and data.
  const recordEvents = recordEventRelay(data, () => messaging.bus, log);
  const components: Component[] = [messaging, cache, data, auth, webhookDelivery, recordEvents, accountsComponent, functions, waf, gateway];
  const started: Component[] = [];
  let stopping: Promise<void> | undefined;

  return {
    config,
    edge,
    readiness,
    metrics,
    data,
    cache,
    messaging,
    waf,
    gateway,
    auth,
    get accounts() {
      return needAccounts();
    },
    get setupToken() {
      return firstSetupToken;
    },
    functions,
    async start() {
      try {
        for (const c of [...components, edge]) {
          readiness.track(c);
          await c.start?.();
          started.push(c);
        }
      } catch (e) {
        for (const c of started.reverse()) await c.stop?.().catch(() => undefined);
        started.length = 0;
        await engines.close();
        throw e;
      }
      readiness.phase = 'ready';
    },
    stop() {
      stopping ??= (async () => {
        readiness.phase = 'draining';
        // Long-lived realtime streams would otherwise hold the drain open until the grace ends.
        await realtime?.hub.stop();
        rpc?.close(); // rpc: open Watch streams end so the drain need not wait for them
        const drained = await edge.drain(config.server.shutdownGrace);
        if (!drained) log.warn({ graceMs: config.server.shutdownGrace }, 'shutdown grace period ended with requests in flight; connections cut');
        for (const c of started.reverse()) {
          try {
            await c.stop?.();
          } catch (err) {
            log.error({ err, component: c.name }, 'component failed to stop');
          }
        }
        await engines.close(); // last: every capability above may still use its clients while stopping
        readiness.phase = 'stopped';
      })();
      return stopping;
    },
  };
}
