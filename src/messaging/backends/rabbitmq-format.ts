// Strata's job format on AMQP 0-9-1 (RabbitMQ), documented in docs/messaging.md so
// any AMQP client can produce or consume: body = JSON payload, properties
// messageId/timestamp/priority, headers x-strata-*; delays hop through TTL queues.
import type { Options } from 'amqplib';
import type { Job } from '../queue-types.js';

export const H = {
  attempts: 'x-strata-attempts',
  maxAttempts: 'x-strata-max-attempts',
  runAt: 'x-strata-run-at',
  lastError: 'x-strata-last-error',
  priority: 'x-strata-priority',
  enqueuedAt: 'x-strata-enqueued-at',
} as const;

export const names = (prefix: string, queue: string) => ({
  main: `${prefix}${queue}`,
  dead: `${prefix}${queue}.dead`,
  paused: `${prefix}${queue}.paused`,
  delay: (ms: number) => `${prefix}${queue}.delay.${ms}`,
});

/** Delay buckets: queues with a fixed TTL of 4^k ms (4 ms .. ~12 days) that dead-letter back to the main queue. */
export const BUCKETS = Array.from({ length: 15 }, (_, i) => 4 ** (i + 1));

/** The largest bucket not longer than the remaining delay (the smallest if less is left), or undefined when due. */
export function bucketFor(remainingMs: number): number | undefined {
  if (remainingMs <= 0) return undefined;
  let pick = BUCKETS[0];
  for (const b of BUCKETS) if (b <= remainingMs) pick = b;
  return pick;
}

/** AMQP priority 0..9 from Strata's -100..100, keeping small differences apart (log scale around 5). */
export function amqpPriority(p: number): number {
  if (p === 0) return 5;
  const level = Math.min(4, Math.ceil(Math.log2(Math.abs(p) + 1)));
  return 5 + Math.sign(p) * level;
}

export interface WireJob {
  id: string;
  body: Buffer;
  attempts: number;
  maxAttempts: number;
  priority: number;
  enqueuedAt: number;
  runAt?: number;
  lastError?: string;
}

export function publishOptions(j: WireJob): Options.Publish {
  const headers: Record<string, unknown> = {
    [H.attempts]: j.attempts,
    [H.maxAttempts]: j.maxAttempts,
    [H.priority]: j.priority,
    [H.enqueuedAt]: j.enqueuedAt,
  };
  if (j.runAt !== undefined) headers[H.runAt] = j.runAt;
  if (j.lastError) headers[H.lastError] = j.lastError.slice(0, 2000);
  return { persistent: true, messageId: j.id, timestamp: Math.floor(j.enqueuedAt / 1000), contentType: 'application/json', priority: amqpPriority(j.priority), headers };
}

interface AmqpMessage {
  content: Buffer;
  fields: { redelivered: boolean; deliveryTag: number };
  properties: { messageId?: string; headers?: Record<string, unknown>; timestamp?: number };
}

/** Read a delivered message, filling defaults for what a foreign producer left out. */
export function readWire(msg: AmqpMessage, defaultMaxAttempts: number): WireJob {
  const h = msg.properties.headers ?? {};
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v !== '' && Number.isFinite(Number(v)) ? Number(v) : d);
  return {
    id: msg.properties.messageId ?? `amqp-${msg.fields.deliveryTag}-${Date.now()}`,
    body: msg.content,
    attempts: num(h[H.attempts], 0),
    maxAttempts: num(h[H.maxAttempts], defaultMaxAttempts),
    priority: num(h[H.priority], 0),
    enqueuedAt: num(h[H.enqueuedAt], (msg.properties.timestamp ?? 0) * 1000 || Date.now()),
    runAt: h[H.runAt] === undefined ? undefined : num(h[H.runAt], 0),
    lastError: typeof h[H.lastError] === 'string' ? (h[H.lastError] as string) : Buffer.isBuffer(h[H.lastError]) ? String(h[H.lastError]) : undefined,
  };
}

export function toJob(queue: string, w: WireJob, attempt: number): Job {
  let payload: unknown;
  try {
    payload = JSON.parse(w.body.toString('utf8'));
  } catch {
    payload = w.body.toString('utf8'); // a foreign non-JSON body is handed over as text
  }
  return { id: w.id, queue, payload, attempt, maxAttempts: w.maxAttempts, priority: w.priority, enqueuedAt: w.enqueuedAt, ...(w.lastError ? { lastError: w.lastError } : {}) };
}
