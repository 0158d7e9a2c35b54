// Errors of the cache capability (RFC 9457 problem types under strata/cache-*).
import { StrataError, ValidationError } from '../core/index.js';

/** The backing engine failed or is unreachable; detail never names hosts or keys. */
export class CacheUnavailableError extends StrataError {
  constructor(detail = 'The cache store is unavailable.', cause?: unknown) {
    super(503, 'strata/cache-unavailable', 'Cache Unavailable', detail, { cause });
    this.name = 'CacheUnavailableError';
  }
}

export function assertKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) {
    throw new ValidationError('A cache key must be a string of 1 to 1024 characters.', [{ field: 'key', message: 'invalid key' }]);
  }
}
