// Auth error types, mapped to RFC 9457 problems at the edge. Details never carry secrets or account existence.
import { StrataError, UnauthorizedError } from '../core/index.js';

/** Credentials, token or code rejected. One message for every cause, so callers cannot probe. */
export class InvalidCredentialsError extends UnauthorizedError {
  constructor(detail = 'The credentials are not valid.') {
    super(detail);
    this.name = 'InvalidCredentialsError';
  }
}

/** Token (JWT, refresh token, API key) invalid or expired. */
export class InvalidTokenError extends StrataError {
  constructor(detail = 'The token is not valid.') {
    super(401, 'strata/invalid-token', 'Invalid Token', detail, { headers: { 'www-authenticate': 'Bearer error="invalid_token"' } });
    this.name = 'InvalidTokenError';
  }
}

/** Too many failed attempts: the caller must wait `retryAfter` seconds. */
export class TooManyAttemptsError extends StrataError {
  readonly retryAfter: number;
  constructor(retryAfter: number) {
    const seconds = Math.max(1, Math.ceil(retryAfter));
    super(429, 'strata/too-many-attempts', 'Too Many Attempts', `Too many failed attempts; try again in ${seconds} s.`, {
      headers: { 'retry-after': String(seconds) },
      extensions: { retryAfter: seconds },
    });
    this.name = 'TooManyAttemptsError';
    this.retryAfter = seconds;
  }
}

/** Cross-site request refused (foreign Origin, cross-site fetch, or a missing/wrong CSRF token). */
export class CsrfError extends StrataError {
  constructor(detail = 'Cross-site request refused.') {
    super(403, 'strata/csrf', 'Cross-Site Request Refused', detail);
    this.name = 'CsrfError';
  }
}
