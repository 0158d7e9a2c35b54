// Outbound access rules for the forward proxy: allow/deny by host name, port and CIDR.
// Private, loopback, link-local (cloud metadata) and unspecified ranges are denied
// unless a rule allows them; checks run on the resolved address (no DNS rebinding).
import { isIP } from 'node:net';
import { ipList } from '../proxy/ip-match.js';

export interface ForwardPolicyOptions {
  /** Host patterns allowed (`example.com`, `*.example.com`); empty allows every host not denied. */
  allowHosts?: string[];
  denyHosts?: string[];
  /** Ports allowed; empty allows 80 and 443 only. `*` allows all. */
  allowPorts?: (number | '*')[];
  denyPorts?: number[];
  /** Address ranges explicitly allowed (IPs, CIDRs or `loopback`, `private`, `link-local`). */
  allowCidrs?: string[];
  /** Address ranges denied in addition to the default-denied ones. */
  denyCidrs?: string[];
}

export type PolicyVerdict = { ok: true } | { ok: false; reason: string };

const DEFAULT_DENIED = ['loopback', 'private', 'link-local', 'unspecified', '192.0.0.0/24', '198.18.0.0/15', '224.0.0.0/3', 'ff00::/8', '64:ff9b::/96', '100::/64'];
const METADATA_HOSTS = ['metadata.google.internal', 'metadata', 'instance-data', 'instance-data.ec2.internal'];

function hostMatcher(patterns: string[]): (h: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.startsWith('*.')).map((p) => p.toLowerCase()));
  const suffixes = patterns.filter((p) => p.startsWith('*.')).map((p) => p.slice(1).toLowerCase());
  return (h) => exact.has(h) || suffixes.some((s) => h.endsWith(s));
}

export interface ForwardPolicy {
  /** Checks the name and port before resolving. */
  checkTarget(host: string, port: number): PolicyVerdict;
  /** Checks one resolved address. */
  checkAddress(ip: string): PolicyVerdict;
}

export function createForwardPolicy(o: ForwardPolicyOptions = {}): ForwardPolicy {
  const allowHost = o.allowHosts?.length ? hostMatcher(o.allowHosts) : undefined;
  const denyHost = hostMatcher([...(o.denyHosts ?? []), ...METADATA_HOSTS]);
  const ports = o.allowPorts?.length ? o.allowPorts : [80, 443];
  const anyPort = ports.includes('*');
  const denyPorts = new Set(o.denyPorts ?? []);
  const allowed = ipList(o.allowCidrs ?? []);
  const denied = ipList(o.denyCidrs ?? []);
  const defaults = ipList(DEFAULT_DENIED);
  return {
    checkTarget(rawHost, port) {
      const host = rawHost.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
      if (!host) return { ok: false, reason: 'no host' };
      if (!Number.isInteger(port) || port < 1 || port > 65535) return { ok: false, reason: 'bad port' };
      if (denyPorts.has(port) || (!anyPort && !ports.includes(port))) return { ok: false, reason: 'port' };
      if (denyHost(host)) return { ok: false, reason: 'host denied' };
      if (allowHost && !allowHost(host)) return { ok: false, reason: 'host not allowed' };
      return { ok: true };
    },
    checkAddress(ip) {
      if (isIP(ip) === 0) return { ok: false, reason: 'address' };
      if (denied.has(ip)) return { ok: false, reason: 'address denied' };
      if (defaults.has(ip) && !allowed.has(ip)) return { ok: false, reason: 'private or reserved address' };
      return { ok: true };
    },
  };
}
