// Rule exclusions (the CRS "ctl:ruleRemoveTargetById" idea, by name): skip detectors
// or rules for a route, a method, or one parameter (`body:post.content`, `query:q`,
// `header:user-agent`, `cookie:*`; a trailing `*` matches a prefix), or a collection's field
// on every records transport (`collection: posts, field: content`: REST, batch, Connect).
import type { Location } from './detector.js';

export interface WafExclusion {
  /** Fastify route pattern (`/api/posts/:id`) or a path prefix ending in `*`; empty = every route. */
  route?: string;
  methods?: string[];
  /** `<location>:<name>` or `<name>`; location is one of query, body, header, cookie, path, filename. */
  parameter?: string;
  /** Detector names to skip; empty = all. */
  detectors?: string[];
  /** Rule ids to skip (e.g. `sqli-comment`); empty = all rules of the chosen detectors. */
  rules?: string[];
  /** A collection: the exclusion applies to values of its records' fields (with `field`, that field only), on every records route. */
  collection?: string;
  /** A field of `collection` (`content`); needs `collection`. */
  field?: string;
}

const LOC_ALIAS: Record<string, Location[]> = {
  query: ['query', 'query-name'], body: ['body', 'body-name', 'filename'], header: ['header'], cookie: ['cookie'], path: ['path'], filename: ['filename'],
};

interface CompiledParam { locations?: Location[]; name: string; prefix: boolean }
export interface CompiledExclusion { route?: { value: string; prefix: boolean }; methods?: Set<string>; param?: CompiledParam; detectors?: Set<string>; rules?: Set<string>; field?: { collection: string; name?: string } }

export function compileExclusions(list: readonly WafExclusion[]): CompiledExclusion[] {
  return list.map((e) => {
    const c: CompiledExclusion = {};
    if (e.route) c.route = e.route.endsWith('*') ? { value: e.route.slice(0, -1), prefix: true } : { value: e.route, prefix: false };
    if (e.methods && e.methods.length > 0) c.methods = new Set(e.methods.map((m) => m.toUpperCase()));
    if (e.parameter) {
      const colon = e.parameter.indexOf(':');
      const loc = colon === -1 ? undefined : e.parameter.slice(0, colon).toLowerCase();
      const name = (colon === -1 ? e.parameter : e.parameter.slice(colon + 1)).toLowerCase();
      if (loc !== undefined && !LOC_ALIAS[loc]) throw new Error(`waf exclusion parameter "${e.parameter}": unknown location "${loc}"`);
      c.param = { locations: loc ? LOC_ALIAS[loc] : undefined, name: name.endsWith('*') ? name.slice(0, -1) : name, prefix: name.endsWith('*') };
    }
    if (e.detectors && e.detectors.length > 0) c.detectors = new Set(e.detectors);
    if (e.rules && e.rules.length > 0) c.rules = new Set(e.rules);
    if (e.field && !e.collection) throw new Error(`waf exclusion field "${e.field}": name its collection too`);
    if (e.collection) c.field = { collection: e.collection, name: e.field || undefined };
    return c;
  });
}

/** The exclusions that apply to this request (route pattern and/or concrete path, method). */
export function exclusionsFor(all: readonly CompiledExclusion[], method: string, routeUrl: string | undefined, path: string): CompiledExclusion[] {
  const out: CompiledExclusion[] = [];
  for (const e of all) {
    if (e.methods && !e.methods.has(method)) continue;
    if (e.route) {
      const ok = e.route.prefix ? path.startsWith(e.route.value) || (routeUrl?.startsWith(e.route.value) ?? false) : routeUrl === e.route.value || path === e.route.value;
      if (!ok) continue;
    }
    out.push(e);
  }
  return out;
}

function paramMatches(p: CompiledParam, location: Location, name: string): boolean {
  if (p.locations && !p.locations.includes(location)) return false;
  const n = name.toLowerCase();
  return p.prefix ? n.startsWith(p.name) : n === p.name;
}

/**
 * Whether a detector (and optionally a rule) is excluded for this value; `location` undefined = request-level check.
 * `field` is the record field the value belongs to (`posts.content`), when Strata knows it (strata-args.ts).
 */
export function isExcluded(active: readonly CompiledExclusion[], detector: string, rule: string | undefined, location?: Location, name?: string, field?: string): boolean {
  for (const e of active) {
    if (e.detectors && !e.detectors.has(detector)) continue;
    if (e.rules && (rule === undefined || !e.rules.has(rule))) continue;
    if (e.field) {
      if (field === undefined) continue;
      const dot = field.indexOf('.');
      if (field.slice(0, dot) !== e.field.collection || (e.field.name !== undefined && field.slice(dot + 1) !== e.field.name)) continue;
    }
    if (e.param) {
      if (location === undefined || name === undefined || !paramMatches(e.param, location, name)) continue;
    }
    return true;
  }
  return false;
}

/** Exclusions of `detectors` on the named body fields (`urls.*`, `host`): the URL fields an admin route declares. */
export function urlFieldExclusions(fields: readonly string[], detectors: string[]): CompiledExclusion[] {
  return compileExclusions(fields.map((f) => ({ parameter: `body:${f}`, detectors })));
}
