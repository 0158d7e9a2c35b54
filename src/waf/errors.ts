// The WAF's client-visible errors (RFC 9457 problem types): blocked, rate limited, IP denied.
import { StrataError } from '../core/index.js';

export class WafBlockedError extends StrataError {
  constructor(eventId: string) {
    super(403, 'strata/waf-blocked', 'Request Blocked', 'The request was blocked by the web application firewall.', { extensions: { eventId } });
    this.name = 'WafBlockedError';
  }
}

export class RateLimitedError extends StrataError {
  constructor(policy: string, retryAfterSeconds: number, headers: Record<string, string>) {
    super(429, 'strata/rate-limited', 'Too Many Requests', `Rate limit "${policy}" exceeded; retry in ${retryAfterSeconds} s.`, {
      headers: { 'retry-after': String(retryAfterSeconds), ...headers },
      extensions: { policy, retryAfter: retryAfterSeconds },
    });
    this.name = 'RateLimitedError';
  }
}

export class IpDeniedError extends StrataError {
  constructor() {
    super(403, 'strata/ip-denied', 'Forbidden', 'Requests from this address are not allowed.');
    this.name = 'IpDeniedError';
  }
}

export class BodyTooLargeError extends StrataError {
  constructor(limit: number) {
    super(413, 'strata/payload-too-large', 'Payload Too Large', `The request body is larger than the ${limit} bytes the firewall inspects on this route.`);
    this.name = 'BodyTooLargeError';
  }
}
