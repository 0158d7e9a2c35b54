// Step 2 of the composition root: mount every route on the live services (they have started, so
// routes take the services themselves, not getters). Order matters: the WAF inspects everything
// (gateway routes included), the caller is known before any route, the gateway's routes come
// before Strata's own.
import cluster from 'node:cluster';
import { principalOf } from '../auth/index.js';
import { adminRoutes, adminUiRoutes, authHooks, authRoutes, authWriteHook, jwksRoutes, opsRoutes, recordsRoutes, requireSuperuser, setupRoutes, superuserAudit, userOpenapiPaths, type AuthRoutesDeps } from '../api/index.js';
import { realtimeRoutes } from '../api/realtime/index.js';
import { dropRecordFiles, fileTokenGrant, filesRoutes, grantCheck, recordFiles, tusUploads } from '../api/files/index.js';
import { createRpc, recordWatch, type Rpc } from '../api/rpc/index.js';
import { ConnectionLimiter } from '../waf/index.js';
import { requestId } from '../edge/index.js';
import { accessLog, bothAccess, liveMetrics } from '../ops/index.js';
import { settingsState } from './settings-state.js';
import { workerMetrics } from './cluster-metrics.js';
import type { Services } from './services.js';

/** What the mounted routes hold open, for shutdown. */
export interface MountedRoutes {
  /** Ends realtime streams, which would otherwise hold the drain open until the grace ends. */
  stopRealtime(): Promise<void>;
  /** Ends open Watch streams. */
  closeRpc(): void;
}

/**
 * @example
 * await startInOrder(services.components);
 * const mounted = await mountRoutes(services);
 * await services.edge.start();
 */
export async function mountRoutes(s: Services): Promise<MountedRoutes> {
  const { config, log, edge, data, auth, recordAccess, messaging, waf, gateway, functions } = s;
  const app = edge.app;
  const services = auth.services;
  const accounts = s.setup.accounts;

  await app.register(waf.plugin());
  // Who is calling (bearer JWT, API key or session cookie) and the CSRF check, before any route;
  // gateway routes that did not opt in keep their credentials for their site or upstream.
  await app.register(authHooks({ services, trustedOrigins: config.auth.sessions.trustedOrigins, skip: gateway.bypassesAuth }));
  await app.register(gateway.plugin);
  // In-memory static answers before Fastify, with the same headers, WAF check, access line and metrics.
  edge.setFastLane(
    gateway.fastLane({
      security: edge.security,
      requestId,
      access: bothAccess(config.log.access ? accessLog(log) : undefined, s.recentAccess?.push),
      metrics: s.metrics,
      headPass: waf.headPass,
      fastifyRoute: (method, path) => app.findRoute({ method: method as 'GET', url: path }) !== null,
      cors: config.server.cors.origins.length > 0,
      trustProxy: config.server.trustProxy !== false,
    }),
  );
  await app.register(jwksRoutes(services.keys));
  const authDeps: AuthRoutesDeps = {
    services,
    accounts: () => accounts,
    records: () => data.records,
    email: config.auth.email,
    recentLoginSeconds: config.auth.recentLogin,
    log,
    // Every auth event goes to the audit log (details never hold secrets: the log redacts them too).
    audit: (request, action, e) =>
      services.audit.record({
        action,
        // An anonymous caller acts as the account only when it succeeds (signed up, logged in); a failed
        // attempt on an account names it as the target, never as the actor.
        actor: request.auth ? { id: request.auth.userId, collection: request.auth.collection ?? 'users' } : e.subject && e.outcome === 'success' ? { id: e.subject, collection: e.collection } : null,
        target: e.subject ? `${e.collection}/${e.subject}` : e.collection,
        ip: e.ip ?? request.ip,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'].slice(0, 512) : undefined,
        outcome: e.outcome,
        details: e.details,
      }),
  };
  const renderMetrics = s.metrics && cluster.isWorker ? workerMetrics(s.metrics.registry) : undefined;
  await app.register(opsRoutes({ readiness: s.readiness, metrics: s.metrics, metricsPath: config.metrics.path, renderMetrics }));
  const fileQuota = s.files.quota;
  await app.register(
    recordsRoutes({
      // Read per request: the data layer swaps in a new records service when the collections change
      // (the admin API here or on another instance); requests already running finish on the old one.
      get records() {
        return data.records;
      },
      bodyLimit: config.server.bodyLimit,
      info: { title: 'Strata', version: '0.1.0' },
      // Every read and write goes through the one records access layer, as the caller.
      access: () => recordAccess,
      principal: (request) => principalOf(request.auth),
      writes: authWriteHook(authDeps),
      // The users admin API describes itself (its routes are mounted below with the other admin routes).
      extraPaths: () => ({ ...userOpenapiPaths(), ...functions.openapiPaths() }),
      // File fields: multipart uploads streamed to storage; files deleted after the write commits.
      files: recordFiles({
        store: () => s.files.store(),
        records: () => data.records,
        limits: { maxFiles: config.files.maxFilesPerRequest, maxFields: 1000, maxFieldBytes: config.server.bodyLimit },
        quota: fileQuota,
        log,
      }),
      // What else is mounted below, so the OpenAPI document describes exactly what answers.
      openapi: {
        sessionCookie: config.auth.sessions.cookieName,
        auth: true,
        adminUi: true,
        admin: { legacy: { purgePath: config.gateway.cache.purgePath } },
        ops: { metricsPath: s.metrics ? config.metrics.path : undefined },
        realtime: config.realtime.enabled,
        rpc: config.rpc.enabled,
        functions: true,
        files: true,
      },
    }),
  );
  await app.register(
    filesRoutes({
      store: () => s.files.store(),
      records: () => data.records,
      access: () => recordAccess,
      principal: (request) => principalOf(request.auth),
      tokens: s.files.tokens,
      // A file token ends with the sign-in it was issued on (logout, logout-all, password change, revoked key).
      grant: (request) => fileTokenGrant(request.auth),
      current: grantCheck(services),
      inlineTypes: config.files.inlineTypes,
    }),
  );
  // Resumable (tus) uploads into file fields: checked at creation, attached to the record at the last byte.
  await app.register(
    tusUploads({
      staging: () => s.files.staging(),
      store: () => s.files.store(),
      records: () => data.records,
      access: () => recordAccess,
      principal: (request) => principalOf(request.auth),
      quota: fileQuota,
      dropFiles: (c, id, names) => dropRecordFiles(s.files.store(), c, id, names, log),
    }),
  );
  await app.register(functions.plugin);
  await app.register(authRoutes(authDeps));
  // Superuser actions (collection and rule changes, queue and cache operations, record edits) are audited.
  superuserAudit(app, () => services.audit, log);
  await app.register(setupRoutes(() => ({ services, accounts, records: data.records })));

  // gRPC, gRPC-Web and Connect services from the collections: the same access rules as REST.
  let rpc: Rpc | undefined;
  if (config.rpc.enabled) {
    rpc = createRpc({
      collections: () => data.collections,
      access: () => recordAccess,
      auth: services,
      watch: recordWatch({ bus: () => messaging.bus, access: () => recordAccess, maxBuffered: config.rpc.watchBuffer }),
      maxMessageBytes: config.rpc.maxMessageBytes,
      reflection: config.rpc.reflection,
      watchHeartbeatMs: config.rpc.watchHeartbeat,
      ready: () => s.readiness.phase === 'ready',
    });
    await app.register(rpc.plugin);
  }

  // The superuser admin API: collections (applied under the migration lock), audit log, queues, webhooks, WAF events, cache purge.
  await app.register(
    adminRoutes({
      guard: requireSuperuser,
      collections: () => data.admin,
      audit: () => services.audit,
      queue: () => messaging.queue,
      webhooks: s.webhookStore,
      webhookPolicy: { ...config.messaging.webhooks },
      wafEvents: waf.events,
      wafExclusions: { runtime: s.wafExclusions, configured: config.waf.exclusions },
      ops: { cache: () => ({ cache: s.cache.cache, store: config.cache.store }), pools: () => gateway.pools, cron: () => functions.cronJobs(), rateLimited: () => waf.rateLimited() },
      responseCache: gateway.cache,
      observe: { live: s.metrics ? liveMetrics(s.metrics) : undefined, recentAccess: s.recentAccess },
      settings: settingsState(config, edge.tls),
      backups: s.backups,
      users: { services: () => services, accounts: () => accounts, records: () => data.records, email: config.auth.email },
      bodyLimit: config.server.bodyLimit,
      legacy: { purgePath: config.gateway.cache.purgePath },
    }),
  );
  // The admin UI at /_/ (built from admin-ui/ on its first request); it uses only the public APIs above.
  await app.register(adminUiRoutes());

  // WebSocket + SSE subscriptions: events reach a subscriber only when its view rule allows the record.
  const realtime = config.realtime.enabled
    ? realtimeRoutes({
        bus: messaging.bus,
        access: () => recordAccess,
        // Asked per resume only: with data.events.enabled off there is no feed, and asking for one throws.
        feed: { since: (after, o) => data.changes.since(after, o), latest: () => data.changes.latest() },
        auth: services,
        config: config.realtime,
        trustedOrigins: config.auth.sessions.trustedOrigins,
        log,
      })
    : undefined;
  if (realtime) await app.register(realtime);

  // Listeners other than Fastify's own server: WebSocket upgrades and the per-IP connection limit
  // (the WAF attaches it to app.server itself).
  for (const l of edge.listeners) {
    if (l.server === app.server) continue;
    l.server.on('upgrade', (req, socket, head) => {
      if (gateway.upgrade(req, socket, head)) return;
      // Everything else goes where Fastify's own server sends it (@fastify/websocket: /api/realtime).
      if (!app.server.emit('upgrade', req, socket, head)) socket.destroy();
    });
    if (config.waf.ip.maxConnectionsPerIp > 0) new ConnectionLimiter(config.waf.ip.maxConnectionsPerIp).attach(l.server as import('node:net').Server);
  }

  return {
    stopRealtime: async () => realtime?.hub.stop(),
    closeRpc: () => rpc?.close(),
  };
}
