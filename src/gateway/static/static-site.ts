// A static site handler written for Strata (nginx-like semantics): validators and 304s,
// ranges, precompressed and on-the-fly br/gzip, index files, SPA fallback, Cache-Control rules.
import { createReadStream, realpathSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { resolve } from 'node:path';
import { pipeline } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StrataError, NotFoundError } from '../../core/index.js';
import { BadRequestError, MethodNotAllowedError, RangeNotSatisfiableError, sendProblem } from '../errors.js';
import { StaticFileCache, type FileEntry, type FileVariant } from './static-file-cache.js';
import { resolveSitePath, type PathVerdict } from './static-path.js';
import { LRUCache } from 'lru-cache';
import { evaluateRange, ifRangeMatches, multipartBody } from './static-range.js';
import { evaluateConditionals } from './static-conditional.js';
import { codingNegotiator, compressBuffer, compressStream, type Coding } from './static-encoding.js';
import { fastAnswer, type FastAnswer } from './static-fast.js';

export interface CacheControlRule {
  /** Regular expression tested against the path inside the site, e.g. `\\.html$`. */
  pattern: string;
  value: string;
}

export interface StaticSiteOptions {
  /** Directory served; must exist. */
  root: string;
  /** Files tried, in order, for a directory request. Default `['index.html']`. */
  index?: string[];
  /** File (relative to root) served with 200 for unknown extension-less paths, e.g. `index.html`. */
  spaFallback?: string | false;
  /** Dot-names allowed as path segments; `'*'` allows all. Default `['.well-known']`. */
  allowDotfiles?: string[];
  /** First matching rule sets Cache-Control. Defaults: hashed assets immutable, HTML no-cache. */
  cacheControl?: CacheControlRule[];
  /** Cache-Control when no rule matches. */
  defaultCacheControl?: string;
  /** Serve `file.br` / `file.gz` when present and accepted. Default true. */
  precompressed?: boolean;
  /** Compress compressible types on the fly at or above `threshold` bytes. */
  compress?: { enabled?: boolean; threshold?: number; encodings?: Coding[] };
  /** How long stat results stay cached (ms). Default 1000; 0 disables. */
  statTtlMs?: number;
  /** Files up to this size are held in memory. Default 256 KiB. */
  maxCachedFileBytes?: number;
  /** Memory budget for cached bodies. Default 64 MiB. */
  memoryBytes?: number;
  /** Extra extension → MIME type mappings, e.g. `{ '.mjs': 'text/javascript' }`. */
  mimeTypes?: Record<string, string>;
}

export const DEFAULT_CACHE_RULES: CacheControlRule[] = [
  { pattern: '[.-][0-9a-fA-F]{8,}\\.[A-Za-z0-9]+$', value: 'public, max-age=31536000, immutable' },
  { pattern: '\\.html?$|/$', value: 'no-cache' },
];

export interface StaticSite {
  /** Answers a GET/HEAD for `path` (raw, percent-encoded, relative to the site root, no query). */
  serve(request: FastifyRequest, reply: FastifyReply, path: string): Promise<FastifyReply>;
  /**
   * The same answer from memory without Fastify (the gateway's fast lane), when everything it needs
   * is cached; undefined otherwise (then `serve` answers). `method` is GET or HEAD.
   */
  fast(method: string, headers: IncomingHttpHeaders, path: string): FastAnswer | undefined;
  /** Forget cached stats and bodies (e.g. after a deploy). */
  clear(): void;
}

/**
 * Builds a static site over `opts.root`.
 * @example
 * const site = createStaticSite({ root: './public', spaFallback: 'index.html' });
 * app.get('/*', (req, reply) => site.serve(req, reply, req.url.split('?')[0]));
 */
export function createStaticSite(opts: StaticSiteOptions): StaticSite {
  const root = realpathSync(resolve(opts.root));
  const index = opts.index ?? ['index.html'];
  const allowDot = opts.allowDotfiles ?? ['.well-known'];
  const rules = (opts.cacheControl ?? DEFAULT_CACHE_RULES).map((r) => ({ re: new RegExp(r.pattern), value: r.value }));
  const defaultCc = opts.defaultCacheControl ?? 'public, max-age=0';
  const precompressed = opts.precompressed ?? true;
  const compressOn = opts.compress?.enabled ?? true;
  const threshold = opts.compress?.threshold ?? 1024;
  const flyCodings = opts.compress?.encodings ?? ['br', 'gzip'];
  const maxCached = opts.maxCachedFileBytes ?? 256 * 1024;
  const files = new StaticFileCache({
    root,
    ttlMs: opts.statTtlMs ?? 1000,
    maxFileBytes: maxCached,
    maxBytes: opts.memoryBytes ?? 64 * 1024 * 1024,
    mimeOverrides: opts.mimeTypes ?? {},
  });
  const fail = (reply: FastifyReply, err: StrataError) => sendProblem(reply, err);
  const negotiateCoding = codingNegotiator();
  // Path checks and Cache-Control rules are pure per raw path: remember them for recent paths
  // (hot files repeat), so a hit costs one LRU lookup instead of a decode and regex tests.
  const verdicts = new LRUCache<string, { verdict: PathVerdict; cacheControl?: string }>({ max: 4096 });

  function cacheControlFor(path: string): string {
    for (const r of rules) if (r.re.test(path)) return r.value;
    return defaultCc;
  }

  async function serveEntry(request: FastifyRequest, reply: FastifyReply, entry: FileEntry, cacheControl: string): Promise<FastifyReply> {
    const h = request.headers;
    const rangeHeader = h.range;
    const varies = entry.compressible || entry.variants.length > 0;
    // Ranges are served on the identity representation only: simpler and what clients expect.
    let coding: Coding | undefined;
    let variant: FileVariant | undefined;
    if (!rangeHeader && h['accept-encoding']) {
      const avail: Coding[] = [];
      if (precompressed) for (const v of entry.variants) avail.push(v.encoding);
      const fly = compressOn && entry.compressible && entry.size >= threshold;
      if (fly) for (const c of flyCodings) if (!avail.includes(c)) avail.push(c);
      coding = negotiateCoding(h['accept-encoding'], avail);
      if (coding) variant = precompressed ? entry.variants.find((v) => v.encoding === coding) : undefined;
    }
    const etag = variant ? variant.etag : coding ? `${entry.etag.slice(0, -1)}-${coding === 'br' ? 'br' : 'gz'}"` : entry.etag;
    reply.header('etag', etag);
    reply.header('last-modified', entry.lastModified);
    reply.header('cache-control', cacheControl);
    reply.header('accept-ranges', 'bytes');
    if (varies) reply.header('vary', 'Accept-Encoding');
    const cond = evaluateConditionals(h, etag, entry.mtimeMs);
    if (cond === 'not-modified') return reply.code(304).send();
    if (cond === 'precondition-failed') {
      return fail(reply, new StrataError(412, 'strata/precondition-failed', 'Precondition Failed', 'A precondition header did not hold.'));
    }
    reply.header('content-type', entry.type);
    const head = request.method === 'HEAD';

    if (coding) {
      reply.header('content-encoding', coding);
      if (variant) {
        reply.header('content-length', variant.size);
        if (head) return reply.send();
        const body = await files.body(variant.path, variant.size, variant.etag);
        return reply.send(body ?? createReadStream(variant.path));
      }
      if (entry.size <= maxCached) {
        const key = `${entry.path}\0${etag}`;
        let body = files.cachedBody(key);
        if (!body) {
          const raw = await files.body(entry.path, entry.size, entry.etag);
          if (raw) {
            body = await compressBuffer(raw, coding);
            files.storeBody(key, body);
          }
        }
        if (body) {
          reply.header('content-length', body.length);
          return head ? reply.send() : reply.send(body);
        }
      }
      if (head) return reply.send();
      const z = compressStream(coding);
      pipeline(createReadStream(entry.path), z, () => {});
      return reply.send(z);
    }

    const range = rangeHeader && ifRangeMatches(h['if-range'] as string | undefined, entry.etag, entry.lastModified) ? evaluateRange(rangeHeader, entry.size) : { kind: 'none' as const };
    if (range.kind === 'unsatisfiable') return fail(reply, new RangeNotSatisfiableError(entry.size));
    const cached = files.peekBody(entry) ?? (await files.body(entry.path, entry.size, entry.etag));
    if (range.kind === 'ranges' && range.ranges.length === 1) {
      const { start, end } = range.ranges[0];
      reply.code(206).header('content-range', `bytes ${start}-${end}/${entry.size}`).header('content-length', end - start + 1);
      if (head) return reply.send();
      return reply.send(cached ? cached.subarray(start, end + 1) : createReadStream(entry.path, { start, end }));
    }
    if (range.kind === 'ranges') {
      const mp = multipartBody(cached ?? entry.path, range.ranges, entry.size, entry.type);
      reply.code(206).header('content-type', `multipart/byteranges; boundary=${mp.boundary}`).header('content-length', mp.length);
      if (head) {
        mp.body.destroy();
        return reply.send();
      }
      return reply.send(mp.body);
    }
    reply.header('content-length', entry.size);
    if (head) return reply.send();
    return reply.send(cached ?? createReadStream(entry.path));
  }

  async function serve(request: FastifyRequest, reply: FastifyReply, path: string): Promise<FastifyReply> {
    if (request.method !== 'GET' && request.method !== 'HEAD') return fail(reply, new MethodNotAllowedError('GET, HEAD'));
    let memo = verdicts.get(path);
    if (!memo) {
      memo = { verdict: resolveSitePath(root, path, allowDot) };
      if (path.length <= 512) verdicts.set(path, memo);
    }
    const verdict = memo.verdict;
    if (!verdict.ok) {
      if (verdict.reason === 'dotfile') return fail(reply, new NotFoundError());
      return fail(reply, new BadRequestError('The request path is not allowed.'));
    }
    let found = await files.lookup(verdict.file);
    let sitePath = path;
    if (found.kind === 'dir') {
      if (!verdict.trailingSlash && verdict.segments.length > 0) {
        const url = request.url;
        const q = url.indexOf('?');
        const loc = q === -1 ? `${url}/` : `${url.slice(0, q)}/${url.slice(q)}`;
        return reply.code(301).header('location', loc).send();
      }
      for (const name of index) {
        const candidate = await files.lookup(resolve(verdict.file, name));
        if (candidate.kind === 'file') {
          found = candidate;
          sitePath = path.endsWith('/') ? path + name : `${path}/${name}`;
          break;
        }
      }
    }
    if (found.kind !== 'file' && opts.spaFallback) {
      const last = verdict.segments[verdict.segments.length - 1] ?? '';
      if (!last.includes('.')) {
        const fb = await files.lookup(resolve(root, opts.spaFallback));
        if (fb.kind === 'file') {
          found = fb;
          sitePath = `/${opts.spaFallback}`;
        }
      }
    }
    if (found.kind !== 'file') return fail(reply, new NotFoundError());
    // Index and SPA answers depend on what exists on disk, so only direct hits keep their rule.
    if (sitePath !== path) return serveEntry(request, reply, found, cacheControlFor(sitePath));
    return serveEntry(request, reply, found, (memo.cacheControl ??= cacheControlFor(path)));
  }

  const internals = { files, verdicts, cacheControlFor, negotiateCoding, precompressed, compressOn, threshold, flyCodings, maxCached };
  return { serve, fast: (method, headers, path) => fastAnswer(internals, method, headers, path), clear: () => files.clear() };
}
