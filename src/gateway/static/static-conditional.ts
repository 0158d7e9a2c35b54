// Conditional requests (RFC 9110 §13): If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since.

export type ConditionalResult = 'proceed' | 'not-modified' | 'precondition-failed';

interface ConditionalHeaders {
  'if-match'?: string;
  'if-none-match'?: string;
  'if-modified-since'?: string;
  'if-unmodified-since'?: string;
}

function tags(list: string): string[] {
  return list.split(',').map((t) => t.trim()).filter(Boolean);
}

const opaque = (t: string) => (t.startsWith('W/') ? t.slice(2) : t);

/** Weak comparison (for If-None-Match) */
export function etagMatchesWeak(list: string, etag: string): boolean {
  const mine = opaque(etag);
  return tags(list).some((t) => t === '*' || opaque(t) === mine);
}

/** Strong comparison (for If-Match) */
function etagMatchesStrong(list: string, etag: string): boolean {
  if (etag.startsWith('W/')) return false;
  return tags(list).some((t) => t === '*' || t === etag);
}

/** Evaluates preconditions in the RFC 9110 §13.2.2 order for a GET/HEAD of a representation. */
export function evaluateConditionals(h: ConditionalHeaders, etag: string, mtimeMs: number): ConditionalResult {
  const lastModSec = Math.floor(mtimeMs / 1000);
  if (h['if-match'] !== undefined) {
    if (!etagMatchesStrong(h['if-match'], etag)) return 'precondition-failed';
  } else if (h['if-unmodified-since'] !== undefined) {
    const d = Date.parse(h['if-unmodified-since']);
    if (!Number.isNaN(d) && lastModSec > Math.floor(d / 1000)) return 'precondition-failed';
  }
  if (h['if-none-match'] !== undefined) {
    if (etagMatchesWeak(h['if-none-match'], etag)) return 'not-modified';
  } else if (h['if-modified-since'] !== undefined) {
    const d = Date.parse(h['if-modified-since']);
    if (!Number.isNaN(d) && lastModSec <= Math.floor(d / 1000)) return 'not-modified';
  }
  return 'proceed';
}
