// X-Forwarded-For/-Proto/-Host and Forwarded (RFC 7239): keep what trusted proxies said,
// replace what anyone else said, and append this hop.
import { isIP } from 'node:net';
import type { IpList } from './ip-match.js';
import { normalizeIp } from './ip-match.js';

export interface ForwardedInput {
  remoteAddress: string;
  /** `http` or `https` as seen on this hop. */
  proto: string;
  host: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

export interface ForwardedResult {
  /** The original client address: the rightmost untrusted hop. */
  clientIp: string;
  headers: { 'x-forwarded-for': string; 'x-forwarded-proto': string; 'x-forwarded-host'?: string; forwarded: string };
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v);

function forwardedNode(ip: string): string {
  return isIP(ip) === 6 ? `"[${ip}]"` : ip;
}

function quoteIfNeeded(v: string): string {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(v) ? v : `"${v.replace(/["\\]/g, '\\$&')}"`;
}

export function forwardedHeaders(input: ForwardedInput, trusted: IpList): ForwardedResult {
  const remote = normalizeIp(input.remoteAddress);
  const trustRemote = trusted.has(remote);
  const prevXff = trustRemote ? one(input.headers['x-forwarded-for']) : undefined;
  const chain = prevXff ? prevXff.split(',').map((s) => s.trim()).filter(Boolean) : [];
  chain.push(remote);
  let clientIp = chain[0];
  for (let i = chain.length - 1; i >= 0; i--) {
    if (!trusted.has(chain[i])) {
      clientIp = chain[i];
      break;
    }
  }
  const proto = (trustRemote && one(input.headers['x-forwarded-proto'])?.split(',')[0].trim()) || input.proto;
  const host = (trustRemote && one(input.headers['x-forwarded-host'])?.split(',')[0].trim()) || input.host;
  const prevForwarded = trustRemote ? one(input.headers.forwarded) : undefined;
  let hop = `for=${forwardedNode(remote)};proto=${input.proto}`;
  if (input.host) hop += `;host=${quoteIfNeeded(input.host)}`;
  const headers: ForwardedResult['headers'] = {
    'x-forwarded-for': chain.join(', '),
    'x-forwarded-proto': proto,
    forwarded: prevForwarded ? `${prevForwarded}, ${hop}` : hop,
  };
  if (host) headers['x-forwarded-host'] = host;
  return { clientIp, headers };
}
