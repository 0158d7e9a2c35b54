/** @module Web application firewall: request inspection with anomaly scoring, rate limiting and IP rules, as a Fastify plugin and a Component. */
import type { Component } from '../core/index.js';
import type { FastifyPluginAsync } from 'fastify';
import { EventRing } from './event-ring.js';
import { wafPlugin, type BodyGate, type WafDeps } from './waf-plugin.js';
import { redisRateStore } from './rate-limit/store-redis.js';
import type { RateLimitStore } from './rate-limit/store.js';
import { enginesOrOwn, type Engines } from '../engines/index.js';

export { wafPlugin, engineFromConfig, type WafDeps, type WafConfig, type WafIdentity, type BodyGate, type BodyGateResult } from './waf-plugin.js';
export { createWafEngine, type WafEngine, type WafEngineOptions, type Detection, type HeadRequest, type WafMode } from './waf-engine.js';
export type { Detector, Finding, InspectedValue, Location, ParanoiaLevel, RequestFacts, Severity } from './detector.js';
export { builtinDetectors, DETECTOR_NAMES, type DetectorName } from './detector-catalog.js';
export { EventRing, type WafEvent, type EventQuery } from './event-ring.js';
export { IpRules, cidrList, normalizeIp } from './ip-rules.js';
export { ConnectionLimiter } from './connection-limit.js';
export { RateLimiter, type RateLimitRule, type RateSubject } from './rate-limit/rate-limiter.js';
export { memoryRateStore } from './rate-limit/store-memory.js';
export { redisRateStore } from './rate-limit/store-redis.js';
export type { RateLimitStore, RatePolicy } from './rate-limit/store.js';
export type { RateDecision } from './rate-limit/algorithms.js';
export { WafBlockedError, RateLimitedError, IpDeniedError } from './errors.js';
export { createWafMetrics, type WafMetrics } from './waf-metrics.js';

export interface WafComponent extends Component {
  readonly events: EventRing;
  /** The plugin to register on the root Fastify instance (after start()). */
  plugin(): FastifyPluginAsync;
  /**
   * For the gateway: inspects the body of a request it answers itself (proxy, static,
   * redirect), which Fastify never parses; the registered plugin's gate (nothing is read before plugin()).
   */
  readonly bodyGate: BodyGate;
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
  deps: Omit<WafDeps, 'events' | 'rateStore'> & {
    /** Shared engine clients (the composition root's); without it, the Redis store opens its own client and closes it. */
    engines?: Engines;
  },
): WafComponent {
  const events = new EventRing(deps.config.events.size);
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
  return {
    name: 'waf',
    events,
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
      const p = wafPlugin({ ...deps, events, rateStore: useRedis ? lazy : undefined });
      gate = p.bodyGate;
      return p;
    },
    bodyGate: (request, reply) => (gate ? gate(request, reply) : Promise.resolve({ answered: false })),
  };
}
