// TLS to `https://` upstreams (TLS 1.2+, RFC 8446 / RFC 5246): an undici connector that
// verifies the upstream's certificate against the system roots or a configured CA, with a
// fixed SNI name, so the client's Host header never decides which certificate is expected.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';

export interface UpstreamTlsOptions {
  /** PEM file with the CA(s) that sign the upstream's certificate; unset uses Node's root store. */
  ca?: string;
  /** Name sent as SNI and checked against the certificate. Default: the upstream URL's host name. */
  servername?: string;
  /** Refuse certificates that do not verify (default true). */
  rejectUnauthorized?: boolean;
  /** Lowest TLS version offered. Default TLSv1.2. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface UpstreamTls {
  /** The connector undici's Pool uses for this upstream. */
  connect: buildConnector.connector;
  /**
   * Passed as `servername` on every request: a constant, so undici never reconnects because
   * requests carry different Host headers (it would otherwise derive SNI from each Host).
   */
  requestServername: string;
}

/** Node's TLS error codes for a certificate that did not verify. */
const CERT_ERRORS = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True when `err` says the upstream's certificate was refused. */
export function isCertificateError(err: unknown): boolean {
  let e = err as { code?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 3; depth++, e = e.cause as typeof e) if (e.code && CERT_ERRORS.has(e.code)) return true;
  return false;
}

/**
 * @example
 * const tls = upstreamTls(new URL('https://10.0.0.5:8443'), { ca: '/etc/strata/upstream-ca.pem', servername: 'app.internal' }, 5000);
 * new Pool('https://10.0.0.5:8443', { connect: tls.connect });
 */
export function upstreamTls(url: URL, o: UpstreamTlsOptions, timeoutMs: number): UpstreamTls {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const name = o.servername || host;
  // SNI must not carry an IP address (RFC 6066 §3); the certificate is then checked against the IP.
  const sni = isIP(name) ? undefined : name;
  const base = buildConnector({
    timeout: timeoutMs,
    ca: o.ca ? readFileSync(o.ca) : undefined,
    rejectUnauthorized: o.rejectUnauthorized ?? true,
    minVersion: o.minVersion ?? 'TLSv1.2',
    ...(sni ? { servername: sni } : {}),
  });
  const connect: buildConnector.connector = (opts, cb) => base({ ...opts, servername: sni as string }, cb);
  return { connect, requestServername: name };
}
