// IP allow/deny/bypass lists with CIDR ranges (IPv4 and IPv6, RFC 4632 / RFC 4291),
// on node:net BlockList. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match IPv4 rules.
import { BlockList, isIP } from 'node:net';

export interface IpRuleConfig { allow: readonly string[]; deny: readonly string[]; bypass: readonly string[] }
export type IpVerdict = 'allow' | 'deny' | 'bypass';

/** Parses `10.0.0.0/8`, `2001:db8::/32`, `1.2.3.4` or `::1` into a BlockList; throws on bad entries. */
export function cidrList(entries: readonly string[], what: string): BlockList | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const raw of entries) {
    const e = raw.trim();
    const [addr, bits] = e.split('/');
    const family = isIP(addr);
    if (family === 0) throw new Error(`${what}: "${raw}" is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) { list.addAddress(addr, type); continue; }
    const prefix = Number(bits);
    if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) throw new Error(`${what}: "${raw}" has a bad prefix length`);
    list.addSubnet(addr, prefix, type);
  }
  return list;
}

/** Strips the IPv4-mapped prefix and zone ids so `::ffff:10.1.2.3` matches `10.0.0.0/8`. */
export function normalizeIp(ip: string): { address: string; type: 'ipv4' | 'ipv6' } | undefined {
  let a = ip.trim();
  const pct = a.indexOf('%');
  if (pct !== -1) a = a.slice(0, pct);
  if (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4) a = a.slice(7);
  const fam = isIP(a);
  if (fam === 0) return undefined;
  return { address: a, type: fam === 4 ? 'ipv4' : 'ipv6' };
}

export class IpRules {
  private readonly allow?: BlockList;
  private readonly deny?: BlockList;
  private readonly bypass?: BlockList;

  constructor(cfg: IpRuleConfig) {
    this.allow = cidrList(cfg.allow, 'waf.ip.allow');
    this.deny = cidrList(cfg.deny, 'waf.ip.deny');
    this.bypass = cidrList(cfg.bypass, 'waf.ip.bypass');
  }

  get empty(): boolean { return !this.allow && !this.deny && !this.bypass; }

  /** deny list first, then the allow list (when set, everything else is denied), then bypass. */
  check(ip: string): IpVerdict {
    const n = normalizeIp(ip);
    if (!n) return this.allow ? 'deny' : 'allow';
    if (this.deny?.check(n.address, n.type)) return 'deny';
    if (this.allow && !this.allow.check(n.address, n.type)) return 'deny';
    if (this.bypass?.check(n.address, n.type)) return 'bypass';
    return 'allow';
  }
}
