// Header add/set/remove rules and path rewriting for proxied requests and responses.

export interface HeaderRules {
  /** Replace (or create) these headers. */
  set?: Record<string, string>;
  /** Append these values (kept alongside existing ones). */
  add?: Record<string, string>;
  /** Drop these headers (case-insensitive). */
  remove?: string[];
}

export type HeaderBag = Record<string, string | string[] | undefined>;

/** Applies rules in the order remove, set, add, mutating `h`. */
export function applyHeaderRules(h: HeaderBag, rules: HeaderRules | undefined): void {
  if (!rules) return;
  for (const name of rules.remove ?? []) delete h[name.toLowerCase()];
  for (const [k, v] of Object.entries(rules.set ?? {})) h[k.toLowerCase()] = v;
  for (const [k, v] of Object.entries(rules.add ?? {})) {
    const key = k.toLowerCase();
    const prev = h[key];
    h[key] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
}

export interface PathRewrite {
  /** Remove the route's matched prefix before forwarding. */
  stripPrefix?: boolean;
  /** Regex replace on the path (`^/old/(.*)` → `/new/$1`). */
  pattern?: string;
  replacement?: string;
}

export function compilePathRewrite(r: PathRewrite | undefined): (path: string, prefixLength: number) => string {
  const re = r?.pattern ? new RegExp(r.pattern) : undefined;
  const strip = r?.stripPrefix ?? false;
  return (path, prefixLength) => {
    let p = strip && prefixLength > 0 ? path.slice(prefixLength) || '/' : path;
    if (p[0] !== '/') p = '/' + p;
    if (re) p = p.replace(re, r?.replacement ?? '');
    return p;
  };
}

/** Hop-by-hop headers (RFC 9110 §7.6.1) plus those undici refuses or sets itself. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings']);

/** Copy of `h` without hop-by-hop headers, those named in `Connection`, and HTTP/2 pseudo-headers. */
export function endToEnd(h: HeaderBag): HeaderBag {
  const out: HeaderBag = {};
  const conn = h.connection;
  const listed = conn ? new Set(String(conn).toLowerCase().split(',').map((s) => s.trim())) : undefined;
  for (const k in h) {
    if (HOP.has(k) || k.charCodeAt(0) === 58 /* ':' */ || listed?.has(k)) continue;
    const v = h[k];
    if (v !== undefined) out[k] = v;
  }
  return out;
}
