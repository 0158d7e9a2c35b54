// Structured logs with pino: JSON lines, secrets redacted, flushed on shutdown.
import { pino, type Logger, type DestinationStream } from 'pino';
import type { StrataConfig } from '../config/index.js';

/** Header and field paths never written to logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.token',
  '*.secret',
];

export function createLogger(config: Pick<StrataConfig, 'log'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.log.level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Writes out buffered lines; call before exit. */
export function flushLogger(log: Logger): void {
  try {
    (log as Logger & { flush?: () => void }).flush?.();
  } catch {
    // Nothing to do: a log that cannot flush must not stop shutdown.
  }
}
