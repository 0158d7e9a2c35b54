// One upstream server: its pooled keep-alive HTTP/1.1 client (undici, TLS for https://) and its
// health state (active checks and passive ejection after consecutive failures, with a cool-down).
import { Pool } from 'undici';
import type { BalanceTarget } from './balancers/balancer.js';
import { upstreamTls, type UpstreamTlsOptions } from './upstream-tls.js';

export interface UpstreamOptions {
  url: string;
  weight?: number;
  /** Keep-alive connections kept to this upstream. */
  connections?: number;
  connectTimeoutMs?: number;
  headersTimeoutMs?: number;
  /** Longest silence while a body is streaming. */
  idleTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /** TLS settings for `https://` upstreams (ignored for `http://`). */
  tls?: UpstreamTlsOptions;
}

export class Upstream implements BalanceTarget {
  readonly id: string;
  readonly url: URL;
  readonly weight: number;
  /** Path prefix from the upstream URL (`http://h/base` → `/base`), '' when none. */
  readonly basePath: string;
  readonly dispatcher: Pool;
  /**
   * Spread into every request and upgrade: on https upstreams a constant `servername` (see
   * upstreamTls). undici honours it at run time although its types leave it out.
   */
  readonly dispatchOptions: { servername?: string };
  active = 0;
  /** Verdict of active health checks (true until a check says otherwise). */
  healthy = true;
  /** Passive ejection: unavailable until this time (ms since epoch). */
  ejectedUntil = 0;
  consecutiveFailures = 0;

  constructor(o: UpstreamOptions) {
    this.url = new URL(o.url);
    this.id = this.url.origin + this.url.pathname.replace(/\/+$/, '');
    this.basePath = this.url.pathname.replace(/\/+$/, '');
    this.weight = o.weight ?? 1;
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') throw new Error(`upstream ${o.url}: only http:// and https:// are supported`);
    const connectTimeout = o.connectTimeoutMs ?? 5_000;
    const tls = this.url.protocol === 'https:' ? upstreamTls(this.url, o.tls ?? {}, connectTimeout) : undefined;
    this.dispatchOptions = tls ? { servername: tls.requestServername } : {};
    this.dispatcher = new Pool(this.url.origin, {
      connections: o.connections ?? 128,
      pipelining: 1,
      connect: tls ? tls.connect : { timeout: connectTimeout },
      headersTimeout: o.headersTimeoutMs ?? 30_000,
      bodyTimeout: o.idleTimeoutMs ?? 60_000,
      keepAliveTimeout: o.keepAliveTimeoutMs ?? 4_000,
    });
  }

  available(now: number): boolean {
    return this.healthy && now >= this.ejectedUntil;
  }

  /** Passive health: after `maxFails` consecutive failures, eject for `cooldownMs`. */
  recordFailure(now: number, maxFails: number, cooldownMs: number): boolean {
    this.consecutiveFailures++;
    if (maxFails > 0 && this.consecutiveFailures >= maxFails) {
      this.ejectedUntil = now + cooldownMs;
      // Back from cool-down it gets one chance: a single failure ejects it again.
      this.consecutiveFailures = maxFails - 1;
      return true;
    }
    return false;
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
  }

  close(): Promise<void> {
    return this.dispatcher.close();
  }
}
