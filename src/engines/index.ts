/** @module Engines: one shared client per external engine (Redis, RabbitMQ, NATS, Memcached) and purpose, built from `engines.*` config, closed once. */
export { createEngines, enginesOrOwn, redisClientName } from './engine-registry.js';
export type { Engines, EnginesConfig, RedisPurpose } from './engine-types.js';
