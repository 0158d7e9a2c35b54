/** @module Web application firewall: request inspection with anomaly scoring, rate limiting and IP rules, as a Fastify plugin and a Component. */
import type { Component } from '../core/index.js';
import type { FastifyPluginAsync } from 'fastify';
import { EventRing } from './event-ring.js';
import { wafPlugin, type BodyGate, type HeadPass, type WafDeps } from './waf-plugin.js';
import { redisRateStore } from './rate-limit/store-redis.js';
import type { RateLimitStore } from './rate-limit/store.js';
import { enginesOrOwn, type Engines } from '../engines/index.js';
import { RuntimeExclusions } from './exclusions-runtime.js';
import type { LimitedKey } from './rate-limit/rate-limiter.js';

export { wafPlugin, engineFromConfig, type HeadPass, type WafDeps, type WafConfig, type WafIdentity, type BodyGate, type BodyGateResult } from './waf-plugin.js';
export { createWafEngine, type WafEngine, type WafEngineOptions, type Detection, type HeadRequest, type WafMode } from './waf-engine.js';
export type { Detector, Finding, InspectedValue, Location, ParanoiaLevel, RequestFacts, Severity } from './detector.js';
export { builtinDetectors, DETECTOR_NAMES, type DetectorName } from './detector-catalog.js';
export { inspectDecodedBody, inspectStreamedBody } from './waf-body.js';
export { RuntimeExclusions, checkExclusion, type RuntimeExclusion } from './exclusions-runtime.js';
export type { WafExclusion } from './exclusions.js';
export { EventRing, type WafEvent, type EventQuery } from './event-ring.js';
export { IpRules, cidrList, normalizeIp } from './ip-rules.js';
export { ConnectionLimiter } from './connection-limit.js';
export { RateLimiter, type RateLimitRule, type RateSubject, type LimitedKey } from './rate-limit/rate-limiter.js';
export { memoryRateStore } from './rate-limit/store-memory.js';
export { redisRateStore } from './rate-limit/store-redis.js';
export type { RateLimitStore, RatePolicy } from './rate-limit/store.js';
export type { RateDecision } from './rate-limit/algorithms.js';
export { WafBlockedError, RateLimitedError, IpDeniedError } from './errors.js';
export { createWafMetrics, type WafMetrics } from './waf-metrics.js';

export interface WafComponent extends Component {
  readonly events: EventRing;
  /** Exclusions added at run time (the admin API); the plugin reads them per request. */
  readonly exclusions: RuntimeExclusions;
  /** The plugin to register on the root Fastify instance (after start()). */
  plugin(): FastifyPluginAsync;
  /**
   * For the gateway: inspects the body of a request it answers itself (proxy, static,
   * redirect), which Fastify never parses; the registered plugin's gate (nothing is read before plugin()).
   */
  readonly bodyGate: BodyGate;
  /** The rate-limit buckets refusing requests now on this instance, most refusals first (empty before plugin()). */
  rateLimited(): LimitedKey[];
  /** For the gateway's fast lane: the registered plugin's head check (false before plugin(): Fastify's path judges). */
  readonly headPass: HeadPass;
}

/**
 * Builds the WAF from its config section; start() connects the Redis rate-limit
 * store when `waf.rateLimit.store` is `redis`.
 *
 * @example
 * const waf = createWaf({ config: config.waf, registry });
 * await waf.start();
 * app.register(waf.plugin());
 */
export function createWaf(
  deps: Omit<WafDeps, 'events' | 'rateStore' | 'runtimeExclusions'> & {
    /** Shared engine clients (the composition root's); without it, the Redis store opens its own client and closes it. */
    engines?: Engines;
  },
): WafComponent {
  const events = new EventRing(deps.config.events.size);
  const exclusions = new RuntimeExclusions();
  let store: RateLimitStore | undefined;
  let engines: ReturnType<typeof enginesOrOwn> | undefined;
  // The plugin is registered before start(); it reaches the Redis store through this
  // indirection (a consume before start fails open and is logged by the limiter).
  const lazy: RateLimitStore = {
    name: 'redis',
    consume(key, policy, now) {
      if (!store) return Promise.reject(new Error('waf: Redis rate-limit store not started'));
      return store.consume(key, policy, now);
    },
  };
  const useRedis = deps.config.rateLimit.store === 'redis' && deps.config.rateLimit.rules.length > 0;
  let gate: BodyGate | undefined;
  let head: HeadPass | undefined;
  let limited: (() => LimitedKey[]) | undefined;
  return {
    name: 'waf',
    events,
    exclusions,
    async start() {
      const rl = deps.config.rateLimit;
      if (!useRedis) return;
      const e = enginesOrOwn(deps.engines);
      try {
        store = await redisRateStore({ client: await e.engines.redis('commands'), prefix: rl.prefix });
      } catch (err) {
        await e.release();
        throw err;
      }
      engines = e;
    },
    async stop() {
      await store?.close?.();
      await engines?.release();
      store = undefined;
      engines = undefined;
    },
    ready: () => true,
    plugin: () => {
      const p = wafPlugin({ ...deps, events, runtimeExclusions: exclusions, rateStore: useRedis ? lazy : undefined });
      gate = p.bodyGate;
      head = p.headPass;
      limited = p.limited;
      return p;
    },
    bodyGate: (request, reply) => (gate ? gate(request, reply) : Promise.resolve({ answered: false })),
    headPass: (raw) => (head ? head(raw) : false),
    rateLimited: () => limited?.() ?? [],
  };
}
