// A RabbitMQ consumer: manual acks, prefetch = concurrency, a client-side lease
// (RabbitMQ only redelivers when the channel dies), retries and dead letters
// re-published with confirms before the original is acked (at-least-once).
import type { Channel, ConsumeMessage } from 'amqplib';
import { DEFAULT_BACKOFF, errorText, retryDelay } from '../job-options.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkRateLimit, encodeProgress, PROGRESS_TTL_MS } from '../queue-side.js';
import type { Backoff, ConsumeOptions, Handler, RateLimit } from '../queue-types.js';
import { names, readWire, toJob, type WireJob } from './rabbitmq-format.js';
import type { RabbitQueue } from './rabbitmq.js';

interface Delivery {
  msg: ConsumeMessage;
  ch: Channel;
  wire: WireJob;
  attempt: number;
  settled: boolean;
  done: Promise<void>;
}

export class RabbitConsumer {
  private ch?: Channel;
  private tag?: string;
  private stopping = false;
  private pollTimer?: NodeJS.Timeout;
  private readonly running = new Set<Delivery>();
  private readonly abort = new AbortController();
  private readonly backoff: Backoff;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly maxAttempts: number | undefined;
  private readonly rateLimit: RateLimit | undefined;
  private readonly onPauseChange = () => void this.sync().catch(() => {});

  constructor(
    private readonly backend: RabbitQueue,
    readonly queue: string,
    private readonly handler: Handler,
    options: ConsumeOptions,
  ) {
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxAttempts = options.maxAttempts;
    checkRateLimit(options.rateLimit);
    this.rateLimit = options.rateLimit;
    backend.events.on(`pause:${queue}`, this.onPauseChange);
  }

  get inFlight(): number {
    return this.running.size;
  }

  /** (Re)open the channel after a connect; consume unless the queue is paused. */
  async attach(): Promise<void> {
    if (this.stopping) return;
    const ch = await this.backend.connection().createChannel();
    ch.on('error', () => {});
    ch.on('close', () => {
      if (this.ch === ch) {
        this.ch = undefined;
        this.tag = undefined;
      }
    });
    await ch.prefetch(this.concurrency);
    this.ch = ch;
    await this.sync();
    clearInterval(this.pollTimer);
    this.pollTimer = setInterval(() => void this.sync().catch(() => {}), this.backend.options.pollMs ?? 500);
  }

  /** Follow the shared pause flag: cancel the subscription while paused, resume it after. */
  private async sync(): Promise<void> {
    const ch = this.ch;
    if (!ch || this.stopping) return;
    const paused = await this.backend.isPaused(this.queue);
    if (paused && this.tag) {
      const tag = this.tag;
      this.tag = undefined;
      await ch.cancel(tag);
    } else if (!paused && !this.tag) {
      this.tag = 'pending';
      try {
        const r = await ch.consume(names(this.backend.prefix, this.queue).main, (m) => m && this.onMessage(ch, m), { noAck: false });
        this.tag = r.consumerTag;
      } catch (err) {
        this.tag = undefined;
        throw err;
      }
    }
  }

  private onMessage(ch: Channel, msg: ConsumeMessage): void {
    const read = readWire(msg, this.backend.defaults.maxAttempts);
    const wire = this.maxAttempts === undefined ? read : { ...read, maxAttempts: this.maxAttempts };
    // A delayed job arriving from a bucket before its time hops on to the next bucket.
    if (wire.runAt !== undefined && wire.runAt > Date.now()) {
      this.backend.publishJob(this.queue, wire).then(
        () => ch.ack(msg),
        () => ch.nack(msg, false, true),
      );
      return;
    }
    // Redelivered by the broker after a channel or connection died mid-job: that delivery counted.
    const attempt = wire.attempts + 1 + (msg.fields.redelivered ? 1 : 0);
    const d: Delivery = { msg, ch, wire, attempt, settled: false, done: Promise.resolve() };
    if (attempt > wire.maxAttempts) {
      d.done = this.settle(d, 'dead', 'lease expired: the worker died before finishing');
      return;
    }
    this.running.add(d);
    d.done = this.run(d).finally(() => this.running.delete(d));
  }

  /** Waits for a start in the queue's rate-limit window; false when the consumer stopped meanwhile. */
  private async startAllowed(limit: RateLimit): Promise<boolean> {
    while (!this.stopping) {
      const { granted, retryInMs } = await this.backend.side.take(this.queue, 1, limit);
      if (granted > 0) return true;
      await sleep(Math.max(5, Math.min(retryInMs, 250)), undefined, { signal: this.abort.signal }).catch(() => {});
    }
    return false;
  }

  private async run(d: Delivery): Promise<void> {
    // Over the queue's rate limit the delivery waits (it holds a prefetch slot, not a lease).
    if (this.rateLimit && !(await this.startAllowed(this.rateLimit))) return this.settle(d, 'release');
    const lease = setTimeout(() => void this.settle(d, 'lease'), this.leaseMs);
    let failure: unknown;
    let ok = false;
    try {
      const id = d.wire.id;
      await this.handler(toJob(this.queue, d.wire, d.attempt), { signal: this.abort.signal, progress: async (v) => this.backend.side.setProgress(this.queue, id, encodeProgress(v), PROGRESS_TTL_MS) });
      ok = true;
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(lease);
    }
    if (ok) await this.settle(d, 'ack');
    else if (d.attempt >= d.wire.maxAttempts) await this.settle(d, 'dead', errorText(failure));
    else await this.settle(d, 'retry', errorText(failure));
  }

  /** Exactly one outcome per delivery; the broker copy is acked only after the follow-up is confirmed. */
  private async settle(d: Delivery, how: 'ack' | 'retry' | 'dead' | 'lease' | 'release', error?: string): Promise<void> {
    if (d.settled) return;
    d.settled = true;
    const w = d.wire;
    try {
      if (how === 'retry') await this.backend.publishJob(this.queue, { ...w, attempts: d.attempt, lastError: error, runAt: Date.now() + retryDelay(d.attempt, this.backoff) });
      else if (how === 'dead') await this.backend.publish(names(this.backend.prefix, this.queue).dead, w.body, deadOptions(w, d.attempt, error));
      else if (how === 'lease') await this.backend.publishJob(this.queue, { ...w, attempts: d.attempt, runAt: undefined, lastError: 'lease expired: the worker did not finish in time' });
      else if (how === 'release') await this.backend.publishJob(this.queue, { ...w, attempts: d.attempt - 1, runAt: undefined });
      d.ch.ack(d.msg);
    } catch {
      // Not confirmed: leave the original unacked; the broker redelivers it when the channel closes.
      d.settled = false;
      if (how !== 'ack') d.ch.nack(d.msg, false, true);
    }
  }

  async stop(graceMs = 10_000): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.pollTimer);
    this.backend.events.off(`pause:${this.queue}`, this.onPauseChange);
    const ch = this.ch;
    if (ch && this.tag && this.tag !== 'pending') await ch.cancel(this.tag).catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled([...this.running].map((d) => d.done)).then(() => false),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.abort.abort();
      await Promise.all([...this.running].map((d) => this.settle(d, 'release')));
    }
    await ch?.close().catch(() => {}); // anything prefetched but not started goes back to the queue
  }
}

function deadOptions(w: WireJob, attempt: number, error?: string) {
  return {
    persistent: true,
    messageId: w.id,
    contentType: 'application/json',
    headers: { 'x-strata-attempts': attempt, 'x-strata-max-attempts': w.maxAttempts, 'x-strata-priority': w.priority, 'x-strata-enqueued-at': w.enqueuedAt, 'x-strata-last-error': error ?? '', 'x-strata-dead-at': Date.now() },
  };
}
