// Fastify integration: IP rules, rate limits and the head inspection in onRequest
// (before the body is read), body inspection in preValidation (after parsing) or, for
// requests answered before Fastify parses bodies (gateway routes), in the body gate;
// 403/413/429 as RFC 9457 problems, one logged/counted/recorded event per request: when
// the head is judged for requests without a body, after the body otherwise.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../core/index.js';
import type { Static } from '@sinclair/typebox';
import type { WafSchema } from '../config/schema-waf.js';
import { createWafEngine, type BodyCarry, type Detection, type HeadMemo, type WafEngine } from './waf-engine.js';
import type { ParanoiaLevel } from './detector.js';
import { DETECTOR_NAMES } from './detector-catalog.js';
import { EventRing, type WafEvent } from './event-ring.js';
import { createWafMetrics, type WafMetrics } from './waf-metrics.js';
import { IpRules } from './ip-rules.js';
import { ConnectionLimiter } from './connection-limit.js';
import { RateLimiter, type LimitedKey, type RateConsumption } from './rate-limit/rate-limiter.js';
import { memoryRateStore } from './rate-limit/store-memory.js';
import type { RateLimitStore } from './rate-limit/store.js';
import { IpDeniedError, RateLimitedError, WafBlockedError } from './errors.js';
import { replyError } from '../edge/index.js';
import { bodyInspection, DECODED, STREAMED, type BodyGate, type BodyState } from './waf-body.js';
import type { StrataSchema } from './strata-args.js';
import type { RuntimeExclusions } from './exclusions-runtime.js';

export type { BodyGate, BodyGateResult } from './waf-body.js';

/**
 * The head check for a request answered before Fastify (the gateway's fast lane): true when it
 * passed with nothing to record (counted as passed, nothing else to do); false when Fastify's
 * hooks must judge it, which then do everything once (IP rules, rate limits, inspection, events).
 */
export type HeadPass = (raw: import('node:http').IncomingMessage) => boolean;

export type WafConfig = Static<typeof WafSchema>;

export interface WafIdentity { user?: string; apiKey?: string }

export interface WafDeps {
  config: WafConfig;
  /** prom-client registry for the strata_waf_* / strata_ratelimit_* metrics. */
  registry?: Registry;
  /** Shared with wafEventsRoutes; made from config.events.size when omitted. */
  events?: EventRing;
  /** Rate-limit store; an in-memory one when omitted (createWaf builds the Redis one from config). */
  rateStore?: RateLimitStore;
  /** Who is calling, for `by: user` / `by: apiKey` limits (the auth capability supplies it). */
  identity?: (request: FastifyRequest) => WafIdentity | undefined;
  /** For rate-limit store failures (the limiter fails open). */
  logger?: Pick<Logger, 'warn'>;
  /** Register pass-through string parsers for urlencoded, multipart and XML bodies when none exist, so they are inspected. */
  bodyParsers?: boolean;
  /** Strata's collections (the data layer's, live): records filters are parsed and typed fields skipped (strata-args.ts). */
  schema?: StrataSchema;
  /**
   * Whether the caller is an authenticated superuser allowed on the admin API: then the URL
   * fields an admin route declares (route config `waf: { urlFields: ['urls.*'] }`) are not
   * scored by the SSRF/RFI family. Read when the body is inspected (after the auth hook).
   */
  superuser?: (request: FastifyRequest) => boolean;
  /** Exclusions added at run time (the admin API): detections they cover are dropped before scoring. */
  runtimeExclusions?: RuntimeExclusions;
}

interface RequestState extends BodyState { recorded: boolean }

/**
 * Whether a body may follow the head: HTTP/1.1 Transfer-Encoding or a Content-Length above
 * 0 (RFC 9112 §6.3); HTTP/2 needs neither (RFC 9113 §8.1: a stream not ended with the
 * HEADERS frame carries DATA frames).
 */
function mayHaveBody(request: FastifyRequest): boolean {
  const h = request.headers;
  const cl = h['content-length'];
  if (h['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0')) return true;
  const stream = (request.raw as { stream?: { endAfterHeaders?: boolean } }).stream;
  return stream !== undefined && cl === undefined && stream.endAfterHeaders === false;
}

/**
 * The media-type allow-list finding (CRS 920420, legacy `protocol-content-type`). On
 * Strata's own routes it yields to the route: a route answers 415 to a media type it does
 * not take, after the body was inspected.
 */
const isMediaTypePolicy = (d: Detection): boolean => d.rule === '920420' || (d.rule === 'protocol-content-type' && d.message === 'content type not allowed');

const STATE = 'strataWaf';
/** What the address-keyed rate limits consumed, for the identity-keyed check after auth. */
const CONSUMED = 'strataRateConsumed';
const pathOf = (url: string) => { const q = url.indexOf('?'); return q === -1 ? url : url.slice(0, q); };

/** CRS family names as the legacy detectors that cover them (legacy names pass through). */
const LEGACY_OF: Record<string, string[]> = {
  lfi: ['traversal'], rce: ['command'], rfi: ['ssrf'], php: ['code'], nodejs: ['code'], java: ['code', 'template'], 'protocol-attack': ['protocol'], multipart: ['protocol'], method: ['protocol'], 'session-fixation': [],
};
const legacyNames = (n: string): string[] => LEGACY_OF[n] ?? ((DETECTOR_NAMES as readonly string[]).includes(n) ? [n] : []);

export function engineFromConfig(config: WafConfig, schema?: StrataSchema): WafEngine {
  // the legacy engine knows only its own detector names
  const legacy = config.engine === 'legacy';
  const detectors = legacy ? [...new Set(config.detectors.flatMap(legacyNames))] : config.detectors;
  return createWafEngine({
    mode: config.mode,
    engine: config.engine,
    paranoia: config.paranoia as ParanoiaLevel,
    threshold: config.threshold,
    detectors,
    exclusions: config.exclusions.map((e) => ({ ...e, route: e.route || undefined, parameter: e.parameter || undefined })),
    limits: config.limits,
    cacheSize: config.cacheSize,
    schema,
  });
}

/**
 * The WAF, rate limits and IP rules as one Fastify plugin whose hooks apply to the
 * whole server (register it on the root instance, before the routes).
 *
 * @example
 * app.register(wafPlugin({ config: config.waf, registry }));
 */
export function wafPlugin(deps: WafDeps): FastifyPluginAsync & { bodyGate: BodyGate; headPass: HeadPass; limited: () => LimitedKey[] } {
  const { config } = deps;
  const engine = engineFromConfig(config, deps.schema);
  const events = deps.events ?? new EventRing(config.events.size);
  const metrics: WafMetrics = createWafMetrics(deps.registry);
  const ipRules = new IpRules(config.ip);
  const limiter = config.rateLimit.rules.length > 0
    ? new RateLimiter(config.rateLimit.rules, deps.rateStore ?? memoryRateStore(), {
      headers: config.rateLimit.headers,
      onError: (err) => deps.logger?.warn({ err: String(err) }, 'rate-limit store failed; request let through'),
    })
    : undefined;
  const byIdentity = limiter?.keyedByIdentity === true;
  const block = config.mode === 'block';
  const inspect = config.mode !== 'off';

  const runtime = deps.runtimeExclusions;
  /** Drops the detections a runtime exclusion covers (read per request: a change applies to the next one). */
  const prune = (request: FastifyRequest, st: RequestState): void => {
    if (runtime !== undefined && !runtime.empty && st.detections.length > 0) st.detections = runtime.prune(st.detections, request.method, st.routeUrl, pathOf(request.url));
  };

  const record = (request: FastifyRequest, st: RequestState, action: WafEvent['action']): WafEvent => {
    st.recorded = true;
    const score = engine.score(st.detections);
    const event: WafEvent = {
      id: randomUUID(), time: new Date().toISOString(), requestId: String(request.id), action, method: request.method, path: pathOf(request.url).slice(0, 512),
      route: st.routeUrl, ip: request.ip, score, threshold: config.threshold, paranoia: config.paranoia, detections: st.detections,
    };
    events.push(event);
    metrics.requests.labels(action).inc();
    for (const d of st.detections) metrics.detections.labels(d.detector, d.rule).inc();
    request.log.warn({ waf: { eventId: event.id, action, score, rules: st.detections.map((d) => `${d.detector}/${d.rule}@${d.location ?? 'request'}:${d.name ?? ''}`) } }, `waf ${action}`);
    return event;
  };

  const judge = (request: FastifyRequest, reply: FastifyReply, st: RequestState): FastifyReply | undefined => {
    prune(request, st);
    if (!block || engine.score(st.detections) < config.threshold) return undefined;
    const ev = record(request, st, 'blocked');
    return replyError(reply, new WafBlockedError(ev.id));
  };

  /** Counts a request that was let through, once: as passed, or as detected with its event. */
  const settle = (request: FastifyRequest, st: RequestState): void => {
    if (st.recorded) return;
    prune(request, st);
    if (st.detections.length > 0) record(request, st, 'detected');
    else {
      st.recorded = true;
      metrics.countPass();
    }
  };

  const stateOf = (request: FastifyRequest) => (request as unknown as Record<string, RequestState | null>)[STATE];
  const body = bodyInspection({
    config, engine, block, stateOf, superuser: deps.superuser,
    judge: (request, reply) => judge(request, reply, stateOf(request) as RequestState),
    settle: (request) => settle(request, stateOf(request) as RequestState),
    recordBlocked: (request) => record(request, stateOf(request) as RequestState, 'blocked').id,
    verdict: (request) => {
      const st = stateOf(request) as RequestState;
      prune(request, st);
      if (!block || engine.score(st.detections) < config.threshold) return undefined;
      return record(request, st, 'blocked').id;
    },
  });

  // Route-scoped exclusions need Fastify's route: those requests stay on the Fastify path.
  const routeScoped = config.exclusions.some((e) => e.route !== '');
  const rawMemos = new WeakMap<object, HeadMemo>();
  const headPass: HeadPass = (raw) => {
    if (limiter || !ipRules.empty || routeScoped) return false;
    if (!inspect) return true;
    const h = raw.headers;
    const cl = h['content-length'];
    if (h['transfer-encoding'] !== undefined || (cl !== undefined && cl !== '0')) return false;
    let memo = rawMemos.get(raw.socket);
    if (memo === undefined) rawMemos.set(raw.socket, (memo = {}));
    if (engine.inspectHead({ method: raw.method ?? 'GET', url: raw.url ?? '/', httpVersion: raw.httpVersion, headers: h, rawHeaders: raw.rawHeaders }, undefined, memo).length > 0) return false;
    metrics.countPass();
    return true;
  };

  const plugin = async (app: FastifyInstance): Promise<void> => {
    if (deps.bodyParsers) {
      for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data', 'application/xml', 'text/xml']) {
        if (!app.hasContentTypeParser(type)) app.addContentTypeParser(type, { parseAs: 'string' }, (_req, body, done) => done(null, body));
      }
    }
    if (config.ip.maxConnectionsPerIp > 0) {
      const conns = new ConnectionLimiter(config.ip.maxConnectionsPerIp, () => metrics.connectionsRejected.inc());
      const detach = conns.attach(app.server);
      app.addHook('onClose', async () => detach());
    }

    // Per-request state lives on the request (a decorated property: no WeakMap churn).
    app.decorateRequest(STATE, null);
    app.decorateRequest(STREAMED, null);
    app.decorateRequest(DECODED, null);
    // nothing to inspect, limit or filter: no hooks, so a server with the WAF off pays nothing per request
    if (!inspect && !limiter && ipRules.empty) return;
    // bodies no route parser takes are read anyway, so they are inspected before their 404 or 415
    if (inspect && !app.hasContentTypeParser('*')) app.addContentTypeParser('*', { parseAs: 'buffer' }, body.catchAll);

    // One memo of header findings per connection (the HTTP/2 session, or the socket): see HeadMemo.
    const memos = new WeakMap<object, HeadMemo>();
    const memoOf = (raw: FastifyRequest['raw']): HeadMemo | undefined => {
      const conn = (raw as { stream?: { session?: object } }).stream?.session ?? raw.socket;
      if (!conn) return undefined;
      let m = memos.get(conn);
      if (m === undefined) memos.set(conn, (m = {}));
      return m;
    };

    /** Inspects the head; returns true when it answered the request itself. */
    const inspectHead = (request: FastifyRequest, reply: FastifyReply): boolean => {
      if (!inspect) return false;
      const raw = request.raw;
      // routeOptions is a getter that builds an object: read it once per request
      const routeUrl = request.routeOptions.url;
      // a tus creation's Upload-Metadata is inspected as a body is (waf-body.ts), whether or not one follows
      const withBody = mayHaveBody(request) || request.headers['upload-metadata'] !== undefined;
      // a body may follow: the head's inspection state goes with the request to the body pass
      const carry: BodyCarry | undefined = withBody ? {} : undefined;
      let detections = engine.inspectHead({ method: request.method, url: request.url, httpVersion: raw.httpVersion, headers: request.headers, rawHeaders: raw.rawHeaders }, routeUrl, memoOf(raw), carry);
      // a route of Strata's own answers 415 to a media type it does not take (after the body is inspected)
      if (withBody && routeUrl !== undefined && detections.length > 0) detections = detections.filter((d) => !isMediaTypePolicy(d));
      const st: RequestState = { detections, recorded: false, routeUrl, carry };
      if (detections.length > 0 && judge(request, reply, st) !== undefined) return true;
      if (!withBody) {
        // nothing more to inspect: the request's verdict is final now (no per-request response hook)
        settle(request, st);
        return false;
      }
      (request as unknown as Record<string, RequestState>)[STATE] = st;
      // the body is judged in preValidation or the body gate; this settles requests that never get there (a body that does not parse)
      request.raw.once('close', () => settle(request, st));
      return false;
    };

    // Callback-style hooks: no promise per request on the common path.
    app.addHook('onRequest', (request, reply, done) => {
      if (!ipRules.empty) {
        const v = ipRules.check(request.ip);
        if (v === 'deny') {
          metrics.ipDenied.labels(config.ip.allow.length > 0 ? 'not-allowed' : 'denied').inc();
          replyError(reply, new IpDeniedError());
          return;
        }
        if (v === 'bypass') { done(); return; }
      }
      if (!limiter) {
        if (!inspectHead(request, reply)) done();
        return;
      }
      // Rules by IP and route apply here, before any other work; rules by user or API key once auth has
      // found the caller (the preParsing hook below: auth's hook runs in onRequest, after this one).
      limiter.check({ method: request.method, path: pathOf(request.url), routeUrl: request.routeOptions.url, ip: request.ip }, undefined, byIdentity ? 'address' : 'all').then((out) => {
        for (const k in out.headers) reply.header(k, out.headers[k]);
        if (out.refused) {
          metrics.rateLimited.labels(out.refused.policy).inc();
          replyError(reply, new RateLimitedError(out.refused.policy, out.refused.retryAfterSeconds, {}));
          return;
        }
        if (byIdentity) (request as unknown as Record<string, RateConsumption>)[CONSUMED] = out.consumed;
        if (!inspectHead(request, reply)) done();
      }, (err: Error) => done(err));
    });
    if (limiter && byIdentity) {
      app.decorateRequest(CONSUMED, null);
      app.addHook('preParsing', (request, reply, payload, done) => {
        const who = deps.identity?.(request);
        if (!who) return done(null, payload);
        const before = (request as unknown as Record<string, RateConsumption | null>)[CONSUMED] ?? [];
        limiter.check({ method: request.method, path: pathOf(request.url), routeUrl: request.routeOptions.url, ip: request.ip, user: who.user, apiKey: who.apiKey }, undefined, 'identity', before).then((out) => {
          for (const k in out.headers) reply.header(k, out.headers[k]);
          if (out.refused) {
            metrics.rateLimited.labels(out.refused.policy).inc();
            replyError(reply, new RateLimitedError(out.refused.policy, out.refused.retryAfterSeconds, {}));
            return;
          }
          done(null, payload);
        }, (err: Error) => done(err));
      });
    }

    app.addHook('preValidation', body.preValidation);
  };
  // like fastify-plugin: hooks apply to the parent (root) scope, not an encapsulated child
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  (plugin as unknown as Record<symbol, string>)[Symbol.for('fastify.display-name')] = 'strata-waf';
  return Object.assign(plugin, { bodyGate: body.gate, headPass, limited: () => limiter?.limitedNow() ?? [] });
}
