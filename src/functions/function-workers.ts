// Consumers, subscribers and cron jobs from function files. Cron ticks go through the messaging
// cron (a tick lock makes each tick fire once across instances) onto one queue whose consumer
// runs the named schedule's handler, so a crashed tick is retried like any job.
import type { FastifyBaseLogger as Logger } from 'fastify';
import { recordTopic, type RecordChangeEvent, type ValidationError } from '../core/index.js';
import { checkConsumeOptions, cronScheduler, topicMatches, type Consumer, type CronTick, type QueueBackend, type TickLock } from '../messaging/index.js';
import { FunctionLoadError } from './errors.js';
import { functionContext, type ContextServices } from './function-context.js';
import type { ConsumerDefinition, CronDefinition, SubscriberDefinition } from './function-define.js';
import { FUNCTION_KIND } from './function-define.js';
import { cronName, type LoadedFunction } from './function-load.js';

/** The queue cron ticks travel on. */
export const CRON_QUEUE = 'strata-functions-cron';

/** The queue record-change events travel on to subscribers: handed over by the outbox relay, durably. */
export const SUBSCRIBER_QUEUE = 'strata-functions-events';

/** A subscriber's name on its queue jobs: file and export. */
const subscriberName = (f: LoadedFunction): string => `${f.file}#${f.exportName}`;

/** Whether a topic is a record-change topic (those reach subscribers through SUBSCRIBER_QUEUE, not the bus). */
const isRecordTopic = (topic: string): boolean => topic.startsWith('records.');

interface SubscriberJob {
  subscriber: string;
  topic: string;
  event: RecordChangeEvent;
}

/**
 * The durable hand-off of record-change events to the subscribers among `functions`: one job per
 * matching subscriber and event on SUBSCRIBER_QUEUE, committed before this resolves, keyed by
 * subscriber and event id (handed over again after a crash, nothing is enqueued twice).
 */
export async function handOffToSubscribers(functions: readonly LoadedFunction[], queue: QueueBackend, events: readonly RecordChangeEvent[]): Promise<void> {
  const subs = functions.filter((f) => f.def[FUNCTION_KIND] === 'subscriber');
  if (subs.length === 0) return;
  const jobs: { payload: SubscriberJob; options: { idempotencyKey: string } }[] = [];
  for (const e of events) {
    const topic = recordTopic(e.collection, e.action);
    for (const f of subs) {
      if (!topicMatches((f.def as unknown as SubscriberDefinition).topic, topic)) continue;
      const subscriber = subscriberName(f);
      jobs.push({ payload: { subscriber, topic, event: e }, options: { idempotencyKey: `${subscriber}:${e.id}` } });
    }
  }
  if (jobs.length > 0) await queue.enqueueBulk(SUBSCRIBER_QUEUE, jobs);
}

export interface WorkerDeps {
  /** Where the last run of each cron schedule is kept (owned by the caller, so it outlives a reload). */
  cronRuns?: Map<string, CronRun>;
  services: ContextServices;
  log: Logger;
  lock: TickLock;
  /** Aborted on shutdown. */
  signal: AbortSignal;
  /** Record-change events come through SUBSCRIBER_QUEUE (the relay hands them over), so the bus path skips them. */
  durableRecords?: boolean;
}

export interface RunningWorkers {
  stop(graceMs?: number): Promise<void>;
  /** Each cron schedule with its next run (this instance's scheduler). */
  schedules(): { name: string; schedule: string; timezone?: string; next: string | null }[];
}

/** The last run of a cron schedule's handler on this instance. */
export interface CronRun {
  tick: string;
  /** When the handler finished. */
  at: string;
  outcome: 'success' | 'failure';
  /** The error's message, first 200 characters (failures only). */
  error?: string;
  durationMs: number;
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
  const subscribers = new Map<string, { def: SubscriberDefinition; log: Logger }>();
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
        const options = { concurrency: def.concurrency ?? 1, leaseMs: def.leaseMs, maxAttempts: def.maxAttempts, backoff: def.backoff, rateLimit: def.rateLimit };
        try {
          checkConsumeOptions(options, 'defineConsumer');
        } catch (e) {
          const fields = (e as ValidationError).errors?.map((x) => `${x.field} ${x.message}`).join('; ');
          throw new FunctionLoadError(f.file, `export ${f.exportName}: ${fields ?? (e as Error).message}`, { cause: e });
        }
        consumers.push(
          await deps.services.queue().consume(
            def.queue,
            (job, hctx) => def.handler(job, Object.assign(functionContext(deps.services, null, log.child({ jobId: job.id, attempt: job.attempt }), AbortSignal.any([hctx.signal, deps.signal])), { progress: hctx.progress })),
            // Unset options fall back to messaging.queue.consumer.
            Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
          ),
        );
      } else if (kind === 'subscriber') {
        const def = f.def as unknown as SubscriberDefinition;
        subscribers.set(subscriberName(f), { def, log });
        unsubscribes.push(
          await deps.services.bus().subscribe(def.topic, async (payload, topic) => {
            if (deps.durableRecords && isRecordTopic(topic)) return;
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
    if (deps.durableRecords && subscribers.size > 0) {
      // at least once: a throw (or a crash) runs the subscriber again, with the queue's retries
      consumers.push(
        await deps.services.queue().consume<SubscriberJob>(SUBSCRIBER_QUEUE, async (job, hctx) => {
          const s = subscribers.get(job.payload.subscriber);
          if (!s) return; // a subscriber this instance no longer has (renamed or removed)
          const { topic, event } = job.payload;
          const log = s.log.child({ topic, event: event.id, attempt: job.attempt });
          try {
            await s.def.handler(event, Object.assign(functionContext(deps.services, null, log, AbortSignal.any([hctx.signal, deps.signal])), { topic }));
          } catch (err) {
            log.error({ err, topic }, 'subscriber failed');
            throw err;
          }
        }),
      );
    }
    if (crons.size > 0) {
      consumers.push(
        await deps.services.queue().consume<CronTick>(CRON_QUEUE, async (job, hctx) => {
          const c = crons.get(job.payload.schedule);
          // A tick from a schedule this instance no longer has (renamed or removed): nothing to run.
          if (!c) return;
          const log = deps.log.child({ function: `${c.f.file}#${c.f.exportName}`, schedule: job.payload.schedule, tick: job.payload.tick });
          const started = Date.now();
          const done = (outcome: CronRun['outcome'], err?: unknown) =>
            deps.cronRuns?.set(job.payload.schedule, { tick: job.payload.tick, at: new Date().toISOString(), outcome, durationMs: Date.now() - started, ...(err === undefined ? {} : { error: String(err instanceof Error ? err.message : err).slice(0, 200) }) });
          try {
            await c.def.handler(Object.assign(functionContext(deps.services, null, log, AbortSignal.any([hctx.signal, deps.signal])), { tick: job.payload.tick }));
          } catch (err) {
            done('failure', err);
            throw err;
          }
          done('success');
        }),
      );
    }
  } catch (e) {
    await stopAll(0);
    throw e;
  }
  const next = new Map(scheduler.list().map((x) => [x.name, x.next]));
  return {
    stop: stopAll,
    schedules: () => {
      const now = new Map(scheduler.list().map((x) => [x.name, x.next]));
      return [...crons].map(([name, c]) => ({ name, schedule: c.def.schedule, timezone: c.def.timezone, next: now.get(name) ?? next.get(name) ?? null }));
    },
  };
}
