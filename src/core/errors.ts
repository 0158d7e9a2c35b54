// StrataError and its common subclasses: an error a client may see, with its RFC 9457 problem fields.

/** One field's complaint in a validation problem. */
export interface FieldError {
  /** JSON pointer or dotted path of the offending field, e.g. `/title` or `query.page`. */
  field: string;
  message: string;
}

/** Fields serialized as an `application/problem+json` body (RFC 9457). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/**
 * Base of every error a client may see. `type` is stable public API
 * (`strata/validation`, `strata/not-found`, ...); `detail` must never hold
 * SQL, file paths or stack traces.
 *
 * @example
 * throw new StrataError(404, 'strata/not-found', 'Not Found', `No record ${id}.`);
 */
export class StrataError extends Error {
  /**
   * `x instanceof StrataError` holds across copies of this module: user function files are
   * loaded in their own module graph (tsx) and throw their copy's errors. Subclasses check as usual.
   */
  static override [Symbol.hasInstance](v: unknown): boolean {
    if (this !== StrataError) return Function.prototype[Symbol.hasInstance].call(this, v);
    return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[STRATA_ERROR] === true;
  }

  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail?: string;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;
  readonly extensions?: Record<string, unknown>;

  constructor(
    status: number,
    type: string,
    title: string,
    detail?: string,
    options: { errors?: FieldError[]; headers?: Record<string, string>; extensions?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(detail ?? title, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StrataError';
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }

  toProblem(instance?: string): Problem {
    const p: Problem = { type: this.type, title: this.title, status: this.status };
    if (this.detail !== undefined) p.detail = this.detail;
    if (instance !== undefined) p.instance = instance;
    if (this.errors && this.errors.length > 0) p.errors = this.errors;
    if (this.extensions) Object.assign(p, this.extensions);
    return p;
  }
}

/** Brand shared by every copy of StrataError (a registry symbol). */
const STRATA_ERROR = Symbol.for('strata.error');
Object.defineProperty(StrataError.prototype, STRATA_ERROR, { value: true });

export class ValidationError extends StrataError {
  constructor(detail: string, errors: FieldError[] = []) {
    super(400, 'strata/validation', 'Validation Failed', detail, { errors });
    this.name = 'ValidationError';
  }
}

export class NotFoundError extends StrataError {
  constructor(detail = 'The requested resource does not exist.') {
    super(404, 'strata/not-found', 'Not Found', detail);
    this.name = 'NotFoundError';
  }
}

export class ConflictError extends StrataError {
  constructor(detail: string) {
    super(409, 'strata/conflict', 'Conflict', detail);
    this.name = 'ConflictError';
  }
}

export class ForbiddenError extends StrataError {
  constructor(detail = 'You are not allowed to do this.') {
    super(403, 'strata/forbidden', 'Forbidden', detail);
    this.name = 'ForbiddenError';
  }
}

export class UnauthorizedError extends StrataError {
  constructor(detail = 'Authentication is required.') {
    super(401, 'strata/unauthorized', 'Unauthorized', detail);
    this.name = 'UnauthorizedError';
  }
}
