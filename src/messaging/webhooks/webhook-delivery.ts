// Webhook deliveries as queue jobs: a bus event matching a subscription's topic
// filter becomes one job per subscription; the consumer POSTs the signed event and
// throws on anything but 2xx so the queue retries with backoff and dead-letters.
import { randomUUID } from 'node:crypto';
import { request } from 'undici';
import { recordTopic, type RecordChangeEvent } from '../../core/index.js';
import type { Bus } from '../bus/bus-types.js';
import { topicMatches } from '../bus/topic-match.js';
import type { ConsumeOptions, Consumer, QueueBackend } from '../queue-types.js';
import { signedHeaders } from './webhook-sign.js';
import { targetChecker, type TargetPolicy } from './webhook-target.js';

export interface WebhookSubscription {
  id: string;
  /** Topic pattern, e.g. `records.posts.*`. */
  topics: string;
  url: string;
  /** `whsec_...` signing secret. */
  secret: string;
  enabled: boolean;
}

/** Where subscriptions live (the data layer provides the persistent one; memory for tests and embedding). */
export interface WebhookSubscriptions {
  list(): Promise<WebhookSubscription[]>;
  get(id: string): Promise<WebhookSubscription | undefined>;
}

export interface DeliveryRecord {
  subscriptionId: string;
  eventId: string;
  attempt: number;
  at: string;
  status?: number;
  error?: string;
  durationMs: number;
}

export interface DeliveryLog {
  record(entry: DeliveryRecord): void | Promise<void>;
}

interface DeliveryJob {
  subscriptionId: string;
  eventId: string;
  topic: string;
  timestamp: string;
  data: unknown;
}

export function memorySubscriptions(subs: WebhookSubscription[] = []): WebhookSubscriptions & { items: WebhookSubscription[] } {
  return { items: subs, list: async () => subs, get: async (id) => subs.find((s) => s.id === id) };
}

export function memoryDeliveryLog(limit = 1000): DeliveryLog & { entries: DeliveryRecord[] } {
  const entries: DeliveryRecord[] = [];
  return {
    entries,
    record(e) {
      entries.push(e);
      if (entries.length > limit) entries.shift();
    },
  };
}

export interface WebhookDeps {
  queue: QueueBackend;
  subscriptions: WebhookSubscriptions;
  policy?: TargetPolicy;
  log?: DeliveryLog;
  /** Queue carrying deliveries (default `webhooks`). */
  queueName?: string;
  timeoutMs?: number;
}

/**
 * @example
 * const hooks = webhooks({ queue, subscriptions, log });
 * await hooks.listen(bus);          // events -> delivery jobs
 * const worker = await hooks.work({ concurrency: 4 }); // delivery jobs -> signed POSTs
 */
export function webhooks(deps: WebhookDeps) {
  const queueName = deps.queueName ?? 'webhooks';
  const target = targetChecker(deps.policy);
  const dispatcher = target.dispatcher();

  /** Enqueue one delivery per enabled subscription whose filter matches. */
  async function publish(topic: string, data: unknown, eventId = `msg_${randomUUID().replace(/-/g, '')}`): Promise<number> {
    const subs = (await deps.subscriptions.list()).filter((s) => s.enabled && topicMatches(s.topics, topic));
    const timestamp = new Date().toISOString();
    if (subs.length === 0) return 0;
    await deps.queue.enqueueBulk(
      queueName,
      subs.map((s) => ({ payload: { subscriptionId: s.id, eventId, topic, timestamp, data } satisfies DeliveryJob, options: { idempotencyKey: `${s.id}:${eventId}` } })),
    );
    return subs.length;
  }

  /**
   * Durable hand-off of record-change events (the outbox relay calls it before it marks them
   * published): one delivery job per matching subscription and event, all committed to the queue
   * before this resolves. The webhook id is the event id and the idempotency key names both, so a
   * batch handed over again after a crash enqueues nothing twice.
   */
  async function handoff(events: readonly RecordChangeEvent[]): Promise<number> {
    const subs = (await deps.subscriptions.list()).filter((s) => s.enabled);
    if (subs.length === 0 || events.length === 0) return 0;
    const timestamp = new Date().toISOString();
    const jobs: { payload: DeliveryJob; options: { idempotencyKey: string } }[] = [];
    for (const e of events) {
      const topic = recordTopic(e.collection, e.action);
      for (const s of subs) if (topicMatches(s.topics, topic)) jobs.push({ payload: { subscriptionId: s.id, eventId: e.id, topic, timestamp, data: e }, options: { idempotencyKey: `${s.id}:${e.id}` } });
    }
    if (jobs.length > 0) await deps.queue.enqueueBulk(queueName, jobs);
    return jobs.length;
  }

  /**
   * Bus events become deliveries (at most once: what the bus drops is lost). `skip` leaves topics
   * to another path: the composition root passes record-change topics, which come through
   * {@link handoff} instead.
   */
  async function listen(bus: Bus, pattern = '>', skip?: (topic: string) => boolean): Promise<() => Promise<void>> {
    return bus.subscribe(pattern, (data, topic) => {
      if (skip?.(topic)) return;
      void publish(topic, data).catch(() => {});
    });
  }

  async function work(options: ConsumeOptions = {}): Promise<Consumer> {
    return deps.queue.consume<DeliveryJob>(
      queueName,
      async (job) => {
        const d = job.payload;
        const sub = await deps.subscriptions.get(d.subscriptionId);
        if (!sub || !sub.enabled) return; // deleted or disabled since: nothing to deliver
        const started = Date.now();
        const body = JSON.stringify({ type: d.topic, timestamp: d.timestamp, data: d.data });
        const entry: DeliveryRecord = { subscriptionId: sub.id, eventId: d.eventId, attempt: job.attempt, at: new Date(started).toISOString(), durationMs: 0 };
        try {
          const url = target.checkUrl(sub.url);
          const res = await request(url, {
            method: 'POST',
            dispatcher,
            headers: { 'content-type': 'application/json', 'user-agent': 'Strata-Webhooks/1', ...signedHeaders(sub.secret, d.eventId, body) },
            body,
            headersTimeout: deps.timeoutMs ?? 10_000,
            bodyTimeout: deps.timeoutMs ?? 10_000,
          });
          await res.body.dump();
          entry.status = res.statusCode;
          if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`target answered ${res.statusCode}`);
        } catch (err) {
          entry.error = (err as Error).message;
          throw err;
        } finally {
          entry.durationMs = Date.now() - started;
          await deps.log?.record(entry);
        }
      },
      options,
    );
  }

  return { publish, handoff, listen, work, close: () => dispatcher.close() };
}
