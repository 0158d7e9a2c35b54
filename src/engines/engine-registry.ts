// The external engines' clients, one per engine and purpose, shared by every capability:
// created on first use (the engine's library loaded with await import() only then), closed once.
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { ChannelModel } from 'amqplib';
import type { NatsConnection } from 'nats';
import type { Client as MemcachedClient } from 'memjs';
import type { Logger } from 'pino';
import type { EnginesConfig, Engines, RedisPurpose } from './engine-types.js';

/**
 * Every connection's Redis client name, so `CLIENT LIST` shows which Strata process (host, pid: one
 * per cluster worker) holds it and for what: `strata:<purpose>:<host>:<pid>`.
 */
export const redisClientName = (purpose: RedisPurpose): string => `strata:${purpose}:${hostname().replace(/[^A-Za-z0-9.-]/g, '-')}:${process.pid}`;

const DEFAULTS: EnginesConfig = {
  redis: { url: 'redis://127.0.0.1:6379' },
  rabbitmq: { url: 'amqp://guest:guest@127.0.0.1:5672' },
  nats: { servers: '127.0.0.1:4222' },
  memcached: { servers: '127.0.0.1:11211' },
};

/**
 * Builds the registry; nothing connects until a capability asks.
 *
 * @example
 * const engines = createEngines(config.engines, { log });
 * const redis = await engines.redis('commands');
 * // ... after every capability has stopped:
 * await engines.close();
 */
export function createEngines(config: EnginesConfig = DEFAULTS, opts: { log?: Logger } = {}): Engines {
  const redis = new Map<RedisPurpose, Promise<Redis>>();
  let amqp: Promise<ChannelModel> | undefined;
  let nats: Promise<NatsConnection> | undefined;
  let memcached: Promise<MemcachedClient> | undefined;
  let closing: Promise<void> | undefined;
  const afterClose = () => Promise.reject(new Error('engines: asked for a client after close()'));
  // A failed connect is forgotten, so the next caller tries again instead of getting the old error.
  const forgetOnFailure = <T>(p: Promise<T>, forget: () => void): Promise<T> => {
    p.catch(forget);
    return p;
  };

  return {
    redis(purpose) {
      if (closing) return afterClose();
      let p = redis.get(purpose);
      if (!p) {
        p = forgetOnFailure(
          import('ioredis').then(({ Redis: RedisClient }) => {
            // One client for every request/response user: auto-pipelining batches their commands on the one socket.
            const options = purpose === 'commands' ? { enableAutoPipelining: true, maxRetriesPerRequest: 3 } : {};
            const client = new RedisClient(config.redis.url, { ...options, connectionName: redisClientName(purpose) });
            // Failures reach callers per command; ioredis reconnects by itself (and re-subscribes a subscriber).
            client.on('error', (err: Error) => opts.log?.debug({ err, purpose }, 'redis connection error'));
            return client;
          }),
          () => redis.delete(purpose),
        );
        redis.set(purpose, p);
      }
      return p;
    },
    rabbitmq() {
      if (closing) return afterClose();
      if (amqp) return amqp;
      const p: Promise<ChannelModel> = import('amqplib').then(async (lib) => {
        // Nagle off: with publisher confirms it otherwise costs ~40 ms a message.
        const conn = await lib.connect(config.rabbitmq.url, { noDelay: true });
        conn.on('error', (err: Error) => opts.log?.debug({ err }, 'rabbitmq connection error'));
        // A closed connection is not reused: the next caller (an adapter reconnecting) gets a new one.
        conn.on('close', () => {
          if (amqp === p) amqp = undefined;
        });
        return conn;
      });
      amqp = forgetOnFailure(p, () => {
        if (amqp === p) amqp = undefined;
      });
      return p;
    },
    nats() {
      if (closing) return afterClose();
      nats ??= forgetOnFailure(
        import('nats').then(({ connect }) => connect({ servers: config.nats.servers, maxReconnectAttempts: -1 })),
        () => (nats = undefined),
      );
      return nats;
    },
    memcached() {
      if (closing) return afterClose();
      memcached ??= import('memjs').then(({ default: memjs }) =>
        memjs.Client.create(config.memcached.servers, { retries: 1, timeout: 1, logger: { log: () => {} } }),
      );
      return memcached;
    },
    close() {
      closing ??= (async () => {
        const settled = async <T>(p: Promise<T> | undefined): Promise<T | undefined> => (p ? p.catch(() => undefined) : undefined);
        await Promise.all([
          ...[...redis.values()].map(async (p) => {
            const c = await settled(p);
            await c?.quit().catch(() => c.disconnect());
          }),
          settled(amqp).then((c) => c?.close().catch(() => {})),
          settled(nats).then((c) => c?.drain().catch(() => c.close())),
          settled(memcached).then((c) => c?.quit()),
        ]);
      })();
      return closing;
    },
  };
}

/**
 * For a capability built without a registry (standalone use, its own tests): a registry of its own on
 * the default addresses, which it closes itself; a registry it was given is never closed by it.
 */
export function enginesOrOwn(given: Engines | undefined): { engines: Engines; release(): Promise<void> } {
  if (given) return { engines: given, release: async () => {} };
  const own = createEngines();
  return { engines: own, release: () => own.close() };
}
