// Consumer settings from config (`messaging.queue.consumer`): defaults under every consume() call's
// own options, checked once so a bad lease or backoff is a clear error, not a silent 30 s.
import { ValidationError, type FieldError } from '../core/index.js';
import { checkRateLimit } from './queue-side.js';
import type { ConsumeOptions, QueueBackend, RateLimit } from './queue-types.js';

/** Throws a ValidationError naming each bad field of consume options. */
export function checkConsumeOptions(o: ConsumeOptions, where = 'options'): void {
  const errors: FieldError[] = [];
  const int = (v: unknown, field: string, min: number, max: number) => {
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= min && (v as number) <= max)) errors.push({ field: `${where}.${field}`, message: `must be an integer from ${min} to ${max}` });
  };
  int(o.concurrency, 'concurrency', 1, 10_000);
  int(o.leaseMs, 'leaseMs', 100, 86_400_000);
  int(o.maxAttempts, 'maxAttempts', 1, 1000);
  int(o.backoff?.baseMs, 'backoff.baseMs', 0, 86_400_000);
  int(o.backoff?.maxMs, 'backoff.maxMs', 0, 86_400_000);
  const j = o.backoff?.jitter;
  if (j !== undefined && !(typeof j === 'number' && j >= 0 && j <= 1)) errors.push({ field: `${where}.backoff.jitter`, message: 'must be a number from 0 to 1' });
  if (errors.length > 0) throw new ValidationError('Invalid consumer options.', errors);
  checkRateLimit(o.rateLimit);
}

/**
 * The backend with `defaults` under every consumer's own options (a consumer's setting wins).
 *
 * @example
 * const queue = withConsumeDefaults(await createQueueBackend(...), { leaseMs: 120_000 });
 */
export function withConsumeDefaults<B extends QueueBackend>(backend: B, defaults: ConsumeOptions, rateLimits: Record<string, RateLimit> = {}): B {
  checkConsumeOptions(defaults, 'messaging.queue.consumer');
  for (const l of Object.values(rateLimits)) checkRateLimit(l);
  const consume = backend.consume.bind(backend);
  backend.consume = (queue, handler, options = {}) => {
    checkConsumeOptions(options);
    // A queue's configured rate limit applies to every consumer of it that sets none.
    const rateLimit = options.rateLimit ?? rateLimits[queue];
    return consume(queue, handler, { ...defaults, ...options, backoff: { ...defaults.backoff, ...options.backoff }, ...(rateLimit ? { rateLimit } : {}) });
  };
  return backend;
}
