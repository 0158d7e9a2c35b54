// Errors of the functions capability: load failures (file and line), duplicate routes, timeouts.
import { StrataError } from '../core/index.js';

/** A function file that could not be loaded: a syntax error, a throw at import, or a bad definition. */
export class FunctionLoadError extends Error {
  readonly file: string;
  readonly line?: number;
  readonly column?: number;
  constructor(file: string, message: string, at: { line?: number; column?: number; cause?: unknown } = {}) {
    super(`${file}${at.line !== undefined ? `:${at.line}${at.column !== undefined ? `:${at.column}` : ''}` : ''}: ${message}`, at.cause === undefined ? undefined : { cause: at.cause });
    this.name = 'FunctionLoadError';
    this.file = file;
    this.line = at.line;
    this.column = at.column;
  }
}

/** Two functions declared the same method and path (or the same cron name, queue consumer...). */
export class DuplicateFunctionError extends Error {
  constructor(what: string, first: string, second: string) {
    super(`${what} is declared twice: in ${first} and in ${second}`);
    this.name = 'DuplicateFunctionError';
  }
}

/** A route handler ran past its timeout; its signal was aborted. */
export class FunctionTimeoutError extends StrataError {
  constructor(ms: number) {
    super(504, 'strata/function-timeout', 'Function Timed Out', `The handler did not finish within ${ms} ms.`);
    this.name = 'FunctionTimeoutError';
  }
}

/** The server is shutting down or the function was unloaded while the request waited. */
export class FunctionUnavailableError extends StrataError {
  constructor(detail = 'This route is not available right now.') {
    super(503, 'strata/unavailable', 'Service Unavailable', detail);
    this.name = 'FunctionUnavailableError';
  }
}
