// Address lists (IPs and CIDRs, IPv4 and IPv6) over node:net BlockList, with named ranges.
import { BlockList, isIP } from 'node:net';

/** Named ranges usable in lists: `loopback`, `private`, `link-local`, `unique-local`. */
export const NAMED_RANGES: Record<string, string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'],
  'link-local': ['169.254.0.0/16', 'fe80::/10'],
  unspecified: ['0.0.0.0/8', '::/128'],
};

export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

export interface IpList {
  has(ip: string): boolean;
  readonly empty: boolean;
}

/** Builds a matcher; throws on an entry that is neither an IP, a CIDR nor a named range. */
export function ipList(entries: readonly string[]): IpList {
  const bl = new BlockList();
  let n = 0;
  const add = (e: string) => {
    const [addr, bits] = e.split('/');
    const fam = isIP(addr);
    if (fam === 0) throw new Error(`not an IP or CIDR: ${e}`);
    const type = fam === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) bl.addAddress(addr, type);
    else bl.addSubnet(addr, Number(bits), type);
    n++;
  };
  for (const e of entries) {
    const named = NAMED_RANGES[e];
    if (named) named.forEach(add);
    else add(e);
  }
  return {
    empty: n === 0,
    has(ip) {
      if (n === 0) return false;
      const a = normalizeIp(ip);
      const fam = isIP(a);
      if (fam === 0) return false;
      return bl.check(a, fam === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
