// Record-change events for one Watch stream: the bus topic `records.<collection>.*`, each event
// checked by the records access layer (the subscriber's view rule) before it is sent, with its
// encrypted fields opened only then, behind a bounded buffer.
import { recordTopic, StrataError, type Principal, type RecordChangeEvent } from '../../core/index.js';
import type { Collection, RecordAccess } from '../../data/index.js';
import type { Bus } from '../../messaging/index.js';

export interface RecordWatchDeps {
  bus: () => Bus;
  access: () => RecordAccess;
  /** Events buffered for a client that reads slowly before its stream is ended (RESOURCE_EXHAUSTED). */
  maxBuffered?: number;
}

export interface RecordWatch {
  /**
   * Subscribes, then resolves with the readable events of `c` until `signal` aborts; `accept` filters
   * before the access check.
   */
  open(c: Collection, principal: Principal | null, signal: AbortSignal, accept?: (ev: RecordChangeEvent) => boolean): Promise<AsyncIterable<RecordChangeEvent>>;
}

export class SlowConsumerError extends StrataError {
  constructor(max: number) {
    super(429, 'strata/slow-consumer', 'Slow Consumer', `More than ${max} events waited for this stream; it was ended. Watch again to resume.`);
    this.name = 'SlowConsumerError';
  }
}

function isEvent(v: unknown, collection: string): v is RecordChangeEvent {
  const e = v as RecordChangeEvent | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.collection === collection &&
    typeof e.recordId === 'string' &&
    typeof e.id === 'string' &&
    (e.action === 'create' || e.action === 'update' || e.action === 'delete') &&
    typeof e.record === 'object' &&
    e.record !== null
  );
}

/**
 * @example
 * const watch = recordWatch({ bus: () => messaging.bus, access: () => recordAccess });
 * for await (const ev of await watch.open(posts, principal, signal)) send(ev);
 */
export function recordWatch(deps: RecordWatchDeps): RecordWatch {
  const max = deps.maxBuffered ?? 1000;

  return {
    async open(c, principal, signal, accept) {
      const queue: RecordChangeEvent[] = [];
      let wake: (() => void) | undefined;
      let failure: Error | undefined;
      const onAbort = () => wake?.();
      const unsubscribe = await deps.bus().subscribe(recordTopic(c.name, '*' as never), (payload) => {
        if (failure || !isEvent(payload, c.name) || (accept && !accept(payload))) return;
        if (queue.length >= max) failure = new SlowConsumerError(max);
        else queue.push(payload);
        wake?.();
      });
      let closed = false;
      const close = async () => {
        if (closed) return;
        closed = true;
        signal.removeEventListener('abort', onAbort);
        signal.removeEventListener('abort', close);
        await unsubscribe().catch(() => undefined);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      // Also when the stream is abandoned before it is read.
      signal.addEventListener('abort', close, { once: true });
      if (signal.aborted) await close();
      return (async function* () {
        try {
          while (!signal.aborted) {
            if (failure) throw failure;
            const ev = queue.shift();
            if (!ev) {
              await new Promise<void>((resolve) => (wake = resolve));
              wake = undefined;
              continue;
            }
            // Rules are asked per event (the access layer): a refused principal ends the stream (PERMISSION_DENIED).
            const access = deps.access();
            const sub = access.subscribe(principal, c.name);
            if (access.unrestricted(sub) || (await access.visible(sub, ev))) yield { ...ev, record: access.open(ev, sub.principal) };
          }
        } finally {
          await close();
        }
      })();
    },
  };
}
