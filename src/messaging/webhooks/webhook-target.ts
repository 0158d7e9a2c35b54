// Outbound target policy for webhooks (SSRF defence): only http(s) URLs, and every
// address the host resolves to is checked at connect time (no DNS-rebinding gap):
// link-local, cloud metadata, unspecified, multicast and reserved ranges are always
// refused unless allow-listed; loopback and private ranges are refused by default.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';
import { ValidationError } from '../../core/index.js';

export interface TargetPolicy {
  /** CIDRs always allowed, e.g. `10.1.2.0/24` or `127.0.0.1/32` (for a sidecar). */
  allowCidrs?: string[];
  allowPrivate?: boolean;
  allowLoopback?: boolean;
  /** Plain http:// targets (default false: https only). */
  allowHttp?: boolean;
}

const always: [string, number, 'ipv4' | 'ipv6'][] = [
  ['169.254.0.0', 16, 'ipv4'], // link-local, includes 169.254.169.254 (AWS/GCP/Azure metadata)
  ['100.100.100.200', 32, 'ipv4'], // Alibaba metadata
  ['0.0.0.0', 8, 'ipv4'],
  ['224.0.0.0', 4, 'ipv4'],
  ['240.0.0.0', 4, 'ipv4'],
  ['fe80::', 10, 'ipv6'],
  ['fd00:ec2::254', 128, 'ipv6'], // AWS metadata over IPv6
  ['ff00::', 8, 'ipv6'],
  ['::', 128, 'ipv6'],
];
const loopback: [string, number, 'ipv4' | 'ipv6'][] = [
  ['127.0.0.0', 8, 'ipv4'],
  ['::1', 128, 'ipv6'],
];
const privateNets: [string, number, 'ipv4' | 'ipv6'][] = [
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'],
  ['fc00::', 7, 'ipv6'],
];

export class TargetRefusedError extends ValidationError {
  constructor(detail: string) {
    super(detail, [{ field: 'url', message: 'target not allowed' }]);
  }
}

export function targetChecker(policy: TargetPolicy = {}) {
  const deny = new BlockList();
  const allow = new BlockList();
  for (const [a, p, t] of [...always, ...(policy.allowLoopback ? [] : loopback), ...(policy.allowPrivate ? [] : privateNets)]) deny.addSubnet(a, p, t);
  for (const c of policy.allowCidrs ?? []) {
    const [a, p] = c.split('/');
    const fam = isIP(a);
    if (!fam) throw new ValidationError(`Invalid CIDR ${c}.`);
    allow.addSubnet(a, Number(p ?? (fam === 4 ? 32 : 128)), fam === 4 ? 'ipv4' : 'ipv6');
  }

  /** Whether one resolved address may be contacted. */
  function addressAllowed(address: string): boolean {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    const a = mapped ? mapped[1] : address;
    const t = isIP(a) === 4 ? 'ipv4' : 'ipv6';
    if (allow.check(a, t)) return true;
    return !deny.check(a, t);
  }

  /** Validate the URL itself; IP literals are checked here since they are never looked up. */
  function checkUrl(raw: string): URL {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new TargetRefusedError('The webhook URL is not a valid URL.');
    }
    if (url.protocol !== 'https:' && !(policy.allowHttp && url.protocol === 'http:')) throw new TargetRefusedError('Webhook URLs must use https.');
    if (url.username || url.password) throw new TargetRefusedError('Webhook URLs may not carry credentials.');
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !addressAllowed(host)) throw new TargetRefusedError('The webhook target address is not allowed.');
    return url;
  }

  /** A dns.lookup replacement that refuses the connection if any resolved address is not allowed. */
  function lookup(hostname: string, options: { all?: boolean; family?: number }, cb: (err: Error | null, address: string | LookupAddress[], family?: number) => void): void {
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (err, addresses) => {
      if (err) return cb(err, '');
      const list = addresses as LookupAddress[];
      if (list.length === 0 || !list.every((a) => addressAllowed(a.address))) return cb(new TargetRefusedError('The webhook target resolves to an address that is not allowed.'), '');
      if (options.all) cb(null, list);
      else cb(null, list[0].address, list[0].family);
    });
  }

  /** An undici dispatcher whose every connection goes through the checked lookup. */
  function dispatcher(): Agent {
    return new Agent({ connect: { lookup: lookup as never }, headersTimeout: 10_000, bodyTimeout: 10_000 });
  }

  return { checkUrl, addressAllowed, lookup, dispatcher };
}
