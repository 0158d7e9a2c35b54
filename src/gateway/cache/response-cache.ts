// The RFC 9111 shared response cache in front of a proxy route, hand-written: lookups with
// Vary, freshness and revalidation (ETag / Last-Modified), stale-while-revalidate and
// stale-if-error, request coalescing, X-Cache, invalidation on unsafe methods (§4.4), purge.
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StrataError } from '../../core/index.js';
import { BadGatewayError, GatewayTimeoutError, sendProblem } from '../errors.js';
import type { ProxyResponder } from '../gateway-routes.js';
import type { GatewayMetrics } from '../gateway-metrics.js';
import { discard, type Proxy, type ProxyRequest, type UpstreamResponse } from '../proxy/proxy-forward.js';
import { normalizeHost } from '../proxy/route-match.js';
import { parseCacheControl } from './cache-control.js';
import { currentAge, isStorable, retentionMs, reuseDecision, staleIfErrorAllowed, type HeaderMap, type StorePolicy } from './cache-freshness.js';
import { primaryKey, purgeTags, responseTags, secondaryKey, varyNames, varyValues, type CacheKeyOptions } from './cache-key.js';
import { memoryResponseStore, type ResponseStore, type StoredResponse } from './response-store.js';
import { etagMatchesWeak } from '../static/static-conditional.js';

export interface ResponseCacheOptions extends StorePolicy {
  /** Where entries live. Default: an in-memory LRU of 64 MiB. */
  store?: ResponseStore;
  key?: CacheKeyOptions;
  /** Largest body stored; bigger responses stream through uncached. Default 8 MiB. */
  maxObjectBytes?: number;
  /** Keep entries with validators this long past their last usable moment, to revalidate cheaply. Default 60 s. */
  revalidateKeepMs?: number;
  /** Remove Cache-Tag / Surrogate-Key before responses reach clients. Default true. */
  stripTagHeaders?: boolean;
  metrics?: GatewayMetrics;
  /** Host of relative purge URLs and prefixes that name none (`gateway.cache.purgeHost`); without it such a purge is refused. */
  purgeHost?: string;
}

export type CacheResult = 'HIT' | 'MISS' | 'STALE' | 'BYPASS';

/**
 * What the fast lane may do for a GET/HEAD on a cached route: write a fresh hit now; forward it
 * uncached (`bypass`, answered with `X-Cache: BYPASS`); or fetch a miss (no entry at all) through
 * the cache, which stores, coalesces and says how to answer.
 */
export type CacheLaneStep =
  | { kind: 'hit'; answer: CacheHitAnswer }
  | { kind: 'bypass' }
  | { kind: 'miss'; fetch(request: ProxyRequest, prefixLength: number): Promise<CacheLaneMiss> };

/** A miss's outcome: an answer to write (stored, or a coalesced follower's HIT), a response to stream (not storable), or a problem. */
export type CacheLaneMiss =
  | { kind: 'entry'; result: CacheResult; answer: CacheHitAnswer }
  | { kind: 'stream'; res: UpstreamResponse }
  | { kind: 'error'; err: StrataError };

/** A fresh hit as the Fastify path writes it (header names lower-case, Content-Type/-Length as Fastify sets them); no body for HEAD and 304. */
export interface CacheHitAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer | undefined;
}

export interface ResponseCache extends ProxyResponder {
  /** Purge every stored response for this URL's path (all queries and variants). `url` may be absolute. Resolves to the count, or undefined when the store cannot count. */
  purgeUrl(url: string, host?: string): Promise<number | undefined>;
  /** Purge everything under a path prefix (segment-aware). */
  purgePrefix(prefix: string, host?: string): Promise<number | undefined>;
  /** Purge everything tagged with `tag` through Cache-Tag or Surrogate-Key. */
  purgeTag(tag: string): Promise<number | undefined>;
  /**
   * True when a relative purge URL or prefix needs a `host`: the key holds the host and no
   * `purgeHost` is configured (a purge without one would match nothing).
   */
  readonly purgeNeedsHost: boolean;
  /**
   * For the fast lane, with a store read synchronously (the memory store): what `handle` would do
   * with this GET or HEAD, as a step the lane can take without Fastify, each answer exactly as
   * `handle` writes it; undefined for what only `handle` does (stale entries, only-if-cached, a
   * coding not compressed yet, compressing routes' misses). Counts nothing: the caller counts the result.
   */
  lane(method: 'GET' | 'HEAD', url: string, headers: HeaderMap, proxy: Proxy): CacheLaneStep | undefined;
}

/** `https://example.com/x` names its host; `/x` does not. */
export const isAbsoluteUrl = (url: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(url);

type Outcome =
  | { kind: 'entry'; entry: StoredResponse; result: CacheResult }
  | { kind: 'stream'; res: UpstreamResponse }
  | { kind: 'error'; err: StrataError };

const UNSAFE = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);
const CONDITIONAL = ['if-none-match', 'if-modified-since', 'if-match', 'if-unmodified-since', 'if-range', 'range'];
const ERROR_STATUSES = new Set([500, 502, 503, 504]);
const NOT_MODIFIED_KEEP = ['cache-control', 'content-location', 'date', 'etag', 'expires', 'vary', 'last-modified'];

/**
 * @example
 * const cache = createResponseCache({ maxObjectBytes: 1 << 20 });
 * routes.push({ match: { prefix: '/' }, target: { type: 'proxy', proxy, cache } });
 */
export function createResponseCache(o: ResponseCacheOptions = {}): ResponseCache {
  const store = o.store ?? memoryResponseStore();
  const maxObject = o.maxObjectBytes ?? 8 * 1024 * 1024;
  const keepMs = o.revalidateKeepMs ?? 60_000;
  const heuristicMax = o.heuristicMaxMs ?? 86_400_000;
  const strip = o.stripTagHeaders ?? true;
  const keyHost = o.key?.host !== false;
  const inflight = new Map<string, Promise<StoredResponse | undefined>>();
  const compressed = new WeakMap<StoredResponse, Map<string, Buffer>>();

  const hostOf = (request: FastifyRequest) => normalizeHost((request.headers.host ?? request.headers[':authority']) as string | undefined);

  async function lookup(primary: string, headers: HeaderMap): Promise<StoredResponse | undefined> {
    const v = await store.get(primary);
    if (!v) return undefined;
    if ('varyOn' in v) {
      const e = await store.get(secondaryKey(primary, varyValues(v.varyOn, headers)));
      return e && 'body' in e ? e : undefined;
    }
    return v;
  }

  async function save(primary: string, baseTags: string[], entry: StoredResponse): Promise<void> {
    const ttlMs = retentionMs(entry, heuristicMax, keepMs);
    const tags = [...baseTags, ...responseTags(entry.headers)];
    const names = varyNames(entry.headers.vary);
    if (names.length === 0) return void (await store.set(primary, entry, { ttlMs, tags }));
    await store.set(primary, { varyOn: names }, { ttlMs, tags: baseTags });
    await store.set(secondaryKey(primary, entry.vary ?? {}), entry, { ttlMs, tags });
  }

  async function fetchUpstream(request: ProxyRequest, proxy: Proxy, prefixLength: number, primary: string, tags: string[], stale?: StoredResponse): Promise<Outcome> {
    const extra: HeaderMap = {};
    for (const h of CONDITIONAL) extra[h] = undefined;
    if (stale?.headers.etag) extra['if-none-match'] = stale.headers.etag;
    if (stale?.headers['last-modified']) extra['if-modified-since'] = stale.headers['last-modified'];
    const requestTime = Date.now();
    let res: UpstreamResponse;
    try {
      res = await proxy.forward(request, prefixLength, extra);
    } catch (err) {
      const e = err instanceof StrataError ? err : new BadGatewayError();
      if (stale && staleIfErrorAllowed(stale, request.headers, Date.now(), heuristicMax)) return { kind: 'entry', entry: stale, result: 'STALE' };
      return { kind: 'error', err: e };
    }
    const responseTime = Date.now();
    if (stale && res.statusCode === 304) {
      discard(res.body);
      const headers = { ...stale.headers };
      for (const k of NOT_MODIFIED_KEEP) if (res.headers[k] !== undefined) headers[k] = res.headers[k];
      delete headers.age;
      const entry: StoredResponse = { ...stale, headers, requestTime, responseTime };
      await save(primary, tags, entry);
      return { kind: 'entry', entry, result: 'HIT' };
    }
    if (stale && ERROR_STATUSES.has(res.statusCode) && staleIfErrorAllowed(stale, request.headers, responseTime, heuristicMax)) {
      discard(res.body);
      return { kind: 'entry', entry: stale, result: 'STALE' };
    }
    const verdict = isStorable(request.method, request.headers, res.statusCode, res.headers, o);
    const length = Number(res.headers['content-length'] ?? 0);
    if (!verdict.store || length > maxObject) return { kind: 'stream', res };
    const chunks: Buffer[] = [];
    let size = 0;
    const it = res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      for (;;) {
        const { value, done } = await it.next();
        if (done) break;
        chunks.push(value);
        size += value.length;
        if (size > maxObject) {
          // Too big after all: hand the client what we read plus the rest, uncached.
          const rest = async function* () {
            yield* chunks;
            for (;;) {
              const n = await it.next();
              if (n.done) return;
              yield n.value;
            }
          };
          return { kind: 'stream', res: { ...res, body: Readable.from(rest()) } };
        }
      }
    } catch {
      return { kind: 'error', err: new BadGatewayError() };
    }
    const headers = { ...res.headers };
    headers['content-length'] = String(size);
    const entry: StoredResponse = { status: res.statusCode, headers, body: Buffer.concat(chunks, size), requestTime, responseTime };
    const names = varyNames(headers.vary);
    if (names.length > 0) entry.vary = varyValues(names, request.headers);
    await save(primary, tags, entry);
    return { kind: 'entry', entry, result: 'MISS' };
  }

  /** Coalesces concurrent fetches of one key: followers reuse the leader's stored entry. */
  async function fetchShared(request: ProxyRequest, proxy: Proxy, prefixLength: number, primary: string, tags: string[], stale?: StoredResponse): Promise<Outcome> {
    const pending = inflight.get(primary);
    if (pending) {
      const entry = await pending;
      const names = entry ? varyNames(entry.headers.vary) : [];
      if (entry && JSON.stringify(varyValues(names, request.headers)) === JSON.stringify(entry.vary ?? {})) return { kind: 'entry', entry, result: 'HIT' };
      return fetchUpstream(request, proxy, prefixLength, primary, tags, stale);
    }
    let share!: (e: StoredResponse | undefined) => void;
    inflight.set(primary, new Promise((r) => (share = r)));
    try {
      const out = await fetchUpstream(request, proxy, prefixLength, primary, tags, stale);
      share(out.kind === 'entry' && out.result !== 'STALE' ? out.entry : undefined);
      return out;
    } catch (err) {
      share(undefined);
      throw err;
    } finally {
      inflight.delete(primary);
    }
  }

  async function serve(request: FastifyRequest, reply: FastifyReply, proxy: Proxy, entry: StoredResponse, result: CacheResult, route: string): Promise<FastifyReply> {
    o.metrics?.cache(route, result);
    let h = entry.headers;
    let body = entry.body;
    const coding = proxy.compressor?.choose(request.method, request.headers, entry.status, h, body.length);
    if (coding && proxy.compressor) {
      // Compressed once per stored entry and coding, then reused by every hit.
      let byCoding = compressed.get(entry);
      if (!byCoding) compressed.set(entry, (byCoding = new Map()));
      let z = byCoding.get(coding);
      if (!z) byCoding.set(coding, (z = await proxy.compressor.buffer(body, coding)));
      h = { ...proxy.compressor.headers(h, coding), 'content-length': String(z.length) };
      body = z;
    }
    for (const k in h) {
      if (strip && (k === 'cache-tag' || k === 'surrogate-key')) continue;
      const v = h[k];
      if (v !== undefined) reply.header(k, v);
    }
    reply.header('age', String(Math.floor(Math.max(0, currentAge(entry, Date.now())) / 1000)));
    reply.header('x-cache', result);
    const inm = request.headers['if-none-match'];
    const ims = request.headers['if-modified-since'];
    const etag = typeof h.etag === 'string' ? h.etag : undefined;
    let notModified = false;
    if (entry.status === 200) {
      if (inm !== undefined) notModified = etag !== undefined && etagMatchesWeak(inm, etag);
      else if (ims !== undefined && typeof h['last-modified'] === 'string') notModified = Date.parse(h['last-modified']) <= Date.parse(ims);
    }
    if (notModified) {
      reply.removeHeader('content-length');
      return reply.code(304).send();
    }
    reply.code(entry.status);
    return request.method === 'HEAD' ? reply.send() : reply.send(body);
  }

  function answer(request: FastifyRequest, reply: FastifyReply, proxy: Proxy, out: Outcome, route: string): FastifyReply | Promise<FastifyReply> {
    if (out.kind === 'entry') return serve(request, reply, proxy, out.entry, out.result, route);
    if (out.kind === 'error') {
      o.metrics?.cache(route, 'MISS');
      return sendProblem(reply.header('x-cache', 'MISS'), out.err);
    }
    o.metrics?.cache(route, 'MISS');
    reply.header('x-cache', 'MISS');
    return proxy.relay(request, reply, out.res);
  }

  async function handle(request: FastifyRequest, reply: FastifyReply, proxy: Proxy, prefixLength: number, route: string): Promise<FastifyReply> {
    const method = request.method;
    const h = request.headers;
    const bypass = () => {
      o.metrics?.cache(route, 'BYPASS');
      reply.header('x-cache', 'BYPASS');
      return proxy.handle(request, reply, prefixLength);
    };
    if (method !== 'GET' && method !== 'HEAD') {
      if (UNSAFE.has(method)) {
        const url = request.url;
        const q = url.indexOf('?');
        await store.deleteByTag(purgeTags(keyHost ? hostOf(request) : '', q === -1 ? url : url.slice(0, q))[0]);
      }
      return bypass();
    }
    const reqCC = parseCacheControl(h['cache-control']);
    if (h.range !== undefined || reqCC.has('no-store') || (h.authorization !== undefined && !o.allowAuthorization)) return bypass();
    const { key, tags } = primaryKey(hostOf(request), request.url, h, o.key);
    const found = await lookup(key, h);
    if (found) {
      const decision = reuseDecision(found, h, Date.now(), heuristicMax);
      if (decision === 'fresh') return serve(request, reply, proxy, found, 'HIT', route);
      if (decision === 'stale-while-revalidate') {
        if (!inflight.has(key)) {
          void fetchShared(request, proxy, prefixLength, key, tags, found)
            .then((out) => (out.kind === 'stream' ? discard(out.res.body) : undefined))
            .catch(() => {});
        }
        return serve(request, reply, proxy, found, 'STALE', route);
      }
      return answer(request, reply, proxy, await fetchShared(request, proxy, prefixLength, key, tags, found), route);
    }
    if (reqCC.has('only-if-cached')) return sendProblem(reply.header('x-cache', 'MISS'), new GatewayTimeoutError('The response is not in the cache (only-if-cached).'));
    // HEAD misses go through uncoalesced: a HEAD response has no body to store.
    if (method === 'HEAD') return bypass();
    return answer(request, reply, proxy, await fetchShared(request, proxy, prefixLength, key, tags), route);
  }

  const peek = store.peek?.bind(store);
  const BYPASS: CacheLaneStep = { kind: 'bypass' };
  function lane(method: 'GET' | 'HEAD', url: string, h: HeaderMap, proxy: Proxy): CacheLaneStep | undefined {
    if (peek === undefined) return undefined;
    const cc = h['cache-control'];
    const reqCC = cc === undefined ? undefined : parseCacheControl(cc);
    if (h.range !== undefined || reqCC?.has('no-store') || (h.authorization !== undefined && !o.allowAuthorization)) return proxy.compressor ? undefined : BYPASS;
    const { key, tags } = primaryKey(normalizeHost(h.host as string | undefined), url, h, o.key);
    let found = peek(key);
    if (found !== undefined && 'varyOn' in found) found = peek(secondaryKey(key, varyValues(found.varyOn, h)));
    if (found === undefined) {
      if (reqCC?.has('only-if-cached') || proxy.compressor) return undefined;
      if (method === 'HEAD') return BYPASS;
      return {
        kind: 'miss',
        fetch: async (request, prefixLength) => {
          const out = await fetchShared(request, proxy, prefixLength, key, tags);
          if (out.kind !== 'entry') return out;
          return { kind: 'entry', result: out.result, answer: render(out.entry, out.result, method, h, out.entry.body, out.entry.headers) };
        },
      };
    }
    if (!('body' in found)) return undefined;
    const entry = found;
    if (reuseDecision(entry, h, Date.now(), heuristicMax) !== 'fresh') return undefined;
    const coding = proxy.compressor?.choose(method, h, entry.status, entry.headers, entry.body.length);
    if (coding && proxy.compressor) {
      const z = compressed.get(entry)?.get(coding);
      if (z === undefined) return undefined;
      return { kind: 'hit', answer: render(entry, 'HIT', method, h, z, { ...proxy.compressor.headers(entry.headers, coding), 'content-length': String(z.length) }) };
    }
    return { kind: 'hit', answer: render(entry, 'HIT', method, h, entry.body, entry.headers) };
  }

  /** serve(), written as data: the same fields, the same 304 decision, Fastify's defaults for a Buffer. */
  function render(entry: StoredResponse, result: CacheResult, method: string, h: HeaderMap, body: Buffer, eh: HeaderMap): CacheHitAnswer {
    const out: Record<string, string | string[]> = {};
    for (const k in eh) {
      if (strip && (k === 'cache-tag' || k === 'surrogate-key')) continue;
      const v = eh[k];
      if (v !== undefined) out[k] = v;
    }
    out.age = String(Math.floor(Math.max(0, currentAge(entry, Date.now())) / 1000));
    out['x-cache'] = result;
    const inm = h['if-none-match'];
    const ims = h['if-modified-since'];
    const etag = typeof eh.etag === 'string' ? eh.etag : undefined;
    let notModified = false;
    if (entry.status === 200) {
      if (inm !== undefined) notModified = etag !== undefined && etagMatchesWeak(String(inm), etag);
      else if (ims !== undefined && typeof eh['last-modified'] === 'string') notModified = Date.parse(eh['last-modified']) <= Date.parse(String(ims));
    }
    if (notModified) {
      delete out['content-length'];
      return { status: 304, headers: out, body: undefined };
    }
    const status = entry.status;
    if (method === 'HEAD') return { status, headers: out, body: undefined };
    if (status === 204) {
      // Fastify's send() with a payload on a 204: no Content-Type or -Length, no body.
      delete out['content-type'];
      delete out['content-length'];
      return { status, headers: out, body: undefined };
    }
    // What Fastify's send() does with a Buffer: a default type, the length of the bytes sent.
    out['content-type'] ??= 'application/octet-stream';
    out['content-length'] = String(body.length);
    return { status, headers: out, body };
  }

  function split(url: string, host?: string): { host: string; path: string } {
    const u = new URL(url, 'http://placeholder');
    const h = isAbsoluteUrl(url) ? u.hostname : (host ?? o.purgeHost ?? '');
    return { host: keyHost ? normalizeHost(h) : '', path: u.pathname };
  }

  return {
    handle,
    lane,
    purgeNeedsHost: keyHost && !o.purgeHost,
    async purgeUrl(url, host) {
      const s = split(url, host);
      return store.deleteByTag(`u:${s.host}${s.path}`);
    },
    async purgePrefix(prefix, host) {
      const s = split(prefix, host);
      return store.deleteByTag(`p:${s.host}${s.path.length > 1 ? s.path.replace(/\/$/, '') : '/'}`);
    },
    async purgeTag(tag) {
      return store.deleteByTag(`t:${tag}`);
    },
  };
}
