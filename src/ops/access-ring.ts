// The recent access lines of this process, kept in memory for the admin UI's log viewer: a ring of
// at most `size` entries (the oldest dropped first). Lines carry what the access log writes (request id,
// client address, method, path without its query string, status, duration): never a header, cookie or
// body, and no query string, where tokens travel.
import type { AccessEntry } from './access-log.js';

export interface AccessLine extends AccessEntry {
  /** Epoch milliseconds when the answer ended. */
  at: number;
}

export interface AccessFilter {
  since?: number;
  until?: number;
  /** One status (`404`) or a class (`4xx`). */
  status?: string;
  method?: string;
  /** Part of the path (case-sensitive). */
  path?: string;
  limit?: number;
}

export interface AccessRing {
  readonly size: number;
  push(e: AccessEntry): void;
  /** Matching lines, newest first, and how many the ring holds. */
  query(f: AccessFilter): { items: AccessLine[]; held: number };
}

// A path longer than this is cut: the ring's memory stays near size × (this + ~200 bytes).
const MAX_PATH = 1024;

/** @example const ring = accessRing(1000); ring.push({ reqId, ip, method, path, status, ms }); */
export function accessRing(size: number, now: () => number = Date.now): AccessRing {
  const lines: (AccessLine | undefined)[] = new Array(size);
  let next = 0;
  let held = 0;
  return {
    size,
    push(e) {
      if (size === 0) return;
      lines[next] = { reqId: e.reqId, ip: e.ip, method: e.method, path: e.path.length > MAX_PATH ? e.path.slice(0, MAX_PATH) : e.path, status: e.status, ms: e.ms, at: now() };
      next = (next + 1) % size;
      if (held < size) held++;
    },
    query(f) {
      const limit = f.limit ?? 100;
      const klass = f.status && /^[1-5]xx$/i.test(f.status) ? Number(f.status[0]) : undefined;
      const exact = f.status && klass === undefined ? Number(f.status) : undefined;
      const method = f.method?.toUpperCase();
      const items: AccessLine[] = [];
      for (let i = 1; i <= held && items.length < limit; i++) {
        const l = lines[(next - i + size) % size]!;
        if (f.since !== undefined && l.at < f.since) break; // newest first: everything after is older
        if (f.until !== undefined && l.at > f.until) continue;
        if (klass !== undefined && Math.floor(l.status / 100) !== klass) continue;
        if (exact !== undefined && l.status !== exact) continue;
        if (method && l.method !== method) continue;
        if (f.path && !l.path.includes(f.path)) continue;
        items.push(l);
      }
      return { items, held };
    },
  };
}

/** One writer that calls both (either may be absent). */
export function bothAccess(a: ((e: AccessEntry) => void) | undefined, b: ((e: AccessEntry) => void) | undefined): ((e: AccessEntry) => void) | undefined {
  if (a && b)
    return (e) => {
      a(e);
      b(e);
    };
  return a ?? b;
}
