// The composition root in three steps: build the services (config → engines → capabilities, in
// services.ts), start them and mount the routes on the live services (routes.ts), listen. On
// shutdown it drains the edge and stops everything in reverse.
import type { Logger } from 'pino';
import type { Component } from '../core/index.js';
import type { StrataConfig } from '../config/index.js';
import type { Edge } from '../edge/index.js';
import type { HttpMetrics, Readiness } from '../ops/index.js';
import type { Accounts, DataLayer } from '../data/index.js';
import type { WafComponent } from '../waf/index.js';
import type { Gateway } from '../gateway/index.js';
import type { Functions } from '../functions/index.js';
import { buildServices, type Services } from './services.js';
import { mountRoutes, type MountedRoutes } from './routes.js';

export interface StrataServer {
  readonly config: StrataConfig;
  readonly edge: Edge;
  readonly readiness: Readiness;
  readonly metrics?: HttpMetrics;
  readonly data: DataLayer;
  readonly cache: Services['cache'];
  readonly messaging: Services['messaging'];
  readonly waf: WafComponent;
  readonly gateway: Gateway;
  readonly auth: Services['auth'];
  /** Accounts of auth collections (after start). */
  readonly accounts: Accounts;
  /** The one-time link token to create the first superuser, when none exists (after start). */
  readonly setupToken: string | undefined;
  readonly functions: Functions;
  /** Backups the server takes (backup.schedule, the admin API). */
  readonly backups: Services['backups'];
  /** Storage of file fields, file tokens and the orphan sweep. */
  readonly files: Services['files'];
  /** Starts the services in order, mounts the routes on them, then listens. */
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
  const s = await buildServices(config, log);
  const { edge, readiness, engines } = s;
  const started: Component[] = [];
  let mounted: MountedRoutes | undefined;
  let stopping: Promise<void> | undefined;

  const startOne = async (c: Component) => {
    readiness.track(c);
    await c.start?.();
    started.push(c);
  };

  return {
    config,
    edge,
    readiness,
    metrics: s.metrics,
    data: s.data,
    cache: s.cache,
    messaging: s.messaging,
    waf: s.waf,
    gateway: s.gateway,
    auth: s.auth,
    get accounts() {
      return s.setup.accounts;
    },
    get setupToken() {
      return s.setup.setupToken;
    },
    functions: s.functions,
    backups: s.backups,
    files: s.files,
    async start() {
      try {
        for (const c of s.components) await startOne(c);
        mounted = await mountRoutes(s);
        await startOne(edge); // the edge listens last, once every route is in place
      } catch (e) {
        // the edge holds a certificate watcher and maybe a bound listener even when it failed to listen
        await edge.abort().catch(() => undefined);
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
        await mounted?.stopRealtime();
        mounted?.closeRpc(); // open Watch streams end so the drain need not wait for them
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
