// Gateway route matching: host (exact, `*.` wildcard), path (exact, prefix, pattern), method, headers.
// Order is documented: higher `priority` first, then declaration order; the first match wins.

export interface RouteMatchSpec {
  /** Host names, exact (`api.example.com`) or wildcard (`*.example.com`: any depth of subdomain). */
  hosts?: string[];
  /** Exact path (`/health`). */
  path?: string;
  /** Path prefix on segment boundaries: `/api` matches `/api` and `/api/x`, not `/apix`. */
  prefix?: string;
  /** Regular expression tested against the path (`^/v[0-9]+/`). */
  pattern?: string;
  /** Allowed methods (upper case); empty means any. */
  methods?: string[];
  /** Header conditions: exact value, `*` for present, or `/regex/`. Names are case-insensitive. */
  headers?: Record<string, string>;
}

export interface RouteInput<T> {
  name?: string;
  match: RouteMatchSpec;
  /** Higher runs first; ties keep declaration order. Default 0. */
  priority?: number;
  target: T;
}

export interface CompiledRoute<T> {
  name: string;
  target: T;
  /** Length of the matched prefix, for prefix stripping (0 for other kinds). */
  prefixLength: number;
  test(req: RouteRequest): boolean;
}

export interface RouteRequest {
  host: string;
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface RouteTable<T> {
  readonly routes: readonly CompiledRoute<T>[];
  match(req: RouteRequest): CompiledRoute<T> | undefined;
}

/** Lower-cased host without port (`[::1]:80` → `[::1]`). */
export function normalizeHost(host: string | undefined): string {
  if (!host) return '';
  const h = host.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const i = h.lastIndexOf(':');
  const name = i === -1 ? h : h.slice(0, i);
  return name.charCodeAt(name.length - 1) === 46 /* '.' */ ? name.slice(0, -1) : name;
}

function hostTest(hosts: string[] | undefined): ((h: string) => boolean) | undefined {
  if (!hosts || hosts.length === 0) return undefined;
  const exact = new Set(hosts.filter((h) => !h.startsWith('*.')).map((h) => h.toLowerCase()));
  const suffixes = hosts.filter((h) => h.startsWith('*.')).map((h) => h.slice(1).toLowerCase());
  return (h) => exact.has(h) || suffixes.some((s) => h.length > s.length && h.endsWith(s));
}

function headerTest(spec: Record<string, string> | undefined): ((h: RouteRequest['headers']) => boolean) | undefined {
  if (!spec) return undefined;
  const checks = Object.entries(spec).map(([name, want]) => {
    const key = name.toLowerCase();
    const re = want.length > 1 && want.startsWith('/') && want.endsWith('/') ? new RegExp(want.slice(1, -1)) : undefined;
    return (h: RouteRequest['headers']) => {
      const raw = h[key];
      if (raw === undefined) return false;
      const v = Array.isArray(raw) ? raw.join(', ') : raw;
      if (want === '*') return true;
      return re ? re.test(v) : v === want;
    };
  });
  return (h) => checks.every((c) => c(h));
}

function compile<T>(r: RouteInput<T>, i: number): CompiledRoute<T> {
  const m = r.match;
  const kinds = [m.path, m.prefix, m.pattern].filter((x) => x !== undefined).length;
  if (kinds > 1) throw new Error(`route ${r.name ?? i}: use only one of path, prefix, pattern`);
  const host = hostTest(m.hosts);
  const headers = headerTest(m.headers);
  const methods = m.methods && m.methods.length > 0 ? new Set(m.methods.map((x) => x.toUpperCase())) : undefined;
  let path: ((p: string) => boolean) | undefined;
  let prefixLength = 0;
  if (m.path !== undefined) {
    const want = m.path;
    path = (p) => p === want;
  } else if (m.prefix !== undefined && m.prefix !== '/' && m.prefix !== '') {
    const pre = m.prefix.replace(/\/+$/, '');
    prefixLength = pre.length;
    path = (p) => p.startsWith(pre) && (p.length === pre.length || p.charCodeAt(pre.length) === 47);
  } else if (m.pattern !== undefined) {
    const re = new RegExp(m.pattern);
    path = (p) => re.test(p);
  }
  const test = (req: RouteRequest) =>
    (!methods || methods.has(req.method)) && (!host || host(req.host)) && (!path || path(req.path)) && (!headers || headers(req.headers));
  return { name: r.name ?? `route-${i}`, target: r.target, prefixLength, test };
}

/**
 * Compiles routes into a table whose `match` returns the first route that applies.
 * @example
 * const table = compileRoutes([{ match: { hosts: ['*.example.com'], prefix: '/api' }, target: 'api' }]);
 * table.match({ host: 'a.example.com', path: '/api/x', method: 'GET', headers: {} });
 */
export function compileRoutes<T>(routes: RouteInput<T>[]): RouteTable<T> {
  const compiled = routes
    .map((r, i) => ({ r: compile(r, i), p: r.priority ?? 0, i }))
    .sort((a, b) => b.p - a.p || a.i - b.i)
    .map((x) => x.r);
  return {
    routes: compiled,
    match(req) {
      for (const r of compiled) if (r.test(req)) return r;
      return undefined;
    },
  };
}
