// The functions capability as one Component: loads the user's files at build time (routes must
// exist before the server listens), runs consumers/subscribers/cron once messaging has started,
// and in watch mode reloads changed files, swapping route handlers and hooks in place.
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { sep } from 'node:path';
import type { FastifyBaseLogger as Logger, FastifyPluginAsync } from 'fastify';
import type { Component, EventHandoffs } from '../core/index.js';
import type { RecordHooks } from '../data/index.js';
import type { TickLock } from '../messaging/index.js';
import { FunctionLoadError } from './errors.js';
import type { ContextServices } from './function-context.js';
import { FUNCTION_KIND } from './function-define.js';
import { hookTable, recordHooks, type HookTable } from './function-hooks.js';
import { assertNoDuplicates, defaultImporter, loadFunctions, type LoadedFunction, type ModuleImporter } from './function-load.js';
import { openapiPaths } from './function-openapi.js';
import { compileRoute, registerRoutes, routeAjv, type CompiledRoute, type Renderer, type RouteTable, type UndeclaredProperties } from './function-routes.js';
import { handOffToSubscribers, startWorkers, type CronRun, type RunningWorkers } from './function-workers.js';
import { watchTree, type TreeWatcher } from './function-watch.js';
import { functionsAvroSchemas, functionsProtoSource } from './function-formats.js';

export interface FunctionsOptions {
  /** Absolute directory of function files. */
  dir: string;
  /** Development: reload on change, and a broken file is logged and skipped instead of stopping start-up. */
  watch: boolean;
  /** Default handler timeout, ms. */
  timeout: number;
  services: ContextServices;
  log: Logger;
  /** The tick lock for cron (shared across instances); asked for at start. */
  lock: () => Promise<TickLock> | TickLock;
  render?: Renderer;
  importer?: ModuleImporter;
  /** Grace for running jobs when consumers stop, ms. */
  stopGraceMs?: number;
  /** Body, query and params properties a route's schema does not declare: removed (default) or a 400. */
  undeclared?: UndeclaredProperties;
  /**
   * The outbox relay's durable consumers: given, subscribers get record-change events at least once
   * through a queue the relay hands them to; without it, from the bus (at most once).
   */
  handoffs?: EventHandoffs;
}

export interface Functions extends Component {
  /** Registers one route per declared method and path. */
  readonly plugin: FastifyPluginAsync;
  /** For the data layer. */
  readonly hooks: RecordHooks;
  /** What is loaded now. */
  loaded(): readonly LoadedFunction[];
  /** OpenAPI path items of the function routes. */
  openapiPaths(): Record<string, Record<string, unknown>>;
  /** Reloads every file (watch mode calls this on change); resolves with the errors seen. */
  reload(): Promise<FunctionLoadError[]>;
  /** Cron schedules: pattern, next run, and the last run of the handler on this instance (for the admin UI). */
  cronJobs(): Array<{ name: string; schedule: string; timezone?: string; next: string | null; last: CronRun | null }>;
}

/**
 * Drops the CommonJS module cache entries of files under `dir`: function files compiled as CommonJS
 * (no `"type": "module"` above them) load their own imports through `require`, whose cache would
 * otherwise keep serving a helper's old code after it was edited.
 */
function forgetCommonJs(dir: string): void {
  const cache = createRequire(import.meta.url).cache;
  let real = dir;
  try {
    real = realpathSync(dir);
  } catch {
    // a missing directory has nothing cached
  }
  const prefixes = [...new Set([dir, real])].map((d) => (d.endsWith(sep) ? d : d + sep));
  for (const key of Object.keys(cache)) if (prefixes.some((p) => key.startsWith(p))) delete cache[key];
}

function compileAll(functions: readonly LoadedFunction[], timeout: number, undeclared?: UndeclaredProperties): Map<string, CompiledRoute> {
  const ajv = routeAjv(undeclared);
  const names = new Set<string>();
  const out = new Map<string, CompiledRoute>();
  for (const f of functions) {
    if (f.def[FUNCTION_KIND] !== 'route') continue;
    try {
      const r = compileRoute(f, ajv, timeout, names);
      out.set(r.key, r);
    } catch (e) {
      throw new FunctionLoadError(f.file, `export ${f.exportName}: invalid schema: ${(e as Error).message}`, { cause: e });
    }
  }
  return out;
}

/**
 * Loads the function files in `opts.dir`. Throws (naming the files) on two functions with the same
 * route, and, unless `watch`, on any file that fails to load.
 *
 * @example
 * const functions = await createFunctions({ dir: resolve('functions'), watch: false, timeout: 30_000, services, log, lock: () => sqliteLock(file) });
 * await app.register(functions.plugin);
 */
export async function createFunctions(opts: FunctionsOptions): Promise<Functions> {
  const importer = opts.importer ?? defaultImporter({ fresh: opts.watch });
  const shutdown = new AbortController();
  const first = await loadFunctions(opts.dir, importer);
  for (const e of first.errors) {
    if (!opts.watch) throw e;
    opts.log.error({ file: e.file, line: e.line }, `function file not loaded: ${e.message}`);
  }
  assertNoDuplicates(first.functions);
  let functions = first.functions;
  const table: RouteTable = { routes: compileAll(functions, opts.timeout, opts.undeclared), inflight: new Set() };
  const registered = new Set(table.routes.keys());
  let hooks: HookTable = hookTable(functions);
  let workers: RunningWorkers | undefined;
  let lock: TickLock | undefined;
  let watcher: TreeWatcher | undefined;
  let started = false;
  let reloading: Promise<FunctionLoadError[]> | undefined;
  let again = false;
  let removeHandoff: (() => void) | undefined;
  const cronRuns = new Map<string, CronRun>();

  const startWorkersNow = async () => {
    lock ??= await opts.lock();
    workers = await startWorkers(functions, { services: opts.services, log: opts.log, lock, signal: shutdown.signal, durableRecords: opts.handoffs !== undefined, cronRuns });
  };

  async function reloadOnce(): Promise<FunctionLoadError[]> {
    forgetCommonJs(opts.dir);
    const next = await loadFunctions(opts.dir, importer);
    // A broken file keeps its last good definitions, so the server goes on serving them.
    const broken = new Set(next.errors.map((e) => e.file));
    const merged = [...next.functions, ...functions.filter((f) => broken.has(f.file))];
    for (const e of next.errors) opts.log.error({ file: e.file, line: e.line }, `function file not reloaded: ${e.message}`);
    let routes: Map<string, CompiledRoute>;
    try {
      assertNoDuplicates(merged);
      routes = compileAll(merged, opts.timeout, opts.undeclared);
    } catch (e) {
      opts.log.error({ err: e }, 'functions not reloaded');
      return [...next.errors, e instanceof FunctionLoadError ? e : new FunctionLoadError(opts.dir, (e as Error).message)];
    }
    for (const key of routes.keys()) if (!registered.has(key)) opts.log.warn({ route: key }, 'a new function route needs a restart to be served');
    functions = merged;
    table.routes = routes;
    hooks = hookTable(functions);
    if (started) {
      await workers?.stop(opts.stopGraceMs ?? 5_000);
      workers = undefined;
      await startWorkersNow();
    }
    opts.log.info({ functions: functions.length }, 'functions reloaded');
    return next.errors;
  }

  const component: Functions = {
    name: 'functions',
    plugin: async (app) => {
      // The function routes' messages, for protoc and Avro readers (what a hot reload changed shows at once).
      app.get('/api/functions.proto', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(functionsProtoSource(table.routes.values())));
      app.get('/api/functions.avsc', async () => functionsAvroSchemas(table.routes.values()));
      registerRoutes(app, table.routes.values(), { table, services: opts.services, render: opts.render });
    },
    hooks: recordHooks(() => hooks, { services: opts.services, log: opts.log, signal: shutdown.signal }),
    loaded: () => functions,
    openapiPaths: () => openapiPaths(table.routes.values()),
    cronJobs: () => (workers?.schedules() ?? []).map((c) => ({ ...c, last: cronRuns.get(c.name) ?? null })),
    reload() {
      // One reload at a time; changes during a reload trigger one more.
      if (reloading) {
        again = true;
        return reloading;
      }
      reloading = (async () => {
        try {
          let errors: FunctionLoadError[];
          do {
            again = false;
            errors = await reloadOnce();
          } while (again);
          return errors;
        } finally {
          reloading = undefined;
        }
      })();
      return reloading;
    },
    async start() {
      await startWorkersNow();
      // what is loaded now (reloads included) gets the events the relay hands over
      removeHandoff = opts.handoffs?.add({ name: 'functions', handoff: (events) => handOffToSubscribers(functions, opts.services.queue(), events) });
      started = true;
      if (opts.watch) {
        try {
          watcher = watchTree(opts.dir, {
            onChange: () => void component.reload().catch((err) => opts.log.error({ err }, 'functions reload failed')),
            onError: (err) => opts.log.warn({ err }, 'functions watcher: a directory could not be watched'),
          });
        } catch (err) {
          opts.log.warn({ err, dir: opts.dir }, 'cannot watch the functions directory; hot reload is off');
        }
      }
    },
    async stop() {
      removeHandoff?.();
      removeHandoff = undefined;
      watcher?.close();
      started = false;
      shutdown.abort();
      for (const ac of table.inflight) ac.abort();
      await reloading?.catch(() => undefined);
      await workers?.stop(opts.stopGraceMs ?? 5_000);
      workers = undefined;
      await lock?.close();
      lock = undefined;
    },
    ready: () => started,
  };
  return component;
}
