// The consumer shared by pull-based backends (SQLite, Redis streams): claims
// jobs in batches under a lease, runs up to `concurrency` handlers, acks,
// retries with backoff or dead-letters, and stops gracefully.
import { DEFAULT_BACKOFF, errorText, retryDelay } from './job-options.js';
import { checkRateLimit, encodeProgress, PROGRESS_TTL_MS, type QueueSideState } from './queue-side.js';
import type { Backoff, ConsumeOptions, Consumer, Handler, Job } from './queue-types.js';

/** One delivery of a job; `token` lets the backend ignore an ack from a delivery whose lease was lost. */
export interface Claimed<T = unknown> {
  job: Job<T>;
  token: string;
  claimedAt: number;
}

export interface ClaimDriver {
  claim(limit: number, leaseMs: number): Promise<Claimed[]>;
  ack(c: Claimed): Promise<void>;
  retry(c: Claimed, error: string, runAt: number): Promise<void>;
  dead(c: Claimed, error: string): Promise<void>;
  /** Give claimed jobs back without counting the attempt. */
  release(cs: Claimed[]): Promise<void>;
  /** Resolve after `ms`, or earlier when new work may be there or `signal` aborts. */
  wait(ms: number, signal: AbortSignal): Promise<void>;
}

export interface LoopOptions extends ConsumeOptions {
  /** Where the queue's rate-limit window and job progress live (the backend's shared store). */
  side: { queue: string; state: QueueSideState };
  pollMs?: number;
  /** Most jobs claimed in one round trip. */
  maxBatch?: number;
  onError?: (err: unknown) => void;
}

export function startClaimLoop<T>(driver: ClaimDriver, handler: Handler<T>, options: LoopOptions): Consumer {
  checkRateLimit(options.rateLimit);
  const loop = new ClaimLoop(driver, handler as Handler, options);
  void loop.run();
  return loop;
}

class ClaimLoop implements Consumer {
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly batch: number;
  private readonly backoff: Backoff;
  private readonly stopCtl = new AbortController();
  private readonly abortCtl = new AbortController();
  private readonly running = new Map<Claimed, Promise<void>>();
  private readonly settling = new Set<Promise<void>>();
  private buffer: Claimed[] = [];
  private slotFreed: (() => void) | undefined;
  private stopped?: Promise<void>;
  private feeder?: Promise<void>;

  constructor(
    private readonly driver: ClaimDriver,
    private readonly handler: Handler,
    private readonly options: LoopOptions,
  ) {
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 100;
    this.batch = Math.min(options.maxBatch ?? 100, Math.max(this.concurrency * 4, 16));
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
  }

  run(): Promise<void> {
    this.feeder = this.feed();
    return this.feeder;
  }

  private async feed(): Promise<void> {
    const stop = this.stopCtl.signal;
    while (!stop.aborted) {
      if (this.running.size >= this.concurrency) {
        await new Promise<void>((r) => (this.slotFreed = r));
        continue;
      }
      if (this.buffer.length === 0) {
        try {
          const limit = this.options.rateLimit;
          if (limit) {
            // Only as many starts as there are free slots are taken from the window; unused ones go back.
            const { queue, state } = this.options.side;
            const { granted, retryInMs } = await state.take(queue, this.concurrency - this.running.size, limit);
            if (granted === 0) {
              await this.driver.wait(Math.max(5, retryInMs), stop).catch(() => {});
              // driver.wait also ends on new work: go round, the window decides.
              continue;
            }
            this.buffer = await this.driver.claim(granted, this.leaseMs);
            if (this.buffer.length < granted) await state.giveBack(queue, granted - this.buffer.length);
          } else this.buffer = await this.driver.claim(this.batch, this.leaseMs);
        } catch (err) {
          this.options.onError?.(err);
          await this.driver.wait(this.pollMs * 5, stop).catch(() => {});
          continue;
        }
        if (stop.aborted) break;
        if (this.buffer.length === 0) {
          await this.driver.wait(this.pollMs, stop).catch(() => {});
          continue;
        }
      }
      const stale: Claimed[] = [];
      while (this.running.size < this.concurrency && this.buffer.length > 0) {
        const c = this.buffer.shift() as Claimed;
        // A job that waited in the local buffer for half its lease goes back rather than risk running twice at once.
        if (Date.now() - c.claimedAt > this.leaseMs / 2) stale.push(c);
        else this.start(c);
      }
      if (stale.length > 0) await this.driver.release(stale).catch((e) => this.options.onError?.(e));
    }
  }

  private start(c: Claimed): void {
    const p = this.execute(c).finally(() => {
      this.running.delete(c);
      const f = this.slotFreed;
      this.slotFreed = undefined;
      f?.();
    });
    this.running.set(c, p);
  }

  /** Run the handler; the slot frees when it returns, while the ack/retry/dead-letter goes on in the background. */
  private async execute(c: Claimed): Promise<void> {
    if (this.options.maxAttempts !== undefined) c.job.maxAttempts = this.options.maxAttempts;
    let failure: unknown;
    let ok = false;
    try {
      const { queue, state } = this.options.side;
      await this.handler(c.job, { signal: this.abortCtl.signal, progress: async (v) => state.setProgress(queue, c.job.id, encodeProgress(v), PROGRESS_TTL_MS) });
      ok = true;
    } catch (err) {
      failure = err;
    }
    if (this.abortCtl.signal.aborted) return; // released by stop(); the lease holder is someone else now
    const settle = (async () => {
      try {
        if (ok) await this.driver.ack(c);
        else if (c.job.attempt >= c.job.maxAttempts) await this.driver.dead(c, errorText(failure));
        else await this.driver.retry(c, errorText(failure), Date.now() + retryDelay(c.job.attempt, this.backoff));
      } catch (err) {
        this.options.onError?.(err); // the lease expires and the job is delivered again
      }
    })();
    this.settling.add(settle);
    void settle.finally(() => this.settling.delete(settle));
  }

  stop(graceMs = 10_000): Promise<void> {
    this.stopped ??= (async () => {
      this.stopCtl.abort();
      this.slotFreed?.();
      await this.feeder;
      const unstarted = this.buffer;
      this.buffer = [];
      if (unstarted.length > 0) await this.driver.release(unstarted).catch((e) => this.options.onError?.(e));
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        Promise.allSettled([...this.running.values()]).then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        const left = [...this.running.keys()];
        this.abortCtl.abort();
        await this.driver.release(left).catch((e) => this.options.onError?.(e));
      }
      await Promise.allSettled([...this.settling]);
    })();
    return this.stopped;
  }
}
