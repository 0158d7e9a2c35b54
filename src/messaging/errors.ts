// Errors of the messaging capability (RFC 9457 problem types strata/queue-*).
import { StrataError } from '../core/index.js';

/** The broker or database behind a queue failed or is unreachable; the operation did not happen. */
export class QueueUnavailableError extends StrataError {
  constructor(detail = 'The queue backend is unavailable; the job was not enqueued.', cause?: unknown) {
    super(503, 'strata/queue-unavailable', 'Queue Unavailable', detail, { cause });
    this.name = 'QueueUnavailableError';
  }
}

/** An operation the chosen backend cannot perform (documented per backend). */
export class QueueUnsupportedError extends StrataError {
  constructor(detail: string) {
    super(501, 'strata/queue-unsupported', 'Not Supported By This Queue Backend', detail);
    this.name = 'QueueUnsupportedError';
  }
}
