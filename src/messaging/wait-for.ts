// Waits until `queue` is signalled on `events`, `ms` pass, or `signal` aborts:
// how the polling backends (SQLite, Redis) sleep between claims.
import type { EventEmitter } from 'node:events';

export function waitFor(events: EventEmitter, queue: string, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      events.off(queue, done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    events.on(queue, done);
    signal.addEventListener('abort', done);
  });
}
