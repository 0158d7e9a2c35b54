// `strata serve`: one process, or a node:cluster primary with N workers
// sharing the ports. Handles signals for graceful shutdown.
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import type { StrataConfig } from '../config/index.js';
import { resolveTlsFiles } from '../edge/index.js';
import { flushLogger } from '../ops/index.js';
import { createServer, type StrataServer } from './server.js';
import { primaryMetrics } from './cluster-metrics.js';
import { relayBus } from './cluster-bus.js';

export interface ServeOptions {
  version: string;
  /** Where the banner goes (stdout by default), written in one piece. */
  print?: (line: string) => void;
  /** Called after the server is built and before it listens: add routes or components (used by embedding code and tests). */
  configure?: (server: StrataServer) => Promise<void> | void;
}

interface ListeningMessage {
  type: 'strata:listening';
  urls: Array<{ kind: 'http' | 'https'; url: string }>;
  ca?: string;
  /** One-time token for the first superuser (printed, never logged). */
  setupToken?: string;
}

export function workerCount(config: StrataConfig): number {
  const w = config.server.workers;
  if (w === 'auto') return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return w;
}

function banner(config: StrataConfig, msg: ListeningMessage, version: string, workers: number): string[] {
  const http = msg.urls.find((u) => u.kind === 'http')?.url;
  const https = msg.urls.find((u) => u.kind === 'https')?.url;
  const base = http ?? https ?? '';
  const lines = [`Strata ${version} is running (pid ${process.pid}${workers > 1 ? `, ${workers} workers` : ''}; data: ${resolve(config.dataDir)})`];
  if (http) lines.push(`  listening on ${http}`);
  if (https) lines.push(`  listening on ${https}  (${config.server.https.http2 ? 'HTTP/2 and HTTP/1.1' : 'HTTP/1.1'} over TLS)`);
  lines.push(`  health:  ${base}/healthz    ready: ${base}/readyz`);
  if (config.metrics.enabled) lines.push(`  metrics: ${base}${config.metrics.path}`);
  if (msg.ca) lines.push(`  TLS: development certificate; trust its CA to avoid warnings: ${msg.ca}`);
  if (msg.setupToken) lines.push(`  setup:   no superuser yet; create one within 24 h at ${https ?? base}/_strata/setup#${msg.setupToken}  (or: strata superuser create)`);
  return lines;
}

async function runSingle(config: StrataConfig, log: Logger, opts: ServeOptions): Promise<void> {
  // A worker whose primary dies while it is still starting must not live on
  // as an orphan holding the port; the graceful handler below replaces this.
  const orphaned = () => process.exit(1);
  if (cluster.isWorker) process.once('disconnect', orphaned);
  let server: StrataServer;
  try {
    server = await createServer(config, log);
    await opts.configure?.(server);
    await server.start();
  } catch (e) {
    flushLogger(log);
    throw e;
  }
  const msg: ListeningMessage = { type: 'strata:listening', urls: server.edge.urls(), ca: server.edge.tls?.ca, setupToken: server.setupToken };
  if (cluster.isWorker) process.send?.(msg);
  else (opts.print ?? console.log)(banner(config, msg, opts.version, 1).join('\n'));

  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    log.info({ signal }, 'shutting down');
    server.stop().then(
      () => {
        log.info('stopped');
        flushLogger(log);
        process.exit(0);
      },
      (err) => {
        log.error({ err }, 'shutdown failed');
        flushLogger(log);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  if (cluster.isWorker) {
    process.off('disconnect', orphaned);
    process.on('disconnect', () => shutdown('primary-gone'));
  }
}

async function runPrimary(config: StrataConfig, log: Logger, opts: ServeOptions, workers: number): Promise<void> {
  // Made once here so workers never race to create it.
  const tls = await resolveTlsFiles(config);
  // Workers accept from the shared socket themselves. With the default
  // round-robin, the primary hands each connection to a worker over IPC, and a
  // connection handed to a worker that was just SIGKILLed hangs forever.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let stopping = false;
  let printed = false;
  const recentExits: number[] = [];

  const onMetrics = primaryMetrics();
  const fork = (): Worker => {
    const w = cluster.fork({ STRATA_WORKER: '1' });
    w.on('message', (m: unknown) => onMetrics(w, m));
    // Record-change events published on one worker's in-process bus reach the other workers.
    if (config.messaging.bus.backend === 'memory') w.on('message', (m: unknown) => relayBus(w, m));
    w.on('message', (m: ListeningMessage) => {
      if (m?.type !== 'strata:listening') return;
      if (m.setupToken && printed) (opts.print ?? console.log)(`  setup:   no superuser yet; create one within 24 h at ${m.urls.find((u) => u.kind === 'https')?.url ?? m.urls[0]?.url}/_strata/setup#${m.setupToken}`);
      if (printed) return;
      printed = true;
      (opts.print ?? console.log)(banner(config, { ...m, ca: tls?.ca }, opts.version, workers).join('\n'));
    });
    return w;
  };

  cluster.on('exit', (w, code, signal) => {
    if (stopping) return;
    if (!printed) {
      // A worker died before any worker listened: a start-up failure (port taken, bad data dir, full
      // disk) that every replacement would repeat. Exit non-zero now so a supervisor sees it.
      stopping = true;
      log.error({ worker: w.process.pid, code, signal }, 'a worker failed to start; stopping');
      for (const other of Object.values(cluster.workers ?? {})) if (other && !other.isDead()) other.process.kill('SIGKILL');
      flushLogger(log);
      process.exit(typeof code === 'number' && code !== 0 ? code : 1);
    }
    const now = Date.now();
    recentExits.push(now);
    while (recentExits.length > 0 && recentExits[0] < now - 60_000) recentExits.shift();
    // Back off when workers die in a loop (bad code, exhausted resources).
    const delay = Math.min(30_000, 100 * 2 ** Math.max(0, recentExits.length - 1));
    log.warn({ worker: w.process.pid, code, signal, restartInMs: delay }, 'worker died; starting a new one');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay).unref();
  });

  for (let i = 0; i < workers; i++) fork();

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down workers');
    const alive = Object.values(cluster.workers ?? {}).filter((w): w is Worker => Boolean(w && !w.isDead()));
    const deadline = setTimeout(() => {
      for (const w of alive) if (!w.isDead()) w.process.kill('SIGKILL');
    }, config.server.shutdownGrace + 5_000);
    Promise.all(alive.map((w) => new Promise<void>((r) => (w.isDead() ? r() : (w.once('exit', () => r()), w.process.kill('SIGTERM')))))).then(() => {
      clearTimeout(deadline);
      log.info('stopped');
      flushLogger(log);
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

/** Runs the server until a signal stops it. */
export async function runServe(config: StrataConfig, log: Logger, opts: ServeOptions): Promise<void> {
  const workers = workerCount(config);
  if (workers > 1 && cluster.isPrimary) return runPrimary(config, log, opts, workers);
  return runSingle(config, log, opts);
}
