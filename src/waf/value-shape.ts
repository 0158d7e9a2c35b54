// Value shapes no value detector can flag (strict ASCII, no escapes): numbers, UUIDs
// (RFC 9562), ISO 8601 / RFC 3339 dates and times, and words or identifiers (single
// underscores inside) alone or in comma lists with an optional sign (`-created,title`). Most values of typical
// API traffic have one of these shapes; the engine skips the detectors for them (and the
// value cache, whose key would cost more than the check).
import { linearRx } from './regex-linear.js';

const PLAIN = linearRx(/^(?:[+-]?[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*(?:,[+-]?[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*)*|[+-]?\d{1,30}(?:\.\d{1,30})?(?:[eE][+-]?\d{1,3})?|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?)$/);

/** True for a number, UUID, ISO date/time or identifier list up to 256 characters. */
export function isPlainShape(value: string): boolean {
  return value.length <= 256 && PLAIN.test(value);
}
