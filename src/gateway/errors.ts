// Gateway errors as RFC 9457 problems with stable `type`s (strata/bad-gateway, ...),
// plus a writer for places that answer directly (proxy, hooks) instead of throwing.
import type { FastifyReply } from 'fastify';
import { StrataError } from '../core/index.js';

export class BadGatewayError extends StrataError {
  constructor(detail = 'The upstream server failed to answer.') {
    super(502, 'strata/bad-gateway', 'Bad Gateway', detail);
    this.name = 'BadGatewayError';
  }
}

export class ServiceUnavailableError extends StrataError {
  constructor(detail = 'No upstream server is available.', retryAfter?: number) {
    super(503, 'strata/service-unavailable', 'Service Unavailable', detail, retryAfter ? { headers: { 'retry-after': String(retryAfter) } } : {});
    this.name = 'ServiceUnavailableError';
  }
}

export class GatewayTimeoutError extends StrataError {
  constructor(detail = 'The upstream server did not answer in time.') {
    super(504, 'strata/gateway-timeout', 'Gateway Timeout', detail);
    this.name = 'GatewayTimeoutError';
  }
}

export class RangeNotSatisfiableError extends StrataError {
  constructor(size: number) {
    super(416, 'strata/range-not-satisfiable', 'Range Not Satisfiable', 'The requested range is outside the resource.', {
      headers: { 'content-range': `bytes */${size}` },
    });
    this.name = 'RangeNotSatisfiableError';
  }
}

export class MethodNotAllowedError extends StrataError {
  constructor(allow: string) {
    super(405, 'strata/method-not-allowed', 'Method Not Allowed', 'This method is not allowed here.', { headers: { allow } });
    this.name = 'MethodNotAllowedError';
  }
}

export class BadRequestError extends StrataError {
  constructor(detail: string) {
    super(400, 'strata/bad-request', 'Bad Request', detail);
    this.name = 'BadRequestError';
  }
}

export class ProxyAuthRequiredError extends StrataError {
  constructor() {
    super(407, 'strata/proxy-auth-required', 'Proxy Authentication Required', 'Valid proxy credentials are required.', {
      headers: { 'proxy-authenticate': 'Basic realm="strata", charset="UTF-8"' },
    });
    this.name = 'ProxyAuthRequiredError';
  }
}

/** Answers with `err` as problem+json where throwing would reach no handler (the edge's one writer). */
export { replyError as sendProblem } from '../edge/index.js';
/** The problem body as a string, for raw sockets and node:http responses. */
export { problemBody } from '../core/index.js';
