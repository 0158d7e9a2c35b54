// The event bus contract: publish/subscribe on dotted topics with NATS-style
// wildcards (`*` one token, `>` one or more trailing tokens). At-most-once, fan-out.

export type BusHandler<T = unknown> = (payload: T, topic: string) => void | Promise<void>;

export interface Bus {
  /** Engine name as written in config: `memory`, `redis`, `nats`, `rabbitmq`. */
  readonly kind: string;
  /** Resolves once the message is handed to the engine (delivery is at-most-once, to current subscribers). */
  publish<T = unknown>(topic: string, payload: T): Promise<void>;
  /** Resolves once the subscription is live; returns its unsubscribe function. */
  subscribe<T = unknown>(pattern: string, handler: BusHandler<T>): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface BusOptions {
  /** Called when a handler throws or a message cannot be decoded; the bus keeps going. */
  onError?: (err: unknown, topic: string) => void;
}
