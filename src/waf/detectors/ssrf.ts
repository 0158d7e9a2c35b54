// Server-side request forgery indicators in parameters that carry URLs or hosts:
// loopback, link-local and cloud metadata addresses in every IPv4 spelling the
// WHATWG URL parser accepts (decimal, hex, octal, short forms), IPv6 and
// IPv4-mapped forms, rebinding domains and non-HTTP schemes (gopher, dict, file...).
import type { Location, Detector, DetectContext, Finding, InspectedValue } from '../detector.js';
import { linearRx } from '../regex-linear.js';

const URLISH_NAME = linearRx(/(?:^|[_.\-[])(?:url|uri|link|href|src|source|dest|destination|redirect|redirect_uri|return|return_to|returnurl|next|callback|webhook|endpoint|host|hostname|domain|proxy|image|img|avatar|feed|rss|target|site|server|fetch|load|open|file|path|remote|origin|to|out|continue|u)(?:$|[_.\-\]])|url$|uri$/i);
const SCHEME = linearRx(/^\s*([a-z][a-z0-9+.-]{1,15}):\/\//i);
const BAD_SCHEME = /^(?:gopher|dict|file|ldap|ldaps|tftp|jar|netdoc|sftp|smb|telnet|expect|php|phar|ftp)$/;
const METADATA_HOST = /^(?:metadata\.google\.internal|metadata|metadata\.azure\.com|instance-data(?:\.ec2\.internal)?|kubernetes\.default(?:\.svc)?(?:\.cluster\.local)?)$/;
const REBIND = /(?:^|\.)(?:localhost|localtest\.me|lvh\.me|nip\.io|xip\.io|sslip\.io|traefik\.me|vcap\.me|burpcollaborator\.net|oastify\.com|interact\.sh|oast\.(?:pro|live|site|online|fun|me))$/;

type Kind = 'metadata' | 'loopback' | 'link-local' | 'private' | 'unspecified' | undefined;

function classifyV4(a: number, b: number, c: number, d: number): Kind {
  if (a === 169 && b === 254 && c === 169 && d === 254) return 'metadata';
  if (a === 100 && b === 100 && c === 100 && d === 200) return 'metadata';
  if (a === 127) return 'loopback';
  if (a === 0) return 'unspecified';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
  return undefined;
}

/** Classifies a host name as the URL parser left it (IPv4 already canonical; IPv6 in brackets). */
export function classifyHost(host: string): Kind {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === 'localhost.localdomain' || h === 'ip6-localhost' || h === 'ip6-loopback') return 'loopback';
  if (METADATA_HOST.test(h)) return 'metadata';
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  if (v4) return classifyV4(+v4[1], +v4[2], +v4[3], +v4[4]);
  if (h.startsWith('[')) {
    const v6 = h.slice(1, -1);
    if (v6 === '::1' || v6 === '0:0:0:0:0:0:0:1') return 'loopback';
    if (v6 === '::' ) return 'unspecified';
    if (v6 === 'fd00:ec2::254') return 'metadata';
    if (/^fe[89ab]/.test(v6)) return 'link-local';
    if (/^f[cd]/.test(v6)) return 'private';
    const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/.exec(v6);
    if (mapped) {
      if (mapped[1]) { const p = mapped[1].split('.').map(Number); return classifyV4(p[0], p[1], p[2], p[3]); }
      const hi = parseInt(mapped[2], 16), lo = parseInt(mapped[3], 16);
      return classifyV4(hi >> 8, hi & 255, lo >> 8, lo & 255);
    }
  }
  return undefined;
}

function hostOf(value: string): { scheme: string; host: string } | undefined {
  const m = SCHEME.exec(value);
  const candidate = m ? value.trim() : /^[\w.\-[\]:]+(?::\d+)?(?:\/|$)/.test(value.trim()) ? `http://${value.trim()}` : undefined;
  if (candidate === undefined) return undefined;
  try {
    const scheme = (m ? m[1] : 'http').toLowerCase();
    // the WHATWG parser canonicalizes 2130706433, 0x7f.1, 0177.0.0.1 to 127.0.0.1 for special schemes
    const u = new URL(scheme === 'http' || scheme === 'https' ? candidate : candidate.replace(/^[^:]+:/, 'http:'));
    return { scheme, host: u.hostname };
  } catch {
    return undefined;
  }
}

// An http(s) URL whose authority is a plain DNS name with an alphabetic TLD cannot be
// an IP in any spelling: skip the (comparatively costly) WHATWG parse for it.
const PLAIN_AUTHORITY = linearRx(/^\s*https?:\/\/([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,63})(?::\d{1,5})?(?:[/?#]|$)/i);

export function matchSsrf(decoded: string, urlParam: boolean, paranoia: number): Finding[] {
  const m = SCHEME.exec(decoded);
  if (!m && !urlParam) return [];
  const scheme = m ? m[1].toLowerCase() : '';
  if (m && BAD_SCHEME.test(scheme) && (urlParam || scheme === 'gopher' || scheme === 'dict')) {
    return [{ rule: 'ssrf-scheme', severity: 'critical', paranoia: 1, message: `${scheme}:// URL` }];
  }
  const plain = PLAIN_AUTHORITY.exec(decoded);
  if (plain) {
    const host = plain[1].toLowerCase();
    if (!REBIND.test(host) && !METADATA_HOST.test(host) && !host.endsWith('localhost') && host !== 'localhost.localdomain') return [];
  }
  const parsed = hostOf(decoded);
  if (!parsed) return [];
  const kind = classifyHost(parsed.host);
  const sev = urlParam ? 'critical' : 'error';
  if (kind === 'metadata') return [{ rule: 'ssrf-metadata', severity: 'critical', paranoia: 1, message: 'cloud metadata endpoint' }];
  if (kind === 'loopback' || kind === 'unspecified') return [{ rule: 'ssrf-loopback', severity: sev, paranoia: 1, message: 'loopback address' }];
  if (kind === 'link-local') return [{ rule: 'ssrf-link-local', severity: sev, paranoia: 1, message: 'link-local address' }];
  if (REBIND.test(parsed.host)) return [{ rule: 'ssrf-rebinding', severity: sev, paranoia: 1, message: 'DNS rebinding / callback domain' }];
  if (kind === 'private' && paranoia >= 2) return [{ rule: 'ssrf-private', severity: 'error', paranoia: 2, message: 'private network address' }];
  return [];
}

// An OAuth/OIDC redirect URI (RFC 6749 §3.1.2) is where the user's browser is sent, not what the
// server fetches; loopback redirect URIs are what native and local apps use (RFC 8252 §7.3).
export const REDIRECT_NAME = linearRx(/redirect/i);
const HTTP_URL = linearRx(/^\s*https?:\/\//i);
const FORWARDED_HOST = new Set(['x-forwarded-host', 'x-forwarded-server', 'x-original-host', 'x-host']);
const NUMERIC_NAME = /^\d+(?:\.\d+)*$/;
const WHOLE_URL = linearRx(/^\s*[a-z][a-z0-9+.-]{1,15}:\/\/\S+\s*$/i);

export const ssrfDetector = {
  name: 'ssrf',
  locations: ['query', 'body', 'header', 'cookie'],
  // a bare host in a URL parameter: `localhost`, `2130706433`, `0x7f000001`
  mayFireOnPlain: (_location: Location, name: string) => URLISH_NAME.test(name),
  inspectValue(v: InspectedValue, ctx: DetectContext): Finding[] {
    const d = v.view.decoded;
    if (d.length > 4096) return [];
    // a Referer or Origin is where the browser came from (a local dev frontend: http://localhost:5173), and
    // X-Forwarded-Host & co. name this server as the client reached it (a dev proxy: localhost:5173), as Host
    // does: none is a URL the server fetches
    if (v.location === 'header' && (v.name === 'referer' || v.name === 'origin' || FORWARDED_HOST.has(v.name) || !URLISH_NAME.test(v.name))) return [];
    // values known only by position (array items, protobuf fields: `1.4`) have no name to
    // judge by: one that is nothing but a URL is taken for a URL parameter
    const urlParam = URLISH_NAME.test(v.name) || (v.location === 'body' && NUMERIC_NAME.test(v.name) && WHOLE_URL.test(d));
    if (!urlParam && d.indexOf('://') === -1) return [];
    const found = matchSsrf(d, urlParam, ctx.paranoia);
    if (found.length > 0 && found[0].rule === 'ssrf-loopback' && REDIRECT_NAME.test(v.name) && HTTP_URL.test(d)) return [];
    return found;
  },
} satisfies Detector;
