// A request logger made on first use: Fastify binds a pino child logger to
// every request, but most requests never log through it (the access line is
// written by the edge), so the child is only created when something logs.
import type { Logger, Bindings, ChildLoggerOptions } from 'pino';
import type { FastifyBaseLogger } from 'fastify';

export class LazyRequestLogger {
  private made?: Logger;
  constructor(
    private readonly parent: Logger,
    private readonly bindings: Bindings,
    private readonly options?: ChildLoggerOptions,
  ) {}

  private get log(): Logger {
    return (this.made ??= this.parent.child(this.bindings, this.options));
  }

  get level(): string {
    return this.made?.level ?? this.parent.level;
  }
  set level(l: string) {
    this.log.level = l;
  }
  // Prototype methods, not per-instance closures: one object per request stays cheap.
  fatal(...a: unknown[]): void {
    (this.log.fatal as (...x: unknown[]) => void)(...a);
  }
  error(...a: unknown[]): void {
    (this.log.error as (...x: unknown[]) => void)(...a);
  }
  warn(...a: unknown[]): void {
    (this.log.warn as (...x: unknown[]) => void)(...a);
  }
  info(...a: unknown[]): void {
    (this.log.info as (...x: unknown[]) => void)(...a);
  }
  debug(...a: unknown[]): void {
    (this.log.debug as (...x: unknown[]) => void)(...a);
  }
  trace(...a: unknown[]): void {
    (this.log.trace as (...x: unknown[]) => void)(...a);
  }
  silent(): void {}
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.log.child(bindings, options);
  }
}
