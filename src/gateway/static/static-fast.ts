// The static site's fast answer (the gateway's fast lane, before Fastify): a GET or HEAD for a
// file whose stat and body are already in memory, answered with a header block built once per
// (file version, coding, Cache-Control). Anything else (first sight of a path, a body not yet
// read, index/SPA answers, multiple or unsatisfiable ranges, 412) returns undefined and takes
// the full path, which fills the caches the next request reads.
import type { IncomingHttpHeaders } from 'node:http';
import type { LRUCache } from 'lru-cache';
import type { FileEntry, FileVariant, StaticFileCache } from './static-file-cache.js';
import type { PathVerdict } from './static-path.js';
import type { Coding, CodingNegotiator } from './static-encoding.js';
import { evaluateConditionals } from './static-conditional.js';
import { evaluateRange, ifRangeMatches } from './static-range.js';

/** A response ready to write: status, header fields as a flat [name, value, ...] list, body. */
export interface FastAnswer {
  status: number;
  headers: readonly string[];
  body: Buffer | undefined;
}

export interface FastInternals {
  files: StaticFileCache;
  verdicts: LRUCache<string, { verdict: PathVerdict; cacheControl?: string }>;
  cacheControlFor(path: string): string;
  negotiateCoding: CodingNegotiator;
  precompressed: boolean;
  compressOn: boolean;
  threshold: number;
  flyCodings: readonly Coding[];
  maxCached: number;
}

interface Blocks {
  cacheControl: string;
  /** Validators and representation fields per coding key ('' identity, 'br', 'gzip'), without Content-Length. */
  byCoding: Map<string, string[]>;
}

/** Header blocks per file version (a FileEntry lives until its stat expires, then a new one comes). */
const blocks = new WeakMap<FileEntry, Blocks>();

function blockFor(entry: FileEntry, cacheControl: string, coding: Coding | undefined, etag: string): string[] {
  let b = blocks.get(entry);
  if (b === undefined || b.cacheControl !== cacheControl) blocks.set(entry, (b = { cacheControl, byCoding: new Map() }));
  const key = coding ?? '';
  let block = b.byCoding.get(key);
  if (block === undefined) {
    block = ['etag', etag, 'last-modified', entry.lastModified, 'cache-control', cacheControl, 'accept-ranges', 'bytes'];
    if (entry.compressible || entry.variants.length > 0) block.push('vary', 'Accept-Encoding');
    b.byCoding.set(key, block);
  }
  return block;
}

/** Answers from memory, or undefined: the caller then takes the full path. */
export function fastAnswer(i: FastInternals, method: string, h: IncomingHttpHeaders, path: string): FastAnswer | undefined {
  const memo = i.verdicts.get(path);
  if (memo === undefined || !memo.verdict.ok) return undefined;
  const found = i.files.lookup(memo.verdict.file);
  if (found instanceof Promise || found.kind !== 'file') return undefined;
  const entry = found;
  const cacheControl = (memo.cacheControl ??= i.cacheControlFor(path));
  const rangeHeader = h.range;
  let coding: Coding | undefined;
  let variant: FileVariant | undefined;
  const accept = h['accept-encoding'];
  if (!rangeHeader && accept) {
    const avail: Coding[] = [];
    if (i.precompressed) for (const v of entry.variants) avail.push(v.encoding);
    if (i.compressOn && entry.compressible && entry.size >= i.threshold) for (const c of i.flyCodings) if (!avail.includes(c)) avail.push(c);
    if (avail.length > 0) coding = i.negotiateCoding(accept, avail);
    if (coding && i.precompressed) variant = entry.variants.find((v) => v.encoding === coding);
  }
  const etag = variant ? variant.etag : coding ? `${entry.etag.slice(0, -1)}-${coding === 'br' ? 'br' : 'gz'}"` : entry.etag;
  const block = blockFor(entry, cacheControl, coding, etag);
  if (h['if-none-match'] !== undefined || h['if-modified-since'] !== undefined || h['if-match'] !== undefined || h['if-unmodified-since'] !== undefined) {
    const cond = evaluateConditionals(h, etag, entry.mtimeMs);
    if (cond === 'not-modified') return { status: 304, headers: block, body: undefined };
    if (cond === 'precondition-failed') return undefined;
  }
  if (coding) {
    if (!variant && entry.size > i.maxCached) return undefined;
    const body = variant ? i.files.cachedBody(`${variant.path}\0${variant.etag}`) : i.files.cachedBody(`${entry.path}\0${etag}`);
    if (body === undefined) return undefined;
    return { status: 200, headers: [...block, 'content-type', entry.type, 'content-encoding', coding, 'content-length', String(body.length)], body: method === 'HEAD' ? undefined : body };
  }
  const body = i.files.peekBody(entry);
  if (body === undefined) return undefined;
  if (rangeHeader && ifRangeMatches(h['if-range'] as string | undefined, entry.etag, entry.lastModified)) {
    const range = evaluateRange(rangeHeader, entry.size);
    if (range.kind === 'unsatisfiable' || (range.kind === 'ranges' && range.ranges.length > 1)) return undefined;
    if (range.kind === 'ranges') {
      const { start, end } = range.ranges[0];
      const headers = [...block, 'content-type', entry.type, 'content-range', `bytes ${start}-${end}/${entry.size}`, 'content-length', String(end - start + 1)];
      return { status: 206, headers, body: method === 'HEAD' ? undefined : body.subarray(start, end + 1) };
    }
  }
  return { status: 200, headers: [...block, 'content-type', entry.type, 'content-length', String(entry.size)], body: method === 'HEAD' ? undefined : body };
}
