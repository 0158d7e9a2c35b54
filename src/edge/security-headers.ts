// Security response headers (HSTS per RFC 6797 on HTTPS only, nosniff,
// Referrer-Policy, frame protection), computed once from config.
import type { StrataConfig } from '../config/index.js';

export interface SecurityHeaders {
  plain: Record<string, string>;
  secure: Record<string, string>;
}

export function securityHeaders(h: StrataConfig['headers']): SecurityHeaders {
  const plain: Record<string, string> = {};
  if (h.contentTypeOptions) plain['x-content-type-options'] = 'nosniff';
  if (h.referrerPolicy) plain['referrer-policy'] = h.referrerPolicy;
  if (h.frameOptions !== 'off') plain['x-frame-options'] = h.frameOptions;
  if (h.contentSecurityPolicy) plain['content-security-policy'] = h.contentSecurityPolicy;
  for (const [k, v] of Object.entries(h.extra)) plain[k.toLowerCase()] = v;
  const secure = { ...plain };
  if (h.hsts.enabled) {
    secure['strict-transport-security'] =
      `max-age=${h.hsts.maxAge}` + (h.hsts.includeSubDomains ? '; includeSubDomains' : '') + (h.hsts.preload ? '; preload' : '');
  }
  return { plain, secure };
}
