/** @module Operations routes: GET /healthz (liveness), GET /readyz (readiness), GET <metrics.path> (Prometheus text format). */
import type { FastifyPluginAsync } from 'fastify';
import type { HttpMetrics, Readiness } from '../../ops/index.js';

export interface OpsRoutesOptions {
  readiness: Readiness;
  metrics?: HttpMetrics;
  metricsPath: string;
  /** Renders the exposition text; defaults to this process's registry (cluster mode merges all workers). */
  renderMetrics?: () => Promise<string>;
}

export function opsRoutes(opts: OpsRoutesOptions): FastifyPluginAsync {
  return async (app) => {
    app.get('/healthz', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
      return { status: 'ok' };
    });
    app.get('/readyz', async (_req, reply) => {
      const report = await opts.readiness.report();
      reply.header('cache-control', 'no-store').code(report.status === 'ready' ? 200 : 503);
      return report;
    });
    const metrics = opts.metrics;
    if (metrics) {
      app.get(opts.metricsPath, async (_req, reply) => {
        reply.header('cache-control', 'no-store').type(metrics.registry.contentType);
        return opts.renderMetrics ? opts.renderMetrics() : metrics.registry.metrics();
      });
    }
  };
}
