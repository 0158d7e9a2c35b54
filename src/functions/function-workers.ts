// Consumers, subscribers and cron jobs from function files. Cron ticks go through the messaging
// cron (a tick lock makes each tick fire once across instances) onto one queue whose consumer
// runs the named schedule's handler, so a crashed tick is retried like any job.
import type { FastifyBaseLogger as Logger } from 'fastify';
import { cronScheduler, type Consumer, type CronTick, type TickLock } from '../messaging/index.js';
import { functionContext, type ContextServices } from './function-context.js';
import type { ConsumerDefinition, CronDefinition, SubscriberDefinition } from './function-define.js';
import { FUNCTION_KIND } from './function-define.js';
import { cronName, type LoadedFunction } from './function-load.js';

/** The queue cron ticks travel on. */
export const CRON_QUEUE = 'strata-functions-cron';

export interface WorkerDeps {
  services: ContextServices;
  log: Logger;
  lock: TickLock;
  /** Aborted on shutdown. */
  signal: AbortSignal;
}

export interface RunningWorkers {
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts every consumer, subscriber and cron schedule among `functions`.
 *
 * @example
 * const workers = await startWorkers(loaded.functions, { services, log, lock: sqliteLock(file), signal });
 * await workers.stop(5_000);
 */
export async function startWorkers(functions: readonly LoadedFunction[], deps: WorkerDeps): Promise<RunningWorkers> {
  const consumers: Consumer[] = [];
  const unsubscribes: (() => Promise<void>)[] = [];
  const crons = new Map<string, { f: LoadedFunction; def: CronDefinition }>();
  const scheduler = cronScheduler({ queue: deps.services.queue(), lock: deps.lock, onError: (err, name) => deps.log.error({ err, schedule: name }, 'cron tick failed to enqueue') });
  const stopAll = async (graceMs?: number) => {
    scheduler.stop();
    await Promise.all(unsubscribes.map((u) => u().catch(() => undefined)));
    await Promise.all(consumers.map((c) => c.stop(graceMs)));
  };
  try {
    for (const f of functions) {
      const kind = f.def[FUNCTION_KIND];
      const log = deps.log.child({ function: `${f.file}#${f.exportName}` });
      if (kind === 'consumer') {
        const def = f.def as unknown as ConsumerDefinition;
        consumers.push(
          await deps.services.queue().consume(
            def.queue,
            (job, hctx) => def.handler(job, functionContext(deps.services, null, log.child({ jobId: job.id, attempt: job.attempt }), AbortSignal.any([hctx.signal, deps.signal]))),
            { concurrency: def.concurrency ?? 1 },
          ),
        );
      } else if (kind === 'subscriber') {
        const def = f.def as unknown as SubscriberDefinition;
        unsubscribes.push(
          await deps.services.bus().subscribe(def.topic, async (payload, topic) => {
            const ctx = Object.assign(functionContext(deps.services, null, log.child({ topic }), deps.signal), { topic });
            try {
              await def.handler(payload, ctx);
            } catch (err) {
              log.error({ err, topic }, 'subscriber failed');
            }
          }),
        );
      } else if (kind === 'cron') {
        const def = f.def as unknown as CronDefinition;
        const name = cronName(f);
        crons.set(name, { f, def });
        scheduler.add({ name, pattern: def.schedule, timezone: def.timezone, queue: CRON_QUEUE });
      }
    }
    if (crons.size > 0) {
      consumers.push(
        await deps.services.queue().consume<CronTick>(CRON_QUEUE, async (job, hctx) => {
          const c = crons.get(job.payload.schedule);
          // A tick from a schedule this instance no longer has (renamed or removed): nothing to run.
          if (!c) return;
          const log = deps.log.child({ function: `${c.f.file}#${c.f.exportName}`, schedule: job.payload.schedule, tick: job.payload.tick });
          await c.def.handler(Object.assign(functionContext(deps.services, null, log, AbortSignal.any([hctx.signal, deps.signal])), { tick: job.payload.tick }));
        }),
      );
    }
  } catch (e) {
    await stopAll(0);
    throw e;
  }
  return { stop: stopAll };
}
