// Cache keys (RFC 9111 §4.1 for Vary): primary key from host, path and query per config;
// secondary key from the request header values named by Vary; tags for URL/prefix purge.
import { createHash } from 'node:crypto';
import type { HeaderMap } from './cache-freshness.js';

export interface CacheKeyOptions {
  /** Include the Host in the key (virtual hosts). Default true. */
  host?: boolean;
  /** `all` keeps the query as sent, `sorted` sorts parameters, `none` drops it. Default `all`. */
  query?: 'all' | 'sorted' | 'none';
  /** Extra request headers that always split the key (e.g. `accept-language`). */
  headers?: string[];
}

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : (v ?? ''));

/** The primary key and the purge tags (`u:` exact URL, `p:` every path prefix) for a request. */
export function primaryKey(host: string, url: string, headers: HeaderMap, o: CacheKeyOptions = {}): { key: string; tags: string[] } {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  let query = q === -1 ? '' : url.slice(q + 1);
  if (o.query === 'none') query = '';
  else if (o.query === 'sorted' && query) query = query.split('&').sort().join('&');
  const h = o.host === false ? '' : host;
  let key = `${h}${path}${query ? `?${query}` : ''}`;
  for (const name of o.headers ?? []) key += `\0${name}=${one(headers[name])}`;
  return { key, tags: purgeTags(h, path) };
}

/** `u:<host><path>` and one `p:<host><prefix>` per path-segment prefix (`/a`, `/a/b`, ...). */
export function purgeTags(host: string, path: string): string[] {
  const tags = [`u:${host}${path}`, `p:${host}/`];
  let i = path.indexOf('/', 1);
  while (i !== -1) {
    tags.push(`p:${host}${path.slice(0, i)}`);
    i = path.indexOf('/', i + 1);
  }
  if (path.length > 1) tags.push(`p:${host}${path.replace(/\/$/, '')}`);
  return tags;
}

export function varyNames(vary: string | string[] | undefined): string[] {
  if (!vary) return [];
  return one(vary).split(',').map((s) => s.trim().toLowerCase()).filter(Boolean).sort();
}

/** Request values for the Vary names, normalised (whitespace collapsed) so equal requests match. */
export function varyValues(names: string[], headers: HeaderMap): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of names) out[n] = one(headers[n]).replace(/\s+/g, ' ').trim();
  return out;
}

export function secondaryKey(primary: string, values: Record<string, string>): string {
  const h = createHash('sha1').update(JSON.stringify(values)).digest('base64url');
  return `${primary}\0v:${h}`;
}

/** Tags from `Cache-Tag` (comma-separated) and `Surrogate-Key` (space-separated). */
export function responseTags(headers: HeaderMap): string[] {
  const out: string[] = [];
  for (const t of one(headers['cache-tag']).split(',')) if (t.trim()) out.push(`t:${t.trim()}`);
  for (const t of one(headers['surrogate-key']).split(/\s+/)) if (t) out.push(`t:${t}`);
  return out;
}
