// The composition root: builds every capability from config, starts them in
// order, and on shutdown drains the edge and stops everything in reverse.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Component } from '../core/index.js';
import type { StrataConfig } from '../config/index.js';
import { Edge } from '../edge/index.js';
import cluster from 'node:cluster';
import { createMetrics, opsRoutes, Readiness, type HttpMetrics } from '../ops/index.js';
import { workerMetrics } from './cluster-metrics.js';

export interface StrataServer {
  readonly config: StrataConfig;
  readonly edge: Edge;
  readonly readiness: Readiness;
  readonly metrics?: HttpMetrics;
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
  const readiness = new Readiness();
  const edge = await Edge.create({ config, log, metrics });

  // Capabilities are built here, before the edge starts listening, and
  // register their routes on edge.app. The edge is started last.
  const components: Component[] = [];
  const renderMetrics = metrics && cluster.isWorker ? workerMetrics(metrics.registry) : undefined;
  await edge.app.register(opsRoutes({ readiness, metrics, metricsPath: config.metrics.path, renderMetrics }));

  const started: Component[] = [];
  let stopping: Promise<void> | undefined;

  return {
    config,
    edge,
    readiness,
    metrics,
    async start() {
      for (const c of [...components, edge]) {
        readiness.track(c);
        await c.start?.();
        started.push(c);
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
