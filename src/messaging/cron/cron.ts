// Cron schedules (croner syntax, optional seconds field and time zone) that enqueue a
// job on each tick; a TickLock keyed by schedule and tick time makes the tick fire once
// across instances, and the job's idempotency key makes a retried tick harmless.
import { Cron } from 'croner';
import { ValidationError } from '../../core/index.js';
import type { QueueBackend } from '../queue-types.js';
import type { TickLock } from './cron-lock.js';

export interface Schedule {
  /** Unique name, part of the lock and idempotency keys. */
  name: string;
  /** Cron pattern, e.g. `0 3 * * *` or with seconds `*\/10 * * * * *`. */
  pattern: string;
  queue: string;
  payload?: unknown;
  timezone?: string;
}

export interface CronSchedulerDeps {
  queue: QueueBackend;
  lock: TickLock;
  onError?: (err: unknown, schedule: string) => void;
}

/** The payload each cron job carries. */
export interface CronTick {
  schedule: string;
  /** The scheduled instant of this tick, ISO 8601. */
  tick: string;
  payload: unknown;
}

/**
 * The scheduled second of a run that fired at `at`: a run fires at or after it (late on a loaded machine, by up
 * to ~1 s), so it is the second the firing falls in. Rounding to the nearest second named the next second for
 * a run 0.5 s late, and a per-second schedule then skipped that next tick as already taken. 20 ms of slack
 * for a timer a little early.
 */
export function tickOf(at: Date): string {
  return new Date(Math.floor((at.getTime() + 20) / 1000) * 1000).toISOString();
}

/**
 * @example
 * const cron = cronScheduler({ queue, lock: sqliteLock(file) });
 * cron.add({ name: 'nightly-report', pattern: '0 3 * * *', queue: 'reports', timezone: 'Europe/Paris' });
 */
export function cronScheduler(deps: CronSchedulerDeps) {
  const jobs = new Map<string, Cron>();
  const fire = async (s: Schedule, at: Date) => {
    const tick = tickOf(at);
    const key = `cron:${s.name}@${tick}`;
    if (!(await deps.lock.tryLock(key, 24 * 3600_000))) return;
    const body: CronTick = { schedule: s.name, tick, payload: s.payload ?? null };
    await deps.queue.enqueue(s.queue, body, { idempotencyKey: key });
  };
  return {
    add(s: Schedule): void {
      if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(s.name)) throw new ValidationError('A schedule name is 1-100 letters, digits or `_.:-`.', [{ field: 'name', message: 'invalid' }]);
      if (jobs.has(s.name)) throw new ValidationError(`A schedule named ${s.name} exists.`, [{ field: 'name', message: 'duplicate' }]);
      let job: Cron;
      try {
        job = new Cron(s.pattern, { timezone: s.timezone, unref: true, name: undefined }, (self: Cron) => {
          const at = self.currentRun() ?? new Date();
          fire(s, at).catch((err) => deps.onError?.(err, s.name));
        });
      } catch (err) {
        throw new ValidationError(`Invalid cron pattern: ${(err as Error).message}`, [{ field: 'pattern', message: 'invalid cron pattern' }]);
      }
      jobs.set(s.name, job);
    },
    remove(name: string): boolean {
      jobs.get(name)?.stop();
      return jobs.delete(name);
    },
    /** Next run of each schedule, for the admin UI. */
    list(): { name: string; next: string | null }[] {
      return [...jobs].map(([name, j]) => ({ name, next: j.nextRun()?.toISOString() ?? null }));
    },
    stop(): void {
      for (const j of jobs.values()) j.stop();
      jobs.clear();
    },
  };
}
