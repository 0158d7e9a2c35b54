// The composition root: builds every capability from config, starts them in
// order, and on shutdown drains the edge and stops everything in reverse.
import cluster from 'node:cluster';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ForbiddenError, type AccessControl, type Component } from '../core/index.js';
import type { StrataConfig } from '../config/index.js';
import { Edge } from '../edge/index.js';
import { createMetrics, opsRoutes, Readiness, type HttpMetrics } from '../ops/index.js';
import { join } from 'node:path';
import { busInvalidation, cacheComponent } from '../cache/index.js';
import { messagingComponent, queueRoutes, sqliteWebhookStore, webhookRoutes, webhooks, type Consumer } from '../messaging/index.js';
import { createDataLayer, type DataLayer } from '../data/index.js';
import { recordsRoutes } from '../api/index.js';
import { ConnectionLimiter, createWaf, type WafComponent } from '../waf/index.js';
import { createGateway, type Gateway } from '../gateway/index.js';
import { authComponent, authHooks, jwksRoutes } from '../auth/index.js';
import { workerMetrics } from './cluster-metrics.js';
import { createFunctions, etaRenderer, type Functions } from '../functions/index.js';
import { redisLock, sqliteLock } from '../messaging/index.js';

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
  readonly functions: Functions;
  start(): Promise<void>;
  /** Drains in-flight requests (bounded by server.shutdownGrace) and stops every component in reverse order. */
  stop(): Promise<void>;
}

/**
 * Superuser-only APIs (queues, WAF events, cache purge) are refused until the
 * auth capability supplies superusers: closed by default, never open.
 */
const superuserOnly = async (_request: FastifyRequest): Promise<never> => {
  throw new ForbiddenError('This API is for superusers; superuser authentication is not available yet.');
};

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

  const messaging = messagingComponent(config.messaging, { dataDir });
  // Tiered caches evict other instances' memory tiers through the bus.
  const cache = cacheComponent(config.cache, { dataDir, channel: () => busInvalidation(messaging.bus) });
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
  const auth = authComponent(config.auth, {
    dataDir,
    get cache() {
      return cache.cache;
    },
  });
  // ---- functions (issue 9): the user's functions/ folder as routes, consumers, subscribers, cron and record hooks.
  // Until the real rule compiler lands, functions' ctx.records lets superusers only (the lead replaces this).
  const superusersOnlyAccess: AccessControl = {
    where(principal) {
      if (principal?.superuser) return undefined;
      throw new ForbiddenError('Access rules are not available yet: only superusers may use records through functions.');
    },
  };
  const functionsDir = resolve(config.functions.dir);
  const functions = await createFunctions({
    dir: functionsDir,
    watch: config.functions.watch,
    timeout: config.functions.timeout,
    log,
    services: { records: () => data.records, db: () => data.db, cache: () => cache.cache, queue: () => messaging.queue, bus: () => messaging.bus, access: lateBound(() => superusersOnlyAccess) },
    // Cron ticks fire once across instances sharing this lock (Redis when queues are on Redis, else a file in dataDir).
    lock: () => (config.messaging.queue.backend === 'redis' ? redisLock({ url: config.messaging.queue.redis.url }) : sqliteLock(join(dataDir, 'locks.db'))),
    render: etaRenderer(resolve(functionsDir, config.functions.templates), { cache: !config.functions.watch }),
  });
  // ---- end functions
  const data = createDataLayer({ dataDir, data: config.data, collections: config.collections, logger: log, hooks: functions.hooks });
  const waf = createWaf({
    config: config.waf,
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

  // Order matters: the WAF inspects everything (gateway routes included), the
  // gateway's routes come before Strata's own.
  await app.register(waf.plugin());
  // Who is calling (bearer JWT, API key or session cookie) and the CSRF check, before any route.
  await app.register(authHooks({ services: lateBound(() => auth.services), trustedOrigins: config.auth.sessions.trustedOrigins }));
  await app.register(gateway.plugin);
  await app.register(jwksRoutes(lateBound(() => auth.services.keys)));
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
      extraPaths: () => functions.openapiPaths(),
    }),
  );
  await app.register(functions.plugin);
  await app.register(
    queueRoutes({ queue: () => messaging.queue, authorize: superuserOnly }),
  );
  await app.register(webhookRoutes({ store: webhookStore, authorize: superuserOnly }));
  await app.register(waf.eventsRoutes(superuserOnly), { prefix: '/api/admin/waf/events' });
  await app.register(gateway.purgeRoutes(superuserOnly));

  // Listeners other than Fastify's own server: WebSocket upgrades and the
  // per-IP connection limit (the WAF attaches it to app.server itself).
  for (const l of edge.listeners) {
    if (l.server === app.server) continue;
    l.server.on('upgrade', (req, socket, head) => {
      if (!gateway.upgrade(req, socket, head)) socket.destroy();
    });
    if (config.waf.ip.maxConnectionsPerIp > 0) new ConnectionLimiter(config.waf.ip.maxConnectionsPerIp).attach(l.server as import('node:net').Server);
  }

  // Started in this order, stopped in reverse; the edge listens last.
  const components: Component[] = [messaging, cache, auth, webhookDelivery, data, functions, waf, gateway];
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
        throw e;
      }
      readiness.phase = 'ready';
    },
    stop() {
      stopping ??= (async () => {
        readiness.phase = 'draining';
        const drained = await edge.drain(config.server.shutdownGrace);
        if (!drained) log.warn({ graceMs: config.server.shutdownGrace }, 'shutdown grace period ended with requests in flight; connections cut');
        for (const c of started.reverse()) {
          try {
            await c.stop?.();
          } catch (err) {
            log.error({ err, component: c.name }, 'component failed to stop');
          }
        }
        readiness.phase = 'stopped';
      })();
      return stopping;
    },
  };
}
